//! The finding model shared by every engine and every output format.

use serde::{Deserialize, Serialize};
use tollgate_template::{PointerBuf, Related, Span};

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
/// Written in lower case; read in any letter case (`CRITICAL`, `High`), as users write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}`, expected one of `info`, `low`, `medium`, `high`, `critical`"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a rule reports, before the CLI turns the pointer into a source location.
///
/// `pointer` is a JSON pointer into the *input document the engine received*
/// (the resolved template, or the plan's resource list); the loader maps it back
/// to the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RawFinding {
    pub rule: String,
    /// Logical id (CloudFormation) or full address (Terraform).
    pub resource: String,
    pub pointer: PointerBuf,
    pub message: String,
    #[serde(default)]
    pub related: Vec<RelatedPointer>,
}

/// A finding located in its file (see [`crate::locate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    /// Logical id (CloudFormation) or full address (Terraform).
    pub resource: String,
    /// The resource's CloudFormation `Type` or Terraform `type`, read from the policy input
    /// (template variant) the finding came from; `None` when the rule named no resource of
    /// that input.
    pub resource_type: Option<String>,
    /// Pointer into the document the policies received (see `docs/input-documents.md`).
    pub pointer: PointerBuf,
    pub message: String,
    /// Where to point: the value, or the logical-id key for resource-level findings.
    pub span: Span,
    /// Where the value came from (parameter default, mapping entry, `!If` branch), and the
    /// rule's own related pointers.
    pub related: Vec<Related>,
}

/// A second location that explains a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RelatedPointer {
    pub pointer: PointerBuf,
    pub message: String,
}

/// Rule metadata, written once per rule in `policies/<id>/rule.toml` and shared by both languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// e.g. `["CIS AWS Foundations v3.0 5.2", "AWS Security Hub EC2.53"]`
    pub compliance: Vec<String>,
    pub description: String,
    pub rationale: String,
    pub remediation: Remediation,
    #[serde(default)]
    pub references: Vec<String>,
    /// A flagged and a passing input per language, shown by `tollgate explain` and the rule
    /// reference. Every built-in rule has them; users' rules need not.
    #[serde(default)]
    pub examples: Option<Examples>,
}

/// Files of the rule folder (paths relative to it), each also a case the case runner checks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    pub cloudformation: ExamplePair,
    pub terraform: ExamplePair,
}

/// An input the rule flags and one it passes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamplePair {
    pub flagged: String,
    pub passes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub cloudformation: String,
    pub terraform: String,
}

#[cfg(test)]
mod severity_tests {
    use super::Severity;

    #[test]
    fn severities_are_read_in_any_letter_case() {
        for text in ["critical", "CRITICAL", "Critical"] {
            assert_eq!(text.parse::<Severity>(), Ok(Severity::Critical));
        }
        let parsed: Severity = serde_json::from_str("\"High\"").unwrap_or(Severity::Info);
        assert_eq!(parsed, Severity::High);
        assert!("severe".parse::<Severity>().is_err());
    }
}

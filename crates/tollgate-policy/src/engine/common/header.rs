//! The `# tollgate: key=value ...` header comments of a policy file, one grammar for both
//! languages.
//!
//! A header line is a comment (`#`, leading white space allowed) whose text starts with
//! `tollgate:`, anywhere in the file; it holds space-separated `key=value` items. Keys:
//! `severity` (`info` … `critical`), `input` (`cloudformation`, `terraform`, comma-separated),
//! `scope` (`resource`, `document`) and `types` (comma-separated resource types, or `*`).
//! The grammar is strict: an item that is not `key=value`, an unknown key or an unknown value
//! is an error at its line. Later items override earlier ones. Which keys an engine reads,
//! and what it does without them, is the engine's business (Rego reads only `scope` and
//! `types`, and only of built-in files).

use std::collections::BTreeSet;

use tollgate_template::InputKind;

use crate::engine::EvalError;
use crate::finding::Severity;

/// What documents a policy file is evaluated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any subset of the resources (with or without the other top-level keys): a finding about
    /// a resource depends on that resource alone.
    Resource,
    /// The whole document (its resources possibly filtered by type): rules that join
    /// resources.
    Document,
}

/// The header of one policy file; `None`: the file does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub severity: Option<Severity>,
    pub input: Option<Vec<InputKind>>,
    pub scope: Option<Scope>,
    /// `types=`: only resources of these types matter. `None` (no `types`, or `types=*`):
    /// any type.
    pub types: Option<BTreeSet<String>>,
}

impl Header {
    /// Reads every header line of `source`; errors name `file` and the line.
    pub fn read(file: &str, source: &str) -> Result<Self, EvalError> {
        let mut header = Header::default();
        for (n, line) in source.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix("tollgate:") else {
                continue;
            };
            let bad = |message: String| EvalError::Syntax {
                file: file.to_string(),
                line: n.saturating_add(1),
                column: 1,
                message,
            };
            for item in rest.split_whitespace() {
                header.set(item).map_err(bad)?;
            }
        }
        Ok(header)
    }

    fn set(&mut self, item: &str) -> Result<(), String> {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("`{item}` is not `key=value`"))?;
        match key {
            "severity" => {
                self.severity = Some(parse_severity(value).ok_or_else(|| {
                    format!("unknown severity `{value}` (info, low, medium, high, critical)")
                })?);
            }
            "input" => {
                let kinds = value
                    .split(',')
                    .map(|v| match v {
                        "cloudformation" => Ok(InputKind::CloudFormation),
                        "terraform" => Ok(InputKind::TerraformPlan),
                        _ => Err(format!("unknown input `{v}` (cloudformation, terraform)")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.input = Some(kinds);
            }
            "scope" => {
                self.scope = Some(match value {
                    "resource" => Scope::Resource,
                    "document" => Scope::Document,
                    _ => return Err(format!("unknown scope `{value}` (resource, document)")),
                });
            }
            "types" => {
                self.types = (value != "*").then(|| value.split(',').map(str::to_string).collect());
            }
            _ => return Err(format!("unknown tollgate header key `{key}`")),
        }
        Ok(())
    }
}

/// A severity name, in any letter case.
fn parse_severity(s: &str) -> Option<Severity> {
    Some(match s.to_ascii_lowercase().as_str() {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_and_later_items_win() {
        let text = "package x\n# tollgate: scope=resource\n  #tollgate: types=a,b severity=HIGH\n# tollgate: input=terraform scope=document\n";
        let header = Header::read("f", text).unwrap_or_default();
        assert_eq!(
            header,
            Header {
                severity: Some(Severity::High),
                input: Some(vec![InputKind::TerraformPlan]),
                scope: Some(Scope::Document),
                types: Some(["a".to_string(), "b".to_string()].into()),
            }
        );
        let all = Header::read("f", "# tollgate: types=*").unwrap_or_default();
        assert_eq!(all.types, None);
        assert!(matches!(Header::read("f", "# other comment\n"), Ok(h) if h == Header::default()));
    }

    #[test]
    fn mistakes_are_errors_at_their_line() {
        for (text, message) in [
            ("\n# tollgate: scope", "`scope` is not `key=value`"),
            (
                "\n# tollgate: scope=all",
                "unknown scope `all` (resource, document)",
            ),
            (
                "\n# tollgate: colour=red",
                "unknown tollgate header key `colour`",
            ),
            (
                "\n# tollgate: input=k8s",
                "unknown input `k8s` (cloudformation, terraform)",
            ),
        ] {
            match Header::read("f", text) {
                Err(EvalError::Syntax {
                    line: 2,
                    message: m,
                    ..
                }) => assert_eq!(m, message),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}

//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. One `reportingDescriptor` per rule
//! (help text, `security-severity`), relative URIs, regions in characters, fingerprints, and
//! suppressed findings as `suppressions` (code scanning shows them as dismissed).

mod model;

use super::severity_name;
use crate::baseline::normalize_path;
use crate::catalogue::{remediation, RuleInfo};
use crate::diagnostics::{self, FindingRecord, Level, ProblemRecord, Run, Source};
use crate::suppress::SuppressionKind;
use miette::{IntoDiagnostic, Result};
use model::*;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tollgate_policy::Severity;
use tollgate_template::InputKind;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// RFC 3986 unreserved characters and `/` stay as they are in a relative path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// SARIF `level` for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub maps `security-severity` to critical (≥ 9.0), high (≥ 7.0), medium (≥ 4.0), low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn text(text: impl Into<String>) -> Message {
    Message { text: text.into() }
}

fn region(l: &diagnostics::Location) -> Region {
    Region {
        start_line: l.start.line,
        start_column: l.start.column,
        end_line: Some(l.end.line),
        end_column: Some(l.end.column),
    }
}

fn physical(artifact: &ArtifactLocation, region: Region) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact.clone(),
        region,
    }
}

/// Where a file is for code scanning: relative to the source root (`--sarif-root`, by default
/// the repository's top level) under `%SRCROOT%`, percent-encoded with `/` separators — never
/// absolute or `../` there, which code scanning cannot place; a file outside the root gets an
/// absolute `file:` URI of its own.
fn artifact(run: &Run, file: &str) -> ArtifactLocation {
    let encode = |p: &str| utf8_percent_encode(p, PATH).to_string();
    let Some(root) = &run.sarif_root else {
        return ArtifactLocation {
            uri: encode(&normalize_path(file)),
            uri_base_id: Some(SRCROOT),
        };
    };
    let absolute = crate::paths::lexically_normal(&root.cwd.join(file));
    match absolute.strip_prefix(&root.root) {
        Ok(below) => ArtifactLocation {
            uri: encode(&normalize_path(&below.to_string_lossy())),
            uri_base_id: Some(SRCROOT),
        },
        Err(_) => ArtifactLocation {
            uri: format!(
                "file://{}",
                encode(&normalize_path(&absolute.to_string_lossy()))
            ),
            uri_base_id: None,
        },
    }
}

fn descriptor(r: &RuleInfo) -> ReportingDescriptor {
    let mut tags = vec!["security".to_string()];
    let (help, help_uri) = match &r.meta {
        Some(m) => {
            tags.extend(m.compliance.iter().cloned());
            let (cfn, tf) = (
                remediation(m, InputKind::CloudFormation),
                remediation(m, InputKind::TerraformPlan),
            );
            let rationale = m.rationale.trim();
            let help = MultiformatMessage {
                text: format!("{rationale}\n\nCloudFormation:\n{cfn}\n\nTerraform:\n{tf}"),
                markdown: Some(format!(
                    "{rationale}\n\n**Compliance:** {}\n\n### CloudFormation\n\n{cfn}\n\n### Terraform\n\n{tf}",
                    m.compliance.join(", "),
                )),
            };
            (help, m.references.first().cloned())
        }
        None => (
            MultiformatMessage {
                text: format!("See the policy that defines {}.", r.id),
                markdown: None,
            },
            None,
        ),
    };
    ReportingDescriptor {
        id: r.id.clone(),
        name: r.id.clone(),
        short_description: text(
            r.title
                .clone()
                .unwrap_or_else(|| format!("User policy {}", r.id)),
        ),
        full_description: text(
            r.description
                .clone()
                .unwrap_or_else(|| format!("Rule {} from a --policy-dir policy.", r.id)),
        ),
        help,
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(r.severity),
            severity: severity_name(r.severity),
            precision: "high",
            tags,
        },
        help_uri,
    }
}

fn result(run: &Run, file: &str, f: &FindingRecord) -> SarifResult {
    let file_uri = artifact(run, file);
    let related: Vec<RelatedLocation> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, rel)| RelatedLocation {
            id: i + 1,
            physical_location: physical(&file_uri, region(&rel.location)),
            message: text(rel.message.clone()),
        })
        .collect();
    let suppressions = f.suppressed.as_ref().map(|s| {
        vec![Suppression {
            kind: match s.kind {
                SuppressionKind::Metadata => "inSource",
                SuppressionKind::Config | SuppressionKind::Baseline => "external",
            },
            status: "accepted",
            justification: format!("{}: {}", s.kind.as_str(), s.reason),
        }]
    });
    SarifResult {
        rule_id: f.rule.id.clone(),
        level: level(f.severity),
        message: text(format!("{} ({})", f.message, f.resource)),
        locations: vec![Location {
            physical_location: physical(&file_uri, region(&f.location)),
            logical_locations: Some(vec![LogicalLocation {
                name: f.resource.clone(),
                kind: "resource",
            }]),
        }],
        partial_fingerprints: [("tollgate/v1", f.fingerprint.clone())].into(),
        properties: ResultProperties {
            severity: severity_name(f.severity),
            pointer: f.pointer.clone(),
        },
        rule_index: run.rules.iter().position(|x| x.id == f.rule.id),
        related_locations: (!related.is_empty()).then_some(related),
        suppressions,
    }
}

fn notification(run: &Run, p: &ProblemRecord) -> Notification {
    let locations = match (p.source, &p.file, p.position) {
        (Source::Load | Source::Resolve, Some(file), Some(pos)) => Some(vec![Location {
            physical_location: physical(
                &artifact(run, file),
                Region {
                    start_line: pos.line,
                    start_column: pos.column,
                    end_line: None,
                    end_column: None,
                },
            ),
            logical_locations: None,
        }]),
        _ => None,
    };
    Notification {
        level: match p.level {
            Level::Error => "error",
            Level::Warning => "warning",
        },
        message: text(p.text.clone()),
        descriptor: p.code.clone().map(|id| DescriptorReference { id }),
        locations,
    }
}

pub fn render(run: &Run) -> Result<String> {
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for d in &run.diagnostics {
        // SARIF always carries suppressed findings, marked, so code scanning can dismiss them.
        if let Some(f) = d.finding() {
            results.push(result(run, d.file.as_deref().unwrap_or_default(), f));
        }
    }
    // The run's own warnings last, after every file's and policy's problems.
    let (own, others): (Vec<&ProblemRecord>, Vec<&ProblemRecord>) =
        run.problems().partition(|p| p.source == Source::Run);
    notifications.extend(others.into_iter().chain(own).map(|p| notification(run, p)));

    let sarif_run = model::Run {
        tool: Tool {
            driver: Driver {
                name: "tollgate",
                version: VERSION,
                semantic_version: VERSION,
                rules: run.rules.iter().map(|r| descriptor(r)).collect(),
            },
        },
        column_kind: "unicodeCodePoints",
        original_uri_base_ids: [(
            SRCROOT,
            ArtifactLocationBase {
                description: text("The directory tollgate ran in."),
            },
        )]
        .into(),
        invocations: vec![Invocation {
            execution_successful: !run.has_errors(),
            tool_execution_notifications: notifications,
        }],
        results,
        // Distinct categories per shard: code scanning keeps every shard's upload.
        automation_details: run.shard.map(|(k, n)| AutomationDetails {
            id: format!("tollgate/shard-{k}-of-{n}/"),
        }),
    };
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![sarif_run],
    };
    let mut text = serde_json::to_string_pretty(&log).into_diagnostic()?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SarifRoot;

    #[test]
    fn uris_are_relative_to_the_source_root_and_percent_encoded() {
        let mut run = Run::new(Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let uri = |run: &Run, f: &str| {
            let a = artifact(run, f);
            (a.uri, a.uri_base_id)
        };
        let rel = |s: &str| (s.to_string(), Some(SRCROOT));
        assert_eq!(
            uri(&run, "./templates/my stack.yaml"),
            rel("templates/my%20stack.yaml")
        );
        assert_eq!(uri(&run, "a\\b.json"), rel("a/b.json"));
        assert_eq!(uri(&run, "ü%#.yaml"), rel("%C3%BC%25%23.yaml"));
        run.sarif_root = Some(SarifRoot {
            root: "/repo".into(),
            cwd: "/repo/infra".into(),
        });
        assert_eq!(uri(&run, "web.yaml"), rel("infra/web.yaml"));
        assert_eq!(uri(&run, "../stacks/db.yaml"), rel("stacks/db.yaml"));
        assert_eq!(uri(&run, "/repo/x/./y.json"), rel("x/y.json"));
        assert_eq!(
            uri(&run, "/elsewhere/t.yaml"),
            ("file:///elsewhere/t.yaml".to_string(), None)
        );
    }
}

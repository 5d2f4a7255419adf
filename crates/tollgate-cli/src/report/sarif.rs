//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning. One `reportingDescriptor` per rule
//! (help text, `security-severity`), relative URIs, regions in characters, fingerprints, and
//! suppressed findings as `suppressions` (code scanning shows them as dismissed).

use super::{line_cols, remediation, severity_name, Run};
use crate::baseline::normalize_path;
use crate::suppress::SuppressionKind;
use miette::{IntoDiagnostic, Result};
use serde_json::{json, Value};
use tollgate_policy::Severity;
use tollgate_template::{SourceFile, Span};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

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

fn region(src: &SourceFile, span: Span) -> Value {
    let ((sl, sc), (el, ec)) = line_cols(src, span);
    json!({"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec})
}

fn physical(uri: &str, region: Value) -> Value {
    json!({
        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
        "region": region,
    })
}

/// RFC 3986 percent-encoding of a relative path, keeping `/`.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in normalize_path(path).bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn render(run: &Run) -> Result<String> {
    let rules: Vec<Value> = run
        .rules
        .iter()
        .map(|r| {
            let mut tags = vec![json!("security")];
            let (short, full, help, help_uri) = match &r.meta {
                Some(m) => {
                    tags.extend(m.compliance.iter().map(|c| json!(c)));
                    let help = format!(
                        "{}\n\nCloudFormation:\n{}\n\nTerraform:\n{}",
                        m.rationale.trim(),
                        remediation(m, tollgate_template::InputKind::CloudFormation),
                        remediation(m, tollgate_template::InputKind::TerraformPlan),
                    );
                    let markdown = format!(
                        "{}\n\n**Compliance:** {}\n\n### CloudFormation\n\n{}\n\n### Terraform\n\n{}",
                        m.rationale.trim(),
                        m.compliance.join(", "),
                        remediation(m, tollgate_template::InputKind::CloudFormation),
                        remediation(m, tollgate_template::InputKind::TerraformPlan),
                    );
                    (
                        m.title.clone(),
                        m.description.trim().to_string(),
                        json!({"text": help, "markdown": markdown}),
                        m.references.first().cloned(),
                    )
                }
                None => (
                    format!("User policy {}", r.id),
                    format!("Rule {} from a --policy-dir policy.", r.id),
                    json!({"text": format!("See the policy that defines {}.", r.id)}),
                    None,
                ),
            };
            let mut d = json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "help": help,
                "defaultConfiguration": {"level": level(r.severity)},
                "properties": {
                    "security-severity": security_severity(r.severity),
                    "severity": severity_name(r.severity),
                    "precision": "high",
                    "tags": tags,
                },
            });
            if let Some(u) = help_uri {
                d["helpUri"] = json!(u);
            }
            d
        })
        .collect();

    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for file in &run.files {
        for e in file.errors.iter().chain(&file.warnings) {
            let level = if e.kind.is_warning() {
                "warning"
            } else {
                "error"
            };
            let mut n = json!({"level": level, "message": {"text": e.to_string()},
                               "descriptor": {"id": e.kind.code()}});
            if let Some(p) = e.position {
                n["locations"] = json!([{"physicalLocation": physical(
                    &uri(e.file_name()),
                    json!({"startLine": p.line, "startColumn": p.column}),
                )}]);
            }
            notifications.push(n);
        }
        for p in &file.problems {
            notifications.push(json!({"level": "error", "message": {"text": p.to_string()},
                                      "descriptor": {"id": p.code}}));
        }
        for e in &file.eval_errors {
            notifications.push(json!({"level": "error",
                "message": {"text": format!("{}: {e}", file.name)},
                "descriptor": {"id": super::json::code_of(e)}}));
        }
        let Some(loaded) = &file.loaded else { continue };
        let src = &loaded.source;
        let file_uri = uri(&file.name);
        // SARIF always carries suppressed findings, marked, so code scanning can dismiss them.
        for r in &file.findings {
            let f = &r.finding;
            let rule_index = run.rules.iter().position(|x| x.id == f.rule);
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(r.severity),
                "message": {"text": format!("{} ({})", f.message, f.resource)},
                "locations": [{
                    "physicalLocation": physical(&file_uri, region(src, f.span)),
                    "logicalLocations": [{"name": f.resource, "kind": "resource"}],
                }],
                "partialFingerprints": {"tollgate/v1": r.fingerprint},
                "properties": {"severity": severity_name(r.severity), "pointer": f.pointer},
            });
            if let Some(i) = rule_index {
                result["ruleIndex"] = json!(i);
            }
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        json!({"id": i + 1,
                               "physicalLocation": physical(&file_uri, region(src, rel.span)),
                               "message": {"text": rel.message}})
                    })
                    .collect();
            }
            if let Some(s) = &r.suppressed {
                let kind = match s.kind {
                    SuppressionKind::Metadata => "inSource",
                    SuppressionKind::Config | SuppressionKind::Baseline => "external",
                };
                result["suppressions"] = json!([{
                    "kind": kind,
                    "status": "accepted",
                    "justification": format!("{}: {}", s.kind.as_str(), s.reason),
                }]);
            }
            results.push(result);
        }
    }
    for e in &run.policy_errors {
        notifications.push(json!({"level": "error", "message": {"text": e.to_string()},
                                  "descriptor": {"id": super::json::code_of(e)}}));
    }
    for e in &run.discovery_errors {
        notifications.push(json!({"level": "error", "message": {"text": e},
                                  "descriptor": {"id": "tollgate::discover"}}));
    }
    for w in &run.warnings {
        notifications.push(json!({"level": "warning", "message": {"text": w}}));
    }

    let mut sarif_run = json!({
        "tool": {"driver": {
            "name": "tollgate",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }},
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory tollgate ran in."}}},
        "invocations": [{
            "executionSuccessful": !run.has_errors(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    if let Some((k, n)) = run.shard {
        // Distinct categories per shard: code scanning keeps every shard's upload.
        sarif_run["automationDetails"] = json!({"id": format!("tollgate/shard-{k}-of-{n}/")});
    }
    let doc = json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [sarif_run]});
    let mut text = serde_json::to_string_pretty(&doc).into_diagnostic()?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(
            uri("./templates/my stack.yaml"),
            "templates/my%20stack.yaml"
        );
        assert_eq!(uri("a\\b.json"), "a/b.json");
    }
}

//! `--format json`: the version-1 report (findings, errors, summary), stable for scripts.

use super::Run;
use miette::{IntoDiagnostic, Result};
use serde_json::{json, Value};
use tollgate_template::{SourceFile, Span};

fn position(src: &SourceFile, span: Span) -> Value {
    let s = src.position(span.start);
    let e = src.position(span.end);
    json!({"start": {"line": s.line, "column": s.column}, "end": {"line": e.line, "column": e.column}})
}

pub fn write(run: &Run) -> Result<()> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for file in &run.files {
        if let Some(e) = &file.error {
            errors.push(json!({
                "file": e.file_name(),
                "code": e.kind.code(),
                "message": e.message(),
                "location": e.position.map(|p| json!({"start": {"line": p.line, "column": p.column}})),
            }));
        }
        for e in &file.eval_errors {
            errors.push(
                json!({"file": file.name, "code": "tollgate::policy", "message": e.to_string()}),
            );
        }
        let Some(loaded) = &file.loaded else { continue };
        let src = &loaded.source;
        for f in &file.findings {
            let meta = run.meta(&f.rule);
            let resource_type = resource_type(loaded, &f.resource);
            findings.push(json!({
                "rule": f.rule,
                "severity": run.severity(&f.rule),
                "compliance": meta.map(|m| m.compliance.clone()).unwrap_or_default(),
                "file": file.name,
                "format": loaded.kind.as_str(),
                "resource": f.resource,
                "resource_type": resource_type,
                "path": f.pointer,
                "message": f.message,
                "location": position(src, f.span),
                "related": f.related.iter().map(|r| {
                    let mut loc = position(src, r.span);
                    loc["file"] = json!(file.name);
                    json!({"message": r.message, "location": loc})
                }).collect::<Vec<_>>(),
                "suppressed": Value::Null,
            }));
        }
    }
    for e in &run.policy_errors {
        errors.push(
            json!({"file": Value::Null, "code": "tollgate::policy", "message": e.to_string()}),
        );
    }
    for e in &run.discovery_errors {
        errors.push(json!({"file": Value::Null, "code": "tollgate::discover", "message": e}));
    }
    let out = json!({
        "version": 1,
        "summary": {
            "files_scanned": run.files.iter().filter(|f| f.loaded.is_some()).count(),
            "findings": findings.len(),
            "suppressed": 0,
            "errors": errors.len(),
        },
        "findings": findings,
        "errors": errors,
    });
    let mut text = serde_json::to_string_pretty(&out).into_diagnostic()?;
    text.push('\n');
    super::emit(&text)
}

/// The CloudFormation `Type` or the Terraform resource type of a finding's resource.
pub fn resource_type(loaded: &tollgate_template::Loaded, resource: &str) -> Value {
    let doc = loaded.inputs.first().map(|i| i.value());
    match loaded.kind {
        tollgate_template::InputKind::CloudFormation => doc
            .and_then(|d| d.get("Resources")?.get(resource)?.get("Type").cloned())
            .unwrap_or(Value::Null),
        tollgate_template::InputKind::TerraformPlan => doc
            .and_then(|d| {
                d.get("resources")?
                    .as_array()?
                    .iter()
                    .find(|r| r.get("address").and_then(Value::as_str) == Some(resource))?
                    .get("type")
                    .cloned()
            })
            .unwrap_or(Value::Null),
    }
}

//! `--format json`: the version-1 report (findings, errors, summary), stable for scripts.

use crate::diagnostics::{Body, Level, Location, Run};
use miette::{IntoDiagnostic, Result};
use serde_json::{json, Value};
use tollgate_template::Position;

fn location(l: &Location) -> Value {
    json!({"start": {"line": l.start.line, "column": l.start.column},
           "end": {"line": l.end.line, "column": l.end.column}})
}

fn start(p: Option<Position>) -> Value {
    p.map_or(
        Value::Null,
        |p| json!({"start": {"line": p.line, "column": p.column}}),
    )
}

pub fn render(run: &Run) -> Result<String> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    // Strings (`file:line:col: message`), as the run's own warnings have always been.
    let mut warnings = Vec::new();
    for d in &run.diagnostics {
        match &d.body {
            Body::Problem(p) if p.level == Level::Warning => warnings.push(json!(p.text)),
            Body::Problem(p) => errors.push(json!({
                "file": p.file,
                "code": p.code,
                "message": p.message,
                "location": start(p.position),
            })),
            Body::Finding(f) if run.is_shown(f) => findings.push(json!({
                "rule": f.rule.id,
                "title": f.rule.title,
                "severity": f.severity,
                "compliance": f.rule.meta.as_ref().map(|m| m.compliance.clone()).unwrap_or_default(),
                "file": d.file,
                "format": f.kind.as_str(),
                "resource": f.resource,
                "resource_type": f.resource_type,
                "path": f.pointer,
                "message": f.message,
                "location": location(&f.location),
                "related": f.related.iter().map(|rel| {
                    let mut loc = location(&rel.location);
                    loc["file"] = json!(d.file);
                    json!({"message": rel.message, "location": loc})
                }).collect::<Vec<_>>(),
                "suppressed": f.suppressed.as_ref().map(|s| json!({"kind": s.kind.as_str(), "reason": s.reason})),
                "fingerprint": f.fingerprint,
            })),
            Body::Finding(_) | Body::Skipped(_) => {}
        }
    }
    let counts = run.counts();
    let out = json!({
        "version": 1,
        "summary": {
            "files_scanned": counts.files,
            "findings": counts.findings,
            "suppressed": counts.suppressed,
            "errors": counts.errors,
        },
        "findings": findings,
        "errors": errors,
        "warnings": warnings,
    });
    let mut text = serde_json::to_string_pretty(&out).into_diagnostic()?;
    text.push('\n');
    Ok(text)
}

//! `--format json`: the version-1 report (findings, errors, summary), stable for scripts.

use super::{line_cols, resource_type, Run};
use miette::{IntoDiagnostic, Result};
use serde_json::{json, Value};
use tollgate_template::{SourceFile, Span};

fn location(src: &SourceFile, span: Span) -> Value {
    let ((sl, sc), (el, ec)) = line_cols(src, span);
    json!({"start": {"line": sl, "column": sc}, "end": {"line": el, "column": ec}})
}

pub fn render(run: &Run) -> Result<String> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for file in &run.files {
        for e in &file.errors {
            errors.push(json!({
                "file": e.file_name(),
                "code": e.kind.code(),
                "message": e.message(),
                "location": e.position.map(|p| json!({"start": {"line": p.line, "column": p.column}})),
            }));
        }
        for p in &file.problems {
            errors.push(problem(p));
        }
        for e in &file.eval_errors {
            errors.push(json!({
                "file": file.name,
                "code": code_of(e),
                "message": e.to_string(),
                "location": null,
            }));
        }
        let Some(loaded) = &file.loaded else { continue };
        let src = &loaded.source;
        for r in run.shown(file) {
            let f = &r.finding;
            findings.push(json!({
                "rule": f.rule,
                "severity": r.severity,
                "compliance": run.meta(&f.rule).map(|m| m.compliance.clone()).unwrap_or_default(),
                "file": file.name,
                "format": loaded.kind.as_str(),
                "resource": f.resource,
                "resource_type": resource_type(loaded, f),
                "path": f.pointer,
                "message": f.message,
                "location": location(src, f.span),
                "related": f.related.iter().map(|rel| {
                    let mut loc = location(src, rel.span);
                    loc["file"] = json!(file.name);
                    json!({"message": rel.message, "location": loc})
                }).collect::<Vec<_>>(),
                "suppressed": r.suppressed.as_ref().map(|s| json!({"kind": s.kind.as_str(), "reason": s.reason})),
                "fingerprint": r.fingerprint,
            }));
        }
    }
    for e in &run.policy_errors {
        errors.push(
            json!({"file": null, "code": code_of(e), "message": e.to_string(), "location": null}),
        );
    }
    for e in &run.discovery_errors {
        errors.push(
            json!({"file": null, "code": "tollgate::discover", "message": e, "location": null}),
        );
    }
    // Strings (`file:line:col: message`), as the run's own warnings have always been.
    let warnings: Vec<String> = run
        .warnings
        .iter()
        .cloned()
        .chain(
            run.files
                .iter()
                .flat_map(|f| f.warnings.iter().map(ToString::to_string)),
        )
        .collect();
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

fn problem(p: &crate::problem::Problem) -> Value {
    json!({
        "file": p.file,
        "code": p.code,
        "message": p.message,
        "location": p.line_col.map(|(l, c)| json!({"start": {"line": l, "column": c}})),
    })
}

/// The diagnostic code of a policy error (`tollgate::policy::syntax`, …).
pub fn code_of(e: &tollgate_policy::EvalError) -> String {
    miette::Diagnostic::code(e).map_or_else(|| "tollgate::policy".to_string(), |c| c.to_string())
}

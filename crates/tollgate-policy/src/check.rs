//! Running an engine on a loaded file: every policy input (each variant of a template),
//! pointers turned into source locations, findings of all variants merged without duplicates.

use crate::engine::{Engine, EvalError};
use serde_json::Value;
use tollgate_template::{Loaded, Location, Related, Span};

/// A finding located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    /// Logical id (CloudFormation) or full address (Terraform).
    pub resource: String,
    /// Pointer into the document the policies received (see `docs/input-documents.md`).
    pub pointer: String,
    pub message: String,
    /// Where to point: the value, or the logical-id key for resource-level findings.
    pub span: Span,
    /// Where the value came from (parameter default, mapping entry, `!If` branch), and the
    /// rule's own related pointers.
    pub related: Vec<Related>,
}

/// Evaluates `engine` on every policy input of `loaded`.
pub fn check(
    engine: &dyn Engine,
    loaded: &Loaded,
    options: &Value,
) -> (Vec<Finding>, Vec<EvalError>) {
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut errors = Vec::new();
    for (i, input) in loaded.inputs.iter().enumerate() {
        let (raw, errs) = engine.evaluate(loaded.kind, input.value(), options);
        errors.extend(errs);
        for f in raw {
            let location = locate_nearest(loaded, i, &f.pointer);
            let span = location
                .as_ref()
                .map(|l| l.key.unwrap_or(l.span))
                .unwrap_or_default();
            let mut related = location.map(|l| l.related).unwrap_or_default();
            for r in &f.related {
                if let Some(l) = locate_nearest(loaded, i, &r.pointer) {
                    related.push(Related {
                        span: l.key.unwrap_or(l.span),
                        message: r.message.clone(),
                    });
                }
            }
            let finding = Finding {
                rule: f.rule,
                resource: f.resource,
                pointer: f.pointer,
                message: f.message,
                span,
                related,
            };
            // The same offending node in several variants is one finding.
            if seen.insert((finding.rule.clone(), finding.resource.clone(), finding.span)) {
                findings.push(finding);
            }
        }
    }
    findings.sort_by(|a, b| {
        (a.span.start, &a.rule, &a.resource, &a.pointer).cmp(&(
            b.span.start,
            &b.rule,
            &b.resource,
            &b.pointer,
        ))
    });
    (findings, errors)
}

/// The location of `pointer`, or of its nearest existing parent when a policy names a value
/// that is not there (a missing property): a finding always has a place to point at.
fn locate_nearest(loaded: &Loaded, input: usize, pointer: &str) -> Option<Location> {
    let mut p = pointer;
    loop {
        if let Some(l) = loaded.locate(input, p) {
            return Some(l);
        }
        p = &p[..p.rfind('/')?];
    }
}

/// The rule options when nothing configures them (`admin_ports`: SSH and RDP).
pub fn default_options() -> Value {
    serde_json::json!({"admin_ports": [22, 3389]})
}

//! Running an engine on a loaded file: every policy input (each variant of a template),
//! findings located ([`crate::locate`]), findings of all variants merged without duplicates.

use crate::engine::{Engine, EvalError};
use crate::finding::Finding;
use crate::locate::locate_finding;
use serde_json::Value;

/// Evaluates `engine` on every policy input of `loaded`.
pub fn check(
    engine: &dyn Engine,
    loaded: &tollgate_template::Loaded,
    options: &Value,
) -> (Vec<Finding>, Vec<EvalError>) {
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut errors = Vec::new();
    for (i, input) in loaded.inputs.iter().enumerate() {
        let (raw, errs) = engine.evaluate(loaded.kind, input.value(), options);
        errors.extend(errs);
        for f in raw {
            let finding = locate_finding(loaded, i, f);
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

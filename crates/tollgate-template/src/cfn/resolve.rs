//! Resolution of a template into the document the policies see, with an origin index
//! (resolved pointer → source site, plus related spans such as a parameter's `Default`).
//!
//! This module enumerates the variants; the jobs of one resolution are apart:
//! `context` (parameters, mappings, what the template declares), `condition_check`
//! (undefined and cyclic conditions, before resolution), `walk` (one pass over the
//! template, emitting the resolved document and its index), `eval` (intrinsics with their
//! node indices) and `intrinsics` (the functions computed from known arguments).

mod condition_check;
mod context;
mod eval;
mod intrinsics;
mod walk;

use super::foreach;
use crate::error::{ErrorKind, LoadError};
use crate::index::Indexed;
use crate::source::SourceFile;
use crate::Limits;
use context::Context;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use walk::Run;

/// One resolved document. Templates with undecided conditions have several.
#[derive(Debug)]
pub struct Variant {
    pub doc: Indexed,
    /// The conditions this variant fixed (empty when every condition was decided).
    pub assumptions: BTreeMap<String, bool>,
}

/// A resolved template: its variants, and what resolution found wrong or assumed.
#[derive(Debug)]
pub struct Resolved {
    pub variants: Vec<Variant>,
    /// Each costs a value, not the template (an undeclared name, a malformed intrinsic): the
    /// value is unknown to the policies, and the rest of the template is still checked.
    pub errors: Vec<LoadError>,
    pub warnings: Vec<LoadError>,
}

/// Resolves `template` once per assignment of the undecided conditions that matter, after
/// expanding its `Fn::ForEach` loops ([`super::foreach::expand`]).
/// Only what stops the whole template (too many resources, a loop expanding past the bound)
/// is an `Err`.
pub fn resolve_variants(
    src: &SourceFile,
    template: &Indexed,
    overrides: &BTreeMap<String, Value>,
    limits: &Limits,
) -> Result<Resolved, LoadError> {
    let expansion = foreach::expand(src, template, overrides, limits)?;
    let no_identifiers = BTreeSet::new();
    let (template, loop_identifiers, mut warnings) = match expansion {
        Some(e) => (
            std::borrow::Cow::Owned(e.doc),
            e.unknown_identifiers,
            e.warnings,
        ),
        None => (
            std::borrow::Cow::Borrowed(template),
            no_identifiers,
            Vec::new(),
        ),
    };
    let ctx = Context::new(src, &template, overrides, &loop_identifiers, limits)?;
    let mut variants = Vec::new();
    let mut errors = ctx.errors.clone();
    let mut stack = vec![HashMap::<String, bool>::new()];
    let mut capped: Vec<String> = Vec::new();
    while let Some(forced) = stack.pop() {
        let mut run = Run::new(&ctx, &forced);
        let doc = run.document();
        // Variants meet the same malformed nodes: each is reported once.
        for e in run.errors.drain(..) {
            if !errors
                .iter()
                .any(|x| x.kind == e.kind && x.span() == e.span() && x.message() == e.message())
            {
                errors.push(e);
            }
        }
        let first_undecided = run
            .undecided
            .iter()
            .find(|c| !forced.contains_key(*c))
            .cloned();
        match first_undecided {
            Some(cond) if forced.len() < limits.max_undecided_conditions => {
                // Branch on it; the false branch is evaluated last so true comes first.
                for b in [false, true] {
                    let mut next = forced.clone();
                    next.insert(cond.clone(), b);
                    stack.push(next);
                }
            }
            Some(_) => {
                for c in &run.undecided {
                    if !forced.contains_key(c) && !capped.contains(c) {
                        capped.push(c.clone());
                    }
                }
                variants.push(Variant {
                    doc,
                    assumptions: forced.into_iter().collect(),
                });
            }
            None => variants.push(Variant {
                doc,
                assumptions: forced.into_iter().collect(),
            }),
        }
    }
    if !capped.is_empty() {
        warnings.push(LoadError::file(
            ErrorKind::VariantLimit,
            &src.name,
            format!(
                "more than {} undecided conditions: {} assumed true (checking every combination \
                 would take more than {} variants); give parameter values with --param to decide them",
                limits.max_undecided_conditions,
                capped.join(", "),
                1u64.checked_shl(u32::try_from(limits.max_undecided_conditions).unwrap_or(u32::MAX))
                    .unwrap_or(u64::MAX)
            ),
        ));
    }
    // In document order, whichever check found them.
    errors.sort_by_key(|e| e.span().map(|s| s.start));
    Ok(Resolved {
        variants,
        errors,
        warnings,
    })
}

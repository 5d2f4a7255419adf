//! Evaluating a kind's groups on a document: whole, filtered, or in chunks in parallel; each
//! chunk's findings mapped back to the input; a failing query retried package by package.

use crate::engine::Evaluation;
use std::sync::PoisonError;

use rayon::prelude::*;
use tollgate_template::InputKind;

use super::compile::{kind_segment, KindEngine, Package};
use super::docs::{self, split, Doc};
use super::errors::{dedup_errors, run_error};
use super::group::Group;
use crate::engine::budget;
use crate::engine::common::deny::read_deny;
use crate::engine::EvalError;
use crate::finding::RawFinding;
use crate::locate::ChunkMap;

impl KindEngine {
    pub(super) fn evaluate(
        &self,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> Evaluation {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for group in self.groups.iter().filter(|g| !g.packages.is_empty()) {
            let (f, e) = group.evaluate(self.kind, input, options);
            findings.extend(f);
            errors.extend(e);
        }
        findings.sort();
        findings.dedup();
        dedup_errors(&mut errors);
        (findings, errors)
    }
}

impl Group {
    /// Evaluates the group's packages on `input`: the whole document, the document with only
    /// the resources of the group's types, or chunks of those resources in parallel.
    fn evaluate(
        &self,
        kind: InputKind,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> Evaluation {
        let engine = match self.engine_with(options) {
            Ok(engine) => engine,
            Err(error) => return (Vec::new(), vec![error]),
        };
        let pieces = match split(kind, input, self.scope, self.types.as_ref()) {
            Some(pieces) => pieces,
            None => {
                // Not the usual shape (no resource collection): the whole document.
                let doc = Doc {
                    value: docs::convert(input),
                    map: ChunkMap::Same,
                };
                return self.evaluate_doc(kind, engine, doc);
            }
        };
        let results: Vec<Evaluation> = pieces
            .chunks(self.scope)
            .into_par_iter()
            .map(|chunk| {
                let doc = chunk.build();
                self.evaluate_doc(kind, engine.clone(), doc)
            })
            .collect();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (f, e) in results {
            findings.extend(f);
            errors.extend(e);
        }
        (findings, errors)
    }

    /// Runs the packages on one document; its pointers are mapped back to the input's by the
    /// document's [`ChunkMap`].
    fn evaluate_doc(&self, kind: InputKind, mut engine: regorus::Engine, doc: Doc) -> Evaluation {
        let Doc { value, map } = doc;
        engine.set_input(value);
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let all = format!("data.tollgate.rules.{}", kind_segment(kind));
        let any_suspect = !self
            .over_memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        match budget::bounded(self.memory_limit, any_suspect, || {
            engine.eval_query(all.clone(), false)
        }) {
            Ok(results) => {
                let value = first_value(&results).unwrap_or(serde_json::Value::Null);
                for (name, package) in &self.packages {
                    let deny = value
                        .get(name)
                        .and_then(|p| p.get("deny"))
                        .unwrap_or(&serde_json::Value::Null);
                    collect_deny(package, deny, &mut findings, &mut errors);
                }
            }
            Err(_) => {
                // Find the failing rules; the others still report.
                for (name, package) in &self.packages {
                    let query = format!("{}.deny", package_query(kind, name));
                    let suspect = self
                        .over_memory
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .contains(name);
                    match budget::bounded(self.memory_limit, suspect, || {
                        engine.eval_query(query.clone(), false)
                    }) {
                        Ok(results) => {
                            let deny = first_value(&results).unwrap_or(serde_json::Value::Null);
                            collect_deny(package, &deny, &mut findings, &mut errors);
                        }
                        Err(err) => {
                            if budget::is_memory_limit(&err) {
                                self.over_memory
                                    .lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .insert(name.clone());
                            }
                            errors.push(run_error(
                                &package.id,
                                &package.files,
                                &err,
                                self.memory_limit,
                            ));
                        }
                    }
                }
            }
        }
        for f in &mut findings {
            map.finding_to_input(f);
        }
        (findings, errors)
    }
}

/// A package's `deny` value read into findings; a malformed entry is an error of its rule.
fn collect_deny(
    package: &Package,
    deny: &serde_json::Value,
    findings: &mut Vec<RawFinding>,
    errors: &mut Vec<EvalError>,
) {
    let (found, messages) = read_deny(&package.id, deny);
    findings.extend(found);
    errors.extend(messages.into_iter().map(|message| EvalError::Runtime {
        file: package.files.join(", "),
        message: format!("rule {}: {message}", package.id),
    }));
}

/// `data.tollgate.rules.<kind>["<name>"]`.
fn package_query(kind: InputKind, name: &str) -> String {
    let quoted = serde_json::Value::String(name.to_string()).to_string();
    format!("data.tollgate.rules.{}[{quoted}]", kind_segment(kind))
}

/// The first value of a query's first result, as JSON.
fn first_value(results: &regorus::QueryResults) -> Option<serde_json::Value> {
    let value = &results.result.first()?.expressions.first()?.value;
    serde_json::to_value(value).ok()
}

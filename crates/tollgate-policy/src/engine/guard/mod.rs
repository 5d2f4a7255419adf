//! The Guard engine (cfn-guard).
//!
//! cfn-guard 3.2.1 exposes no compiled-rules API: its evaluator is `pub(crate)` and built on
//! `Rc`, and both public entry points take the rules as text and parse them on every call.
//! This adapter therefore keeps each policy file as validated source (parsed once at
//! construction, so a syntax error is reported before any document is read) and evaluates it
//! through `ValidateBuilder` in *payload* mode with structured JSON output: one call evaluates
//! one rule file against a batch of small documents (one per resource, or one per document for
//! rules that join resources), which bounds memory and amortises the rule parse.
//!
//! `run_checks` is not used for evaluation: its non-verbose report is read back from a
//! `BufWriter`'s internal buffer, so any report longer than 8 KiB comes back truncated (only
//! the bytes after the last flush). It is used only to validate rule files, where just its
//! error matters.
//!
//! Guard reports failing checks with the path of the offending value; custom messages
//! (`<< >>`) are static. The conventions that turn a report into findings (which rule, where it
//! points, what it says) are in `docs/writing-guard-policies.md`.

use crate::engine::Evaluation;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;
use tollgate_template::InputKind;

use super::common::Scope;
use super::{Engine, EvalError};
use crate::finding::{RawFinding, Severity};
use crate::pack::BUILTIN;

mod compile;
mod evaluate;
mod findings;
mod options;
mod report;
mod units;

/// One named rule of a policy file and the tollgate rule id its findings carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRuleName {
    /// The Guard rule name (`sg_ssh_world`).
    pub name: String,
    /// The tollgate rule id (`sg-ssh-world`).
    pub id: String,
}

/// A validated Guard policy file.
#[derive(Debug, Clone)]
pub struct GuardPolicy {
    /// `policies/<id>/<kind>.guard` for built-ins, the path as given for user files.
    pub file: String,
    /// The input kinds the file applies to.
    pub kinds: Vec<InputKind>,
    /// The rules the file declares.
    pub rules: Vec<GuardRuleName>,
    /// `# tollgate: severity=` of a user file (built-ins take theirs from `rule.toml`).
    pub severity: Option<Severity>,
    /// `# tollgate: scope=` (default: once per resource).
    pub scope: Scope,
    /// `# tollgate: types=`: only resources of these types are evaluated (`None`: all).
    pub types: Option<BTreeSet<String>>,
    pub builtin: bool,
    source: String,
}

/// The Guard engine: the built-in pack and any user policy files.
#[derive(Debug, Clone, Default)]
pub struct GuardEngine {
    policies: Vec<GuardPolicy>,
}

impl GuardEngine {
    /// The built-in pack. Errors name the rule files that did not load; the others still do.
    pub fn new() -> (Self, Vec<EvalError>) {
        let mut engine = GuardEngine::default();
        let mut errors = Vec::new();
        for rule in BUILTIN {
            for (kind, name, source) in [
                (
                    InputKind::CloudFormation,
                    "cloudformation",
                    rule.guard_cloudformation,
                ),
                (InputKind::TerraformPlan, "terraform", rule.guard_terraform),
            ] {
                if source.trim().is_empty() {
                    continue;
                }
                let file = format!("policies/{}/{name}.guard", rule.id);
                match GuardPolicy::parse(&file, source, Some((rule.id, kind))) {
                    Ok(policy) => engine.policies.push(policy),
                    Err(e) => errors.push(e),
                }
            }
        }
        (engine, errors)
    }

    /// The built-in pack plus the user policy files at `paths` (files, or directories searched
    /// recursively for `*.guard`). A file that does not load is reported and left out.
    pub fn with_user_policies<P: AsRef<Path>>(paths: &[P]) -> (Self, Vec<EvalError>) {
        let (mut engine, mut errors) = GuardEngine::new();
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let (files, read_errors) = compile::user_files(&paths);
        errors.extend(read_errors);
        for file in files {
            let shown = file.path.display().to_string();
            match GuardPolicy::parse(&shown, &file.text, None) {
                Ok(policy) => {
                    if let Some(dup) = policy.rules.iter().find(|r| engine.has_rule(&r.id)) {
                        errors.push(EvalError::Runtime {
                            file: shown,
                            message: format!("rule id `{}` is already defined", dup.id),
                        });
                    } else {
                        engine.policies.push(policy);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        (engine, errors)
    }

    /// Every loaded policy file.
    pub fn policies(&self) -> &[GuardPolicy] {
        &self.policies
    }

    fn has_rule(&self, id: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.rules.iter().any(|r| r.id == id))
    }
}

impl Engine for GuardEngine {
    fn user_severities(&self) -> Vec<(String, Severity)> {
        self.policies
            .iter()
            .filter(|p| !p.builtin)
            .flat_map(|p| {
                let severity = p.severity.unwrap_or(Severity::Medium);
                p.rules.iter().map(move |r| (r.id.clone(), severity))
            })
            .collect()
    }

    fn evaluate(&self, kind: InputKind, input: &Value, options: &Value) -> Evaluation {
        let options = options::normalize_options(options);
        let policies: Vec<&GuardPolicy> = self
            .policies
            .iter()
            .filter(|p| p.kinds.contains(&kind))
            .collect();
        // Policy files are independent: evaluate them on all cores, keep their order.
        let results: Vec<(Vec<RawFinding>, Option<EvalError>)> = policies
            .into_par_iter()
            .map(|policy| self.evaluate_policy(policy, kind, input, &options))
            .collect();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (mut f, e) in results {
            findings.append(&mut f);
            errors.extend(e);
        }
        (findings, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<GuardEngine>();
    }
}

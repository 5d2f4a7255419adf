//! The Rego engine (regorus).
//!
//! # How rules are found and what they must produce
//!
//! (The user-facing version of this is `docs/writing-rego-policies.md`.)
//!
//! * A rule is a package `tollgate.rules.cloudformation.<name>` or
//!   `tollgate.rules.terraform.<name>`: the package path says which documents it receives, and
//!   rules for the other kind of document are never evaluated. Any other package is a helper
//!   library, loaded beside the rules of both kinds (`policies/lib/tollgate.rego`, package
//!   `tollgate.lib`, is always loaded).
//! * A rule package defines `metadata := {"id": ...}` (a constant object; `title`, `severity`
//!   and `description` are optional and used for users' rules) and a partial set
//!   `deny contains {"message": m, "pointer": p, "resource": r}` — optionally with
//!   `"related": [{"pointer": ..., "message": ...}]`.
//! * Options reach rules as `data.tollgate.options` (e.g. `data.tollgate.options.admin_ports`).
//!
//! # How it runs
//!
//! Every module is parsed and analysed once, when the engine is built: one prepared
//! `regorus::Engine` per input kind. Evaluating a document clones the prepared engine (cheap:
//! modules and analysis are shared), sets the input and queries
//! `data.tollgate.rules.<kind>` once. When that query fails (a rule that errors at run time,
//! or one that exceeds the time limit), each rule package is queried on its own, so the
//! failing rule is named and the others still report.

use crate::engine::Evaluation;
use std::path::PathBuf;
use std::sync::PoisonError;
use std::time::Duration;

use tollgate_template::InputKind;

use crate::engine::{Engine, EvalError};
use crate::finding::Severity;

mod compile;
mod docs;
mod errors;
mod evaluate;
mod extensions;
mod group;
#[cfg(test)]
mod tests;

use compile::{builtin_sources, place, read_policy_files, timer, KindEngine};
use errors::dedup_errors;

/// How long the rules of one kind may run on one document before they are stopped.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);

/// One Rego source file to load.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// The name errors and findings use for the file (a path as given, or `policies/<id>/…`).
    pub file: String,
    pub text: String,
    /// Part of the built-in pack.
    pub builtin: bool,
}

/// A rule a [`RegoEngine`] runs, read from its package and its `metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoRule {
    /// `metadata.id`: the rule id findings carry.
    pub id: String,
    pub kind: InputKind,
    /// The full package path, e.g. `tollgate.rules.terraform.sg_ssh_world`.
    pub package: String,
    /// The files that define the package.
    pub files: Vec<String>,
    pub builtin: bool,
    /// `metadata.title`, if given.
    pub title: Option<String>,
    /// `metadata.severity`, if given (`info`, `low`, `medium`, `high`, `critical`).
    pub severity: Option<Severity>,
    /// `metadata.description`, if given.
    pub description: Option<String>,
}

/// The Rego engine: every built-in and user policy compiled once, evaluated per document.
pub struct RegoEngine {
    cloudformation: KindEngine,
    terraform: KindEngine,
    rules: Vec<RegoRule>,
}

impl std::fmt::Debug for RegoEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoEngine")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl RegoEngine {
    /// The built-in pack only.
    pub fn builtin() -> Result<Self, Vec<EvalError>> {
        let (engine, errors) = Self::from_sources(Vec::new(), true);
        if errors.is_empty() {
            Ok(engine)
        } else {
            Err(errors)
        }
    }

    /// The built-in pack plus users' policies: `.rego` files, and directories searched
    /// recursively for `.rego` files (files named `*_test.rego` hold policy unit tests and are
    /// skipped). A file that cannot be read or does not compile is reported and left out; the
    /// rest is loaded.
    pub fn with_user_policies(paths: &[PathBuf]) -> (Self, Vec<EvalError>) {
        let (sources, mut errors) = read_policy_files(paths);
        let (engine, more) = Self::from_sources(sources, true);
        errors.extend(more);
        (engine, errors)
    }

    /// Policies given as text, with the built-in rules if `include_builtin` (the helper library
    /// `tollgate.lib` is always loaded).
    pub fn from_sources(
        sources: Vec<PolicySource>,
        include_builtin: bool,
    ) -> (Self, Vec<EvalError>) {
        let mut all = builtin_sources(include_builtin);
        all.extend(sources);
        let mut errors = Vec::new();

        let placed = place(all, &mut errors);

        let mut rules = Vec::new();
        let cloudformation =
            KindEngine::build(InputKind::CloudFormation, &placed, &mut rules, &mut errors);
        let terraform =
            KindEngine::build(InputKind::TerraformPlan, &placed, &mut rules, &mut errors);
        dedup_errors(&mut errors);
        (
            Self {
                cloudformation,
                terraform,
                rules,
            },
            errors,
        )
    }

    /// The rules this engine runs, with what their `metadata` says.
    pub fn rules(&self) -> &[RegoRule] {
        &self.rules
    }

    /// Changes how long the rules of one kind may run on one document (default
    /// [`DEFAULT_TIME_LIMIT`]).
    pub fn set_time_limit(&mut self, limit: Duration) {
        for kind in [&mut self.cloudformation, &mut self.terraform] {
            for group in &mut kind.groups {
                group.base.set_execution_timer_config(timer(limit));
                *group
                    .with_options
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
    }

    /// Changes how much memory one evaluation of the rules of one kind on one document may
    /// allocate before it is stopped (default [`DEFAULT_MEMORY_LIMIT`]; `None` or 0: no
    /// bound).
    ///
    /// [`DEFAULT_MEMORY_LIMIT`]: crate::engine::budget::DEFAULT_MEMORY_LIMIT
    pub fn set_memory_limit(&mut self, limit: Option<u64>) {
        let limit = limit.filter(|l| *l > 0);
        for kind in [&mut self.cloudformation, &mut self.terraform] {
            for group in &mut kind.groups {
                group.memory_limit = limit;
            }
        }
    }

    fn for_kind(&self, kind: InputKind) -> &KindEngine {
        match kind {
            InputKind::CloudFormation => &self.cloudformation,
            InputKind::TerraformPlan => &self.terraform,
        }
    }
}

impl Engine for RegoEngine {
    fn user_severities(&self) -> Vec<(String, Severity)> {
        self.rules
            .iter()
            .filter(|r| !r.builtin)
            .map(|r| (r.id.clone(), r.severity.unwrap_or(Severity::Medium)))
            .collect()
    }

    fn evaluate(
        &self,
        kind: InputKind,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> Evaluation {
        self.for_kind(kind).evaluate(input, options)
    }
}

//! One adapter per policy language. Each compiles its policies once ([`Engine`] is built
//! once per run) and then evaluates any number of documents, from any thread.

use crate::finding::RawFinding;
use tollgate_template::InputKind;

pub mod budget;
pub mod common;
pub mod guard;
pub mod rego;

/// A policy that failed to load or to run. Names the policy file and, where known, the line.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EvalError {
    #[error("{file}:{line}:{column}: policy does not compile: {message}")]
    #[diagnostic(code(tollgate::policy::syntax))]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("policy {file} failed while evaluating: {message}")]
    #[diagnostic(code(tollgate::policy::runtime))]
    Runtime { file: String, message: String },
    #[error("policy {file} exceeded its {limit} limit")]
    #[diagnostic(
        code(tollgate::policy::limit),
        help(
            "raise the limit with --policy-timeout SECONDS or --policy-memory-limit BYTES if the rule is meant to run that long or hold that much"
        )
    )]
    Limit { file: String, limit: String },
}

/// A compiled set of policies in one language.
pub trait Engine: Send + Sync {
    /// Evaluates every rule for `kind` on `input` (the document as `tollgate inspect` prints it).
    /// `options` is the rule-options object (`{"admin_ports": [22, 3389]}`).
    /// Errors of single rules do not stop the others: they come back beside the findings.
    /// Every user rule and its severity (declared, or medium); built-in rules take theirs
    /// from `rule.toml`.
    fn user_severities(&self) -> Vec<(String, crate::finding::Severity)> {
        Vec::new()
    }

    fn evaluate(
        &self,
        kind: InputKind,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> Evaluation;
}

/// What an evaluation returns: the findings, and the errors of the rules that failed.
pub type Evaluation = (Vec<RawFinding>, Vec<EvalError>);

//! The rules of a run: the built-in pack's metadata and the users' rules (id, severity, and
//! the title and description their policies declare), in one shape for every format.

use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{Engine, RuleMeta, Severity};
use tollgate_template::InputKind;

/// A rule that can run: built-in (with its `rule.toml`) or a user's.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    /// Its own severity, or the `[severity]` override once the run's settings are known.
    pub severity: Severity,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `None` for user rules.
    pub meta: Option<RuleMeta>,
}

impl RuleInfo {
    pub fn builtin(meta: RuleMeta) -> Self {
        RuleInfo {
            id: meta.id.clone(),
            severity: meta.severity,
            title: Some(meta.title.clone()),
            description: Some(meta.description.trim().to_string()),
            meta: Some(meta),
        }
    }

    /// A rule no catalogue knows (a finding of a rule not in the run): its id alone.
    pub fn unknown(id: &str) -> Self {
        RuleInfo {
            id: id.to_string(),
            severity: Severity::Medium,
            title: None,
            description: None,
            meta: None,
        }
    }

    /// What to do about a finding in a file of `kind`: a built-in rule's remediation, or a
    /// user rule's description.
    pub fn help(&self, kind: InputKind) -> Option<String> {
        match &self.meta {
            Some(m) => Some(remediation(m, kind).to_string()),
            None => self.description.clone(),
        }
    }
}

/// The remediation of a rule for the input kind of a file.
pub fn remediation(meta: &RuleMeta, kind: InputKind) -> &str {
    match kind {
        InputKind::CloudFormation => meta.remediation.cloudformation.trim(),
        InputKind::TerraformPlan => meta.remediation.terraform.trim(),
    }
}

/// The users' rules of a Rego engine, with the metadata their packages declare
/// (`metadata.title`, `metadata.description`; severity medium when not given).
pub fn rego_user_rules(engine: &RegoEngine) -> Vec<RuleInfo> {
    let mut rules: Vec<RuleInfo> = Vec::new();
    for r in engine.rules().iter().filter(|r| !r.builtin) {
        // One id may have a CloudFormation and a Terraform package: the first says it.
        if let Some(known) = rules.iter_mut().find(|k| k.id == r.id) {
            // The last declared severity wins, as it always has.
            known.severity = r.severity.unwrap_or(Severity::Medium);
            known.title = known.title.take().or_else(|| r.title.clone());
            known.description = known.description.take().or_else(|| r.description.clone());
            continue;
        }
        rules.push(RuleInfo {
            id: r.id.clone(),
            severity: r.severity.unwrap_or(Severity::Medium),
            title: r.title.clone(),
            description: r.description.clone(),
            meta: None,
        });
    }
    rules
}

/// The users' rules of a Guard engine: ids and severities (Guard rules declare no title).
pub fn guard_user_rules(engine: &GuardEngine) -> Vec<RuleInfo> {
    engine
        .user_severities()
        .into_iter()
        .map(|(id, severity)| RuleInfo {
            severity,
            ..RuleInfo::unknown(&id)
        })
        .collect()
}

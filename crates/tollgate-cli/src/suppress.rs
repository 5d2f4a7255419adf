//! Suppressions, each with a reason: in a CloudFormation resource's
//! `Metadata: {tollgate: {skip: [{rule, reason}]}}`, and in `tollgate.toml` `[[suppress]]`
//! tables (by rule, file glob and resource, with an optional expiry date).

use crate::config::Config;
use crate::problem::Problem;
use globset::{Glob, GlobMatcher};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tollgate_template::{InputKind, Loaded, Pointer, PointerBuf};

/// Why a finding does not fail the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub kind: SuppressionKind,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// In the template itself (resource `Metadata`).
    Metadata,
    /// In `tollgate.toml`.
    Config,
    /// In the `--baseline` file.
    Baseline,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Metadata => "metadata",
            SuppressionKind::Config => "config",
            SuppressionKind::Baseline => "baseline",
        }
    }
}

/// One active `[[suppress]]` table.
#[derive(Debug)]
struct ConfigSuppression {
    rule: String,
    files: Option<GlobMatcher>,
    resource: Option<String>,
    reason: String,
}

/// The configuration's suppressions, checked once per run.
#[derive(Debug, Default)]
pub struct ConfigSuppressions {
    active: Vec<ConfigSuppression>,
}

impl ConfigSuppressions {
    /// Validates every `[[suppress]]` table: a reason is required and the rule must exist.
    /// Expired ones are dropped with a warning.
    pub fn new(
        config: &Config,
        known_rules: &BTreeSet<String>,
        today: time::Date,
    ) -> Result<(Self, Vec<String>), Vec<Problem>> {
        let mut active = Vec::new();
        let mut warnings = Vec::new();
        let mut problems = Vec::new();
        for entry in &config.file.suppress {
            let span = entry.span();
            let e = entry.get_ref();
            let rule = e.rule.get_ref();
            if !known_rules.contains(rule) {
                problems.push(
                    config
                        .problem(
                            "tollgate::suppress::unknown-rule",
                            e.rule.span(),
                            "no such rule",
                            format!("suppression names an unknown rule {rule:?}"),
                        )
                        .with_help(format!("known rules: {}", join(known_rules))),
                );
                continue;
            }
            let Some(reason) = e.reason.as_ref().filter(|r| !r.trim().is_empty()) else {
                problems.push(
                    config
                        .problem(
                            "tollgate::suppress::no-reason",
                            span,
                            "this suppression",
                            format!("suppression of {rule} has no reason"),
                        )
                        .with_help("add `reason = \"…\"`: say why the finding is accepted"),
                );
                continue;
            };
            let files = match &e.files {
                None => None,
                Some(g) => match Glob::new(g.get_ref()) {
                    Ok(glob) => Some(glob.compile_matcher()),
                    Err(err) => {
                        problems.push(config.problem(
                            "tollgate::config::invalid",
                            g.span(),
                            "not a glob",
                            format!("invalid glob: {err}"),
                        ));
                        continue;
                    }
                },
            };
            if let Some(expires) = &e.expires {
                match parse_date(expires.get_ref()) {
                    Some(date) if date < today => {
                        let start = u32::try_from(expires.span().start).unwrap_or(u32::MAX);
                        let line = config.source.position(start).line;
                        warnings.push(format!(
                            "{}:{line}: the suppression of {rule} expired on {date}; its findings are reported again",
                            config.display_name()
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        problems.push(config.problem(
                            "tollgate::config::invalid",
                            expires.span(),
                            "not a date",
                            "`expires` must be a date: 2027-01-31".to_string(),
                        ));
                        continue;
                    }
                }
            }
            active.push(ConfigSuppression {
                rule: rule.clone(),
                files,
                resource: e.resource.clone(),
                reason: reason.clone(),
            });
        }
        if problems.is_empty() {
            Ok((ConfigSuppressions { active }, warnings))
        } else {
            Err(problems)
        }
    }

    /// The first suppression matching a finding of `rule` on `resource` in `file` (the path
    /// relative to the configuration's directory).
    pub fn find(&self, rule: &str, file: &Path, resource: &str) -> Option<Suppressed> {
        self.active
            .iter()
            .find(|s| {
                s.rule == rule
                    && s.files.as_ref().is_none_or(|g| g.is_match(file))
                    && s.resource.as_deref().is_none_or(|r| r == resource)
            })
            .map(|s| Suppressed {
                kind: SuppressionKind::Config,
                reason: s.reason.clone(),
            })
    }
}

fn parse_date(v: &toml::Value) -> Option<time::Date> {
    let text = match v {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        toml::Value::String(s) => s.clone(),
        _ => return None,
    };
    time::Date::parse(
        &text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

fn join(rules: &BTreeSet<String>) -> String {
    rules.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// `(logical id, rule) → reason` from the resources' `Metadata.tollgate.skip` lists of a
/// CloudFormation template, and a problem for each malformed entry.
pub type MetadataSkips = Vec<(String, String, String)>;

pub fn metadata_skips(
    loaded: &Loaded,
    known_rules: &BTreeSet<String>,
) -> (MetadataSkips, Vec<Problem>) {
    let mut skips = Vec::new();
    let mut problems = Vec::new();
    if loaded.kind != InputKind::CloudFormation {
        return (skips, problems);
    }
    let doc = &loaded.document;
    let Some(resources) = doc.value.get("Resources").and_then(Value::as_object) else {
        return (skips, problems);
    };
    let src = &loaded.source;
    for (id, resource) in resources {
        let Some(skip) = resource.pointer("/Metadata/tollgate/skip") else {
            continue;
        };
        let base =
            PointerBuf::from_tokens(["Resources", id.as_str(), "Metadata", "tollgate", "skip"]);
        let at = |pointer: &Pointer| {
            doc.find(pointer)
                .map(|f| f.info.span.range())
                .unwrap_or(0..0)
        };
        let Some(entries) = skip.as_array() else {
            problems.push(Problem::at(
                "tollgate::suppress::invalid",
                src,
                at(&base),
                "expected a list",
                "`Metadata.tollgate.skip` must be a list of {rule, reason} maps".to_string(),
            ));
            continue;
        };
        for (i, entry) in entries.iter().enumerate() {
            let pointer = base.with_trailing_token(i);
            let rule = entry.get("rule").and_then(Value::as_str);
            let reason = entry
                .get("reason")
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty());
            match (rule, reason) {
                (None, _) => problems.push(Problem::at(
                    "tollgate::suppress::invalid",
                    src,
                    at(&pointer),
                    "no `rule`",
                    format!("a skip entry of {id} has no `rule`"),
                )),
                (Some(rule), _) if !known_rules.contains(rule) => problems.push(
                    Problem::at(
                        "tollgate::suppress::unknown-rule",
                        src,
                        at(&pointer.with_trailing_token("rule")),
                        "no such rule",
                        format!("suppression names an unknown rule {rule:?}"),
                    )
                    .with_help(format!("known rules: {}", join(known_rules))),
                ),
                (Some(rule), None) => problems.push(
                    Problem::at(
                        "tollgate::suppress::no-reason",
                        src,
                        at(&pointer),
                        "this suppression",
                        format!("suppression of {rule} on {id} has no reason"),
                    )
                    .with_help("add `reason: \"…\"`: say why the finding is accepted"),
                ),
                (Some(rule), Some(reason)) => {
                    skips.push((id.clone(), rule.to_string(), reason.to_string()))
                }
            }
        }
    }
    (skips, problems)
}

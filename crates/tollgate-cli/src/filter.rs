//! The filter step, per file, over its findings: rule selection (`--rule`, `--skip-rule`,
//! `rules`/`skip_rules`), then the first matching suppression (template metadata, then
//! `tollgate.toml`, then the baseline), then the severity (`[severity]` overrides). The
//! severity threshold decides which of the kept findings fail the run.

use crate::baseline;
use crate::problem::Problem;
use crate::suppress::{self, ConfigSuppressions, Suppressed, SuppressionKind};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use tollgate_policy::{Finding, Severity};
use tollgate_template::Loaded;

/// One finding with what the run decided about it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub finding: Finding,
    /// After `[severity]` overrides.
    pub severity: Severity,
    pub fingerprint: String,
    pub suppressed: Option<Suppressed>,
}

impl Reported {
    /// Counts against the exit code.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.suppressed.is_none() && self.severity >= threshold
    }
}

/// Everything the filter step needs, resolved once per run (`Settings::resolve`).
#[derive(Debug)]
pub struct Filter {
    /// Rules whose findings are kept.
    pub active: BTreeSet<String>,
    /// Every rule id a suppression may name.
    pub known: BTreeSet<String>,
    /// Every known rule's severity, after overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Findings at or above this severity fail the run.
    pub threshold: Severity,
    pub suppressions: ConfigSuppressions,
    /// Fingerprints accepted by `--baseline`.
    pub baseline: HashSet<String>,
}

impl Default for Filter {
    /// Every rule off, nothing suppressed, every finding failing.
    fn default() -> Self {
        Filter {
            active: BTreeSet::new(),
            known: BTreeSet::new(),
            severity: BTreeMap::new(),
            threshold: Severity::Info,
            suppressions: ConfigSuppressions::default(),
            baseline: HashSet::new(),
        }
    }
}

impl Filter {
    /// The findings of one file that the selection keeps, each with its severity,
    /// fingerprint and suppression; and the file's malformed suppressions. `name` is the
    /// file as reported, `relative` its path relative to tollgate.toml (suppression globs).
    pub fn apply(
        &self,
        name: &str,
        relative: &Path,
        loaded: &Loaded,
        findings: Vec<Finding>,
    ) -> (Vec<Reported>, Vec<Problem>) {
        let (skips, problems) = suppress::metadata_skips(loaded, &self.known);
        let reported = findings
            .into_iter()
            .filter(|f| self.active.contains(&f.rule))
            .map(|f| {
                let fingerprint = baseline::fingerprint(&f.rule, name, &f.resource, &f.pointer);
                let suppressed = self.suppression(&skips, relative, &f, &fingerprint);
                Reported {
                    severity: self.severity_of(&f.rule),
                    finding: f,
                    fingerprint,
                    suppressed,
                }
            })
            .collect();
        (reported, problems)
    }

    /// A rule's severity after overrides (medium for a rule no one declared).
    pub fn severity_of(&self, rule: &str) -> Severity {
        self.severity.get(rule).copied().unwrap_or(Severity::Medium)
    }

    /// The first suppression that matches: in the template, in tollgate.toml, in the baseline.
    fn suppression(
        &self,
        skips: &suppress::MetadataSkips,
        relative: &Path,
        f: &Finding,
        fingerprint: &str,
    ) -> Option<Suppressed> {
        skips
            .iter()
            .find(|(id, rule, _)| *id == f.resource && *rule == f.rule)
            .map(|(_, _, reason)| Suppressed {
                kind: SuppressionKind::Metadata,
                reason: reason.clone(),
            })
            .or_else(|| self.suppressions.find(&f.rule, relative, &f.resource))
            .or_else(|| {
                self.baseline.contains(fingerprint).then(|| Suppressed {
                    kind: SuppressionKind::Baseline,
                    reason: "in the baseline".to_string(),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_template::{load, LoadOptions, Outcome, PointerBuf, Span};

    const TEMPLATE: &str = "Resources:\n  Open:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      tollgate:\n        skip:\n          - rule: sg-ssh-world\n            reason: bastion\n  Other:\n    Type: AWS::EC2::SecurityGroup\n";

    fn loaded() -> Loaded {
        match load("t.yaml", TEMPLATE.as_bytes(), &LoadOptions::default()) {
            Ok(Outcome::Loaded(l)) => *l,
            _ => panic!("the test template loads"),
        }
    }

    fn finding(rule: &str, resource: &str) -> Finding {
        Finding {
            rule: rule.into(),
            resource: resource.into(),
            pointer: PointerBuf::from_tokens(["Resources", resource]),
            message: "m".into(),
            span: Span::new(0, 1),
            related: Vec::new(),
            resource_type: Some("AWS::EC2::SecurityGroup".into()),
        }
    }

    fn filter(active: &[&str]) -> Filter {
        let ids = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        Filter {
            active: ids(active),
            known: ids(&["sg-ssh-world", "sg-rdp-world"]),
            severity: [("sg-ssh-world".to_string(), Severity::High)].into(),
            ..Filter::default()
        }
    }

    #[test]
    fn unselected_rules_are_dropped() {
        let f = filter(&["sg-ssh-world"]);
        let findings = vec![
            finding("sg-rdp-world", "Other"),
            finding("sg-ssh-world", "Other"),
        ];
        let (kept, problems) = f.apply("t.yaml", Path::new("t.yaml"), &loaded(), findings);
        assert!(problems.is_empty());
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].finding.rule, "sg-ssh-world");
        assert_eq!(kept[0].severity, Severity::High);
        assert!(kept[0].fails(Severity::High) && !kept[0].fails(Severity::Critical));
    }

    #[test]
    fn template_metadata_suppresses_its_own_resource_only() {
        let f = filter(&["sg-ssh-world"]);
        let findings = vec![
            finding("sg-ssh-world", "Open"),
            finding("sg-ssh-world", "Other"),
        ];
        let (kept, _) = f.apply("t.yaml", Path::new("t.yaml"), &loaded(), findings);
        let s = kept[0]
            .suppressed
            .as_ref()
            .map(|s| (s.kind, s.reason.as_str()));
        assert_eq!(s, Some((SuppressionKind::Metadata, "bastion")));
        assert!(kept[1].suppressed.is_none());
        assert!(!kept[0].fails(Severity::Info));
    }

    #[test]
    fn the_baseline_suppresses_by_fingerprint() {
        let mut f = filter(&["sg-ssh-world"]);
        let other = finding("sg-ssh-world", "Other");
        f.baseline.insert(baseline::fingerprint(
            &other.rule,
            "t.yaml",
            &other.resource,
            &other.pointer,
        ));
        let (kept, _) = f.apply("./t.yaml", Path::new("t.yaml"), &loaded(), vec![other]);
        assert_eq!(
            kept[0].suppressed.as_ref().map(|s| s.kind),
            Some(SuppressionKind::Baseline)
        );
    }

    #[test]
    fn undeclared_severities_are_medium() {
        assert_eq!(filter(&[]).severity_of("user-rule"), Severity::Medium);
    }
}

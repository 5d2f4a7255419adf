//! One module per output format, all rendering the same [`Run`] to a string.

mod github;
mod human;

pub use human::handler;
mod json;
mod junit;
mod sarif;

use crate::cli::Format;
use crate::problem::Problem;
use crate::suppress::Suppressed;
use miette::Result;
use std::time::Duration;
use tollgate_policy::{EvalError, Finding, RuleMeta, Severity};
use tollgate_template::{InputKind, LoadError, Loaded, SourceFile, Span};

/// Everything one `tollgate check` found.
pub struct Run {
    pub files: Vec<FileReport>,
    /// Policies that did not load.
    pub policy_errors: Vec<EvalError>,
    /// Paths that do not exist or could not be walked.
    pub discovery_errors: Vec<String>,
    /// Every rule that ran: built-in ones with metadata, user ones with an id and severity.
    pub rules: Vec<RuleInfo>,
    /// Findings at or above this severity fail the run.
    pub threshold: Severity,
    /// Show suppressed findings in the formats that hide them by default.
    pub show_suppressed: bool,
    /// Warnings about the run itself (an expired suppression, …).
    pub warnings: Vec<String>,
    /// `--shard K/N`, for SARIF `runAutomationDetails`.
    pub shard: Option<(u32, u32)>,
    pub verbose: bool,
    /// Colour in the human report (a terminal, no `NO_COLOR`, no `--output`).
    pub colour: bool,
    pub elapsed: Duration,
}

/// A rule that ran in this run.
pub struct RuleInfo {
    pub id: String,
    pub severity: Severity,
    /// `None` for user rules.
    pub meta: Option<RuleMeta>,
}

/// One finding with what the run decided about it.
pub struct Reported {
    pub finding: Finding,
    /// After `[severity]` overrides.
    pub severity: Severity,
    pub fingerprint: String,
    pub suppressed: Option<Suppressed>,
}

/// One checked file: its findings, or the errors that stopped it.
pub struct FileReport {
    pub name: String,
    pub loaded: Option<Box<Loaded>>,
    pub findings: Vec<Reported>,
    pub eval_errors: Vec<EvalError>,
    /// The error that stopped the file, or the errors that each cost a value of it (then
    /// `loaded` is set and its findings are reported beside them).
    pub errors: Vec<LoadError>,
    /// Values checked as unknown or assumptions made (a preprocessor tag, the variant bound).
    pub warnings: Vec<LoadError>,
    /// Malformed suppressions in the file.
    pub problems: Vec<Problem>,
    /// Found in a directory, but neither a template nor a plan: why.
    pub skipped: Option<String>,
}

impl FileReport {
    pub fn named(name: String) -> Self {
        FileReport {
            name,
            loaded: None,
            findings: Vec::new(),
            eval_errors: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            problems: Vec::new(),
            skipped: None,
        }
    }

    pub fn error(e: LoadError) -> Self {
        FileReport {
            ..FileReport::named(e.file_name().to_string())
        }
        .with_errors(vec![e])
    }

    fn with_errors(mut self, errors: Vec<LoadError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || !self.eval_errors.is_empty() || !self.problems.is_empty()
    }
}

impl Reported {
    /// Counts against the exit code.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.suppressed.is_none() && self.severity >= threshold
    }
}

/// Totals for summaries.
#[derive(Debug, Default)]
pub struct Counts {
    pub files: usize,
    /// Unsuppressed findings.
    pub findings: usize,
    pub suppressed: usize,
    pub errors: usize,
    /// Unsuppressed findings by severity, highest first.
    pub by_severity: Vec<(Severity, usize)>,
}

impl Run {
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn meta(&self, id: &str) -> Option<&RuleMeta> {
        self.rule(id).and_then(|r| r.meta.as_ref())
    }

    /// Does the run fail (exit 1)?
    pub fn fails(&self) -> bool {
        self.files
            .iter()
            .flat_map(|f| &f.findings)
            .any(|r| r.fails(self.threshold))
    }

    pub fn has_errors(&self) -> bool {
        self.files.iter().any(FileReport::has_errors)
            || !self.policy_errors.is_empty()
            || !self.discovery_errors.is_empty()
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        let mut by = std::collections::BTreeMap::<Severity, usize>::new();
        for f in &self.files {
            c.files += usize::from(f.loaded.is_some());
            c.errors += f.errors.len() + f.eval_errors.len() + f.problems.len();
            for r in &f.findings {
                if r.suppressed.is_some() {
                    c.suppressed += 1;
                } else {
                    c.findings += 1;
                    *by.entry(r.severity).or_default() += 1;
                }
            }
        }
        c.errors += self.policy_errors.len() + self.discovery_errors.len();
        c.by_severity = by.into_iter().rev().collect();
        c
    }

    /// Findings to show: suppressed ones only with `--show-suppressed`.
    pub fn shown<'a>(&'a self, file: &'a FileReport) -> impl Iterator<Item = &'a Reported> + 'a {
        file.findings
            .iter()
            .filter(move |r| self.show_suppressed || r.suppressed.is_none())
    }
}

/// Renders the run in `format`.
pub fn render(run: &Run, format: Format) -> Result<String> {
    match format {
        Format::Human => Ok(human::render(run)),
        Format::Json => json::render(run),
        Format::Sarif => sarif::render(run),
        Format::Junit => junit::render(run),
        Format::Github => Ok(github::render(run)),
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// 1-based (line, column) of a span's start and end.
pub fn line_cols(src: &SourceFile, span: Span) -> ((usize, usize), (usize, usize)) {
    let s = src.position(span.start);
    let e = src.position(span.end);
    ((s.line, s.column), (e.line, e.column))
}

/// The remediation of a rule for the input kind of a file.
pub fn remediation(meta: &RuleMeta, kind: InputKind) -> &str {
    match kind {
        InputKind::CloudFormation => meta.remediation.cloudformation.trim(),
        InputKind::TerraformPlan => meta.remediation.terraform.trim(),
    }
}

/// The CloudFormation `Type` or the Terraform resource type of a finding's resource.
pub fn resource_type(loaded: &Loaded, finding: &Finding) -> Option<String> {
    use serde_json::Value;
    let doc = loaded.inputs.first().map(|i| i.value())?;
    let t = match loaded.kind {
        InputKind::CloudFormation => doc.get("Resources")?.get(&finding.resource)?.get("Type"),
        InputKind::TerraformPlan => {
            let resources = doc.get("resources")?.as_array()?;
            let is_it = |r: &&Value| {
                r.get("address").and_then(Value::as_str) == Some(finding.resource.as_str())
            };
            // The pointer names the resource's index: no scan of a 20,000-resource plan.
            let by_index = finding
                .pointer
                .strip_prefix("/resources/")
                .and_then(|rest| rest.split('/').next()?.parse::<usize>().ok())
                .and_then(|i| resources.get(i))
                .filter(is_it);
            by_index
                .or_else(|| resources.iter().find(is_it))?
                .get("type")
        }
    };
    t.and_then(Value::as_str).map(str::to_string)
}

//! The one list a run produces: every finding and every problem (load, resolve, usage,
//! policy, discovery, the run's own warnings) as a self-contained record, in report order.
//! Every format renders this list and the run's summary data, never a loaded document:
//! `build` makes a file's records while its document is loaded, and the document is dropped.

mod build;
mod frame;
mod plan_excerpt;

pub use build::{of_file, FileReport, RuleIndex};
pub use frame::{Frame, SourceExcerpt};

use crate::catalogue::RuleInfo;
use crate::suppress::Suppressed;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use tollgate_policy::{EvalError, Severity};
use tollgate_template::{InputKind, PointerBuf, Position, Span};

/// Everything one `tollgate check` found, and what the formats need to summarise it.
pub struct Run {
    /// Run warnings, then each file's records in discovery order, then policy and
    /// discovery errors.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file met, in discovery order, with the range of its records.
    pub files: Vec<FileEntry>,
    /// Every rule that ran, with its severity after overrides.
    pub rules: Vec<Arc<RuleInfo>>,
    /// Findings at or above this severity fail the run.
    pub threshold: Severity,
    /// Show suppressed findings in the formats that hide them by default.
    pub show_suppressed: bool,
    /// `--shard K/N`, for SARIF `runAutomationDetails`.
    pub shard: Option<(u32, u32)>,
    pub verbose: bool,
    /// Colour in the human report (a terminal, no `NO_COLOR`, no `--output`).
    pub colour: bool,
    pub elapsed: Duration,
    /// Where SARIF URIs are relative to; `None`: as the paths were given.
    pub sarif_root: Option<SarifRoot>,
}

/// The source root of SARIF's `%SRCROOT%` and the directory the reported paths are relative to,
/// both absolute and lexically normal (`paths::lexically_normal`).
#[derive(Debug, Clone)]
pub struct SarifRoot {
    pub root: std::path::PathBuf,
    pub cwd: std::path::PathBuf,
}

/// One file met by the run.
pub struct FileEntry {
    pub name: String,
    pub status: FileStatus,
    /// Its records in [`Run::diagnostics`].
    pub diagnostics: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Loaded and evaluated (perhaps with errors that each cost a value).
    Checked,
    /// Could not be read or parsed: nothing of it was checked.
    Failed,
    /// Found in a directory, but neither a template nor a plan.
    Skipped,
}

/// One record of the list.
pub struct Diagnostic {
    /// The file it belongs to, as reported; `None` for the run's own records.
    pub file: Option<String>,
    pub body: Body,
}

pub enum Body {
    Finding(Box<FindingRecord>),
    Problem(Box<ProblemRecord>),
    /// A file found in a directory that is neither a template nor a plan: why.
    Skipped(String),
}

/// A finding, with everything a format shows of it.
pub struct FindingRecord {
    pub rule: Arc<RuleInfo>,
    /// After `[severity]` overrides.
    pub severity: Severity,
    /// The kind of the file (a rule's remediation depends on it).
    pub kind: InputKind,
    /// Logical id (CloudFormation) or address (Terraform).
    pub resource: String,
    /// The CloudFormation `Type` or Terraform resource type.
    pub resource_type: Option<String>,
    /// Pointer into the document the policies received.
    pub pointer: PointerBuf,
    pub message: String,
    pub location: Location,
    pub related: Vec<RelatedRecord>,
    pub fingerprint: String,
    pub suppressed: Option<Suppressed>,
    /// The code frame.
    pub frame: Frame,
}

impl FindingRecord {
    /// Counts against the exit code.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.suppressed.is_none() && self.severity >= threshold
    }

    /// What to do about it: the rule's remediation for this kind of file, or a user rule's
    /// description.
    pub fn help(&self) -> Option<String> {
        self.rule.help(self.kind)
    }
}

/// A span of a file and its 1-based start and end (line, character column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub span: Span,
    pub start: Position,
    pub end: Position,
}

/// A second location that explains a finding (where a value came from).
pub struct RelatedRecord {
    pub message: String,
    pub location: Location,
}

/// Where a problem comes from; formats name some differently (JUnit's case names, GitHub's
/// titles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A file that could not be read or parsed.
    Load,
    /// A value of a loaded file that could not be resolved, or an assumption made.
    Resolve,
    /// A malformed suppression in a file.
    Usage,
    /// A policy that did not load or failed on a file.
    Policy,
    /// A path that does not exist or could not be walked.
    Discovery,
    /// About the run itself (an expired suppression).
    Run,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Exit code 2.
    Error,
    /// Reported; the run does not fail for it.
    Warning,
}

/// A problem that is not a finding.
pub struct ProblemRecord {
    pub source: Source,
    pub level: Level,
    /// The stable code of `docs/errors.md`; `None` for the run's warnings.
    pub code: Option<String>,
    /// What is wrong, without the location.
    pub message: String,
    /// `file:line:column: message`, as one line.
    pub text: String,
    /// The file it is about (a policy error names no file).
    pub file: Option<String>,
    pub position: Option<Position>,
    pub help: Option<String>,
    /// The diagnostic with its code frame, for the human report; `None`: a line of text.
    pub diagnostic: Option<Arc<dyn miette::Diagnostic + Send + Sync>>,
}

/// Totals for summaries.
#[derive(Debug, Default)]
pub struct Counts {
    /// Files loaded and evaluated.
    pub files: usize,
    /// Unsuppressed findings.
    pub findings: usize,
    pub suppressed: usize,
    pub errors: usize,
    /// Unsuppressed findings by severity, highest first.
    pub by_severity: Vec<(Severity, usize)>,
}

impl Diagnostic {
    pub fn finding(&self) -> Option<&FindingRecord> {
        match &self.body {
            Body::Finding(f) => Some(f),
            _ => None,
        }
    }

    pub fn problem(&self) -> Option<&ProblemRecord> {
        match &self.body {
            Body::Problem(p) => Some(p),
            _ => None,
        }
    }
}

impl Run {
    /// Assembles the list: the run's warnings, the files' records, policy errors, then
    /// discovery errors.
    pub fn new(
        warnings: Vec<String>,
        files: Vec<(FileEntry, Vec<Diagnostic>)>,
        policy_errors: Vec<EvalError>,
        discovery_errors: Vec<String>,
        rules: Vec<Arc<RuleInfo>>,
    ) -> Run {
        let mut diagnostics: Vec<Diagnostic> =
            warnings.into_iter().map(build::run_warning).collect();
        let mut entries = Vec::with_capacity(files.len());
        for (mut entry, records) in files {
            let start = diagnostics.len();
            diagnostics.extend(records);
            entry.diagnostics = start..diagnostics.len();
            entries.push(entry);
        }
        diagnostics.extend(policy_errors.into_iter().map(build::policy_error));
        diagnostics.extend(discovery_errors.into_iter().map(build::discovery_error));
        Run {
            diagnostics,
            files: entries,
            rules,
            threshold: Severity::Info,
            show_suppressed: false,
            shard: None,
            verbose: false,
            colour: false,
            elapsed: Duration::ZERO,
            sarif_root: None,
        }
    }

    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id).map(|r| &**r)
    }

    pub fn findings(&self) -> impl Iterator<Item = &FindingRecord> {
        self.diagnostics.iter().filter_map(Diagnostic::finding)
    }

    pub fn problems(&self) -> impl Iterator<Item = &ProblemRecord> {
        self.diagnostics.iter().filter_map(Diagnostic::problem)
    }

    /// The records of one file.
    pub fn of(&self, file: &FileEntry) -> &[Diagnostic] {
        self.diagnostics
            .get(file.diagnostics.clone())
            .unwrap_or_default()
    }

    /// Does the run fail (exit 1)?
    pub fn fails(&self) -> bool {
        self.findings().any(|f| f.fails(self.threshold))
    }

    /// Exit 2: a file, suppression or policy that could not be read, parsed or evaluated.
    pub fn has_errors(&self) -> bool {
        self.problems().any(|p| p.level == Level::Error)
    }

    /// Findings to show: suppressed ones only with `--show-suppressed`.
    pub fn is_shown(&self, f: &FindingRecord) -> bool {
        self.show_suppressed || f.suppressed.is_none()
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            files: self
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Checked)
                .count(),
            errors: self.problems().filter(|p| p.level == Level::Error).count(),
            ..Counts::default()
        };
        let mut by = std::collections::BTreeMap::<Severity, usize>::new();
        for f in self.findings() {
            if f.suppressed.is_some() {
                c.suppressed += 1;
            } else {
                c.findings += 1;
                *by.entry(f.severity).or_default() += 1;
            }
        }
        c.by_severity = by.into_iter().rev().collect();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_template::{ErrorKind, LoadError};

    fn run() -> Run {
        let broken = build::of_file(
            FileReport::error(LoadError::file(ErrorKind::Io, "a.yaml", "cannot read")),
            &RuleIndex::new(&[]),
        );
        let skipped = build::of_file(
            FileReport {
                skipped: Some("a lone scalar".into()),
                ..FileReport::named("b.yaml".into())
            },
            &RuleIndex::new(&[]),
        );
        Run::new(
            vec!["expired".into()],
            vec![broken, skipped],
            Vec::new(),
            vec!["no such path".into()],
            Vec::new(),
        )
    }

    #[test]
    fn the_list_is_run_warnings_then_files_then_run_errors() {
        let run = run();
        let texts: Vec<String> = run
            .diagnostics
            .iter()
            .map(|d| match &d.body {
                Body::Problem(p) => p.text.clone(),
                Body::Skipped(why) => format!("skipped: {why}"),
                Body::Finding(f) => f.message.clone(),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "expired",
                "a.yaml: cannot read",
                "skipped: a lone scalar",
                "no such path"
            ]
        );
        let ranges: Vec<_> = run.files.iter().map(|f| f.diagnostics.clone()).collect();
        assert_eq!(ranges, [1..2, 2..3]);
        assert_eq!(run.of(&run.files[1]).len(), 1);
    }

    #[test]
    fn warnings_do_not_count_as_errors() {
        let run = run();
        let c = run.counts();
        assert_eq!((c.files, c.errors, c.findings), (0, 2, 0));
        assert!(run.has_errors() && !run.fails());
        let statuses: Vec<_> = run.files.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [FileStatus::Failed, FileStatus::Skipped]);
    }
}

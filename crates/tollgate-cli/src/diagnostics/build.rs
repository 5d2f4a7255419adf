//! Making the records: a file's findings and problems while its document is loaded (the
//! only place that reads a [`Loaded`]), and the run's own problems.

use super::frame::{Frame, SourceExcerpt};
use super::{
    plan_excerpt, Body, Diagnostic, FileEntry, FileStatus, FindingRecord, Level, Location,
    ProblemRecord, RelatedRecord, Source,
};
use crate::catalogue::RuleInfo;
use crate::filter::Reported;
use crate::problem::Problem;
use std::collections::HashMap;
use std::sync::Arc;
use tollgate_policy::{EvalError, Finding};
use tollgate_template::{LoadError, Loaded, Position, SourceFile, Span};

/// A line longer than this is not printed as is (terraform writes plans on one line): the
/// frame is a pretty-printed excerpt of the offending resource instead.
const LONG_LINE: usize = 300;

/// One checked file before its records are made: what loading, evaluating and filtering it
/// gave.
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

    /// A file that could not be read or parsed.
    pub fn error(e: LoadError) -> Self {
        let name = e.file_name().to_string();
        FileReport {
            errors: vec![e],
            ..FileReport::named(name)
        }
    }
}

/// The rules of the run by id, shared by every record of their findings.
pub struct RuleIndex(HashMap<String, Arc<RuleInfo>>);

impl RuleIndex {
    pub fn new(rules: &[Arc<RuleInfo>]) -> Self {
        RuleIndex(rules.iter().map(|r| (r.id.clone(), r.clone())).collect())
    }

    fn get(&self, id: &str) -> Arc<RuleInfo> {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| Arc::new(RuleInfo::unknown(id)))
    }
}

/// A file's records, in report order: load or resolve errors, warnings, malformed
/// suppressions, why it was skipped, policy errors, findings. Consumes the report: the
/// loaded document is dropped here.
pub fn of_file(report: FileReport, rules: &RuleIndex) -> (FileEntry, Vec<Diagnostic>) {
    let name = report.name;
    let status = match (&report.skipped, &report.loaded) {
        (Some(_), _) => FileStatus::Skipped,
        (None, Some(_)) => FileStatus::Checked,
        (None, None) => FileStatus::Failed,
    };
    let source = if report.loaded.is_some() {
        Source::Resolve
    } else {
        Source::Load
    };
    let mut bodies: Vec<Body> = Vec::new();
    let problem = |p: ProblemRecord| Body::Problem(Box::new(p));
    bodies.extend(
        report
            .errors
            .into_iter()
            .map(|e| problem(load_error(e, source, Level::Error))),
    );
    bodies.extend(
        report
            .warnings
            .into_iter()
            .map(|e| problem(load_error(e, Source::Resolve, Level::Warning))),
    );
    bodies.extend(report.problems.into_iter().map(|p| problem(usage(p))));
    bodies.extend(report.skipped.map(Body::Skipped));
    bodies.extend(
        report
            .eval_errors
            .into_iter()
            .map(|e| problem(eval_error_in(&name, e))),
    );
    if let Some(loaded) = report.loaded {
        bodies.extend(
            findings(&loaded, report.findings, rules)
                .into_iter()
                .map(|f| Body::Finding(Box::new(f))),
        );
    }
    let records = bodies
        .into_iter()
        .map(|body| Diagnostic {
            file: Some(name.clone()),
            body,
        })
        .collect();
    let entry = FileEntry {
        name,
        status,
        diagnostics: 0..0,
    };
    (entry, records)
}

/// What a finding's code frame shows, before the file's excerpt is cut.
enum Shown {
    /// Spans of the file: the primary one and the related ones on short lines.
    File(Span, Vec<(String, Span)>),
    /// A pretty-printed plan excerpt (the finding is on a long line).
    Excerpt(Frame),
}

fn findings(loaded: &Loaded, reported: Vec<Reported>, rules: &RuleIndex) -> Vec<FindingRecord> {
    let src = &loaded.source;
    let shown: Vec<Shown> = reported.iter().map(|r| shown(loaded, &r.finding)).collect();
    // One excerpt of the file for all its findings: the lines around what each shows.
    let covering = shown.iter().filter_map(|s| match s {
        Shown::File(primary, related) => Some(related.iter().fold(*primary, |a, (_, b)| Span {
            start: a.start.min(b.start),
            end: a.end.max(b.end),
        })),
        Shown::Excerpt(_) => None,
    });
    let excerpt = Arc::new(SourceExcerpt::around(src, covering));
    reported
        .into_iter()
        .zip(shown)
        .map(|(r, shown)| {
            let f = r.finding;
            let frame = match shown {
                Shown::File(primary, related) => Frame {
                    source: excerpt.clone(),
                    primary,
                    related,
                },
                Shown::Excerpt(frame) => frame,
            };
            FindingRecord {
                rule: rules.get(&f.rule),
                severity: r.severity,
                kind: loaded.kind,
                // Filled by the locator, from the variant the finding came from.
                resource_type: f.resource_type.clone(),
                location: location(src, f.span),
                related: f
                    .related
                    .into_iter()
                    .map(|rel| RelatedRecord {
                        location: location(src, rel.span),
                        message: rel.message,
                    })
                    .collect(),
                resource: f.resource,
                pointer: f.pointer,
                message: f.message,
                fingerprint: r.fingerprint,
                suppressed: r.suppressed,
                frame,
            }
        })
        .collect()
}

fn shown(loaded: &Loaded, f: &Finding) -> Shown {
    let src = &loaded.source;
    if line_length(src, f.span.start) > LONG_LINE {
        if let Some(frame) = plan_excerpt::frame(loaded, f) {
            return Shown::Excerpt(frame);
        }
    }
    let related = f
        .related
        .iter()
        .filter(|r| line_length(src, r.span.start) <= LONG_LINE)
        .map(|r| (r.message.clone(), r.span))
        .collect();
    Shown::File(f.span, related)
}

fn line_length(src: &SourceFile, offset: u32) -> usize {
    let line = src.position(offset).line;
    src.line_start(line + 1)
        .saturating_sub(src.line_start(line))
}

fn location(src: &SourceFile, span: Span) -> Location {
    Location {
        span,
        start: src.position(span.start),
        end: src.position(span.end),
    }
}

fn help_of(d: &dyn miette::Diagnostic) -> Option<String> {
    d.help().map(|h| h.to_string())
}

fn load_error(e: LoadError, source: Source, level: Level) -> ProblemRecord {
    ProblemRecord {
        source,
        level,
        code: Some(e.kind.code().to_string()),
        message: e.message().to_string(),
        text: e.to_string(),
        file: Some(e.file_name().to_string()),
        position: e.position,
        help: help_of(&e),
        diagnostic: Some(Arc::new(e)),
    }
}

fn usage(p: Problem) -> ProblemRecord {
    ProblemRecord {
        source: Source::Usage,
        level: Level::Error,
        code: Some(p.code.to_string()),
        message: p.message.clone(),
        text: p.to_string(),
        file: Some(p.file.clone()),
        position: p.line_col.map(|(line, column)| Position { line, column }),
        help: p.help.clone(),
        diagnostic: Some(Arc::new(p)),
    }
}

/// The diagnostic code of a policy error (`tollgate::policy::syntax`, …).
fn code_of(e: &EvalError) -> String {
    miette::Diagnostic::code(e).map_or_else(|| "tollgate::policy".to_string(), |c| c.to_string())
}

/// A policy that failed on one file: a line naming the file, no code frame.
fn eval_error_in(file: &str, e: EvalError) -> ProblemRecord {
    ProblemRecord {
        source: Source::Policy,
        level: Level::Error,
        code: Some(code_of(&e)),
        message: e.to_string(),
        text: format!("{file}: {e}"),
        file: Some(file.to_string()),
        position: None,
        help: help_of(&e),
        diagnostic: None,
    }
}

/// A policy that did not load.
pub(super) fn policy_error(e: EvalError) -> Diagnostic {
    let record = ProblemRecord {
        source: Source::Policy,
        level: Level::Error,
        code: Some(code_of(&e)),
        message: e.to_string(),
        text: e.to_string(),
        file: None,
        position: None,
        help: help_of(&e),
        diagnostic: Some(Arc::new(e)),
    };
    run_record(record)
}

pub(super) fn discovery_error(e: String) -> Diagnostic {
    run_record(line(
        Source::Discovery,
        Level::Error,
        Some("tollgate::discover"),
        e,
    ))
}

pub(super) fn run_warning(w: String) -> Diagnostic {
    run_record(line(Source::Run, Level::Warning, None, w))
}

fn line(source: Source, level: Level, code: Option<&str>, text: String) -> ProblemRecord {
    ProblemRecord {
        source,
        level,
        code: code.map(str::to_string),
        message: text.clone(),
        text,
        file: None,
        position: None,
        help: None,
        diagnostic: None,
    }
}

fn run_record(p: ProblemRecord) -> Diagnostic {
    Diagnostic {
        file: None,
        body: Body::Problem(Box::new(p)),
    }
}

//! The default report: one `miette` diagnostic per finding, with a code frame, the offending
//! value labelled, related labels (where a value came from), and the remediation.

use super::{remediation, severity_name, FileReport, Reported, Run};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;
use tollgate_policy::{Finding, Severity};
use tollgate_template::{Indexed, Limits, Loaded, PolicyInput, SourceFile, Span};

/// A line longer than this is not printed as is (terraform writes plans on one line): the
/// report shows a pretty-printed excerpt of the offending resource instead.
const LONG_LINE: usize = 300;

struct FindingReport {
    title: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for FindingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}
impl fmt::Display for FindingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}
impl std::error::Error for FindingReport {}
impl Diagnostic for FindingReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// The one look of every diagnostic tollgate prints (reports on stdout, errors on stderr).
pub fn handler(colour: bool) -> GraphicalReportHandler {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(100)
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Critical | Severity::High => miette::Severity::Error,
        Severity::Medium => miette::Severity::Warning,
        Severity::Low | Severity::Info => miette::Severity::Advice,
    }
}

pub fn render(run: &Run) -> String {
    let handler = handler(run.colour);
    let mut out = String::new();
    for w in &run.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    for file in &run.files {
        for e in file.errors.iter().chain(&file.warnings) {
            let _ = handler.render_report(&mut out, e);
            out.push('\n');
        }
        for p in &file.problems {
            let _ = handler.render_report(&mut out, p);
            out.push('\n');
        }
        if let (true, Some(reason)) = (run.verbose, &file.skipped) {
            out.push_str(&format!("skipped: {}: {reason}\n", file.name));
        }
        for e in &file.eval_errors {
            out.push_str(&format!("error: {}: {e}\n", file.name));
            if let Some(help) = e.help() {
                out.push_str(&format!("  help: {help}\n"));
            }
        }
        let Some(loaded) = &file.loaded else { continue };
        for r in run.shown(file) {
            let report = finding_report(run, file, loaded, r);
            let _ = handler.render_report(&mut out, &report);
            out.push('\n');
        }
    }
    for e in &run.policy_errors {
        let _ = handler.render_report(&mut out, e);
        out.push('\n');
    }
    for e in &run.discovery_errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out.push_str(&summary(run));
    out
}

/// `12 file(s) checked, 3 finding(s) (2 high, 1 medium), 1 suppressed, 0 error(s) in 0.05s`
fn summary(run: &Run) -> String {
    let c = run.counts();
    let by: Vec<String> = c
        .by_severity
        .iter()
        .map(|(s, n)| format!("{n} {}", severity_name(*s)))
        .collect();
    format!(
        "{} file(s) checked, {} finding(s){}, {} suppressed, {} error(s) in {:.2}s\n",
        c.files,
        c.findings,
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        },
        c.suppressed,
        c.errors,
        run.elapsed.as_secs_f64(),
    )
}

fn finding_report(run: &Run, file: &FileReport, loaded: &Loaded, r: &Reported) -> FindingReport {
    let f = &r.finding;
    let severity = r.severity;
    let meta = run.meta(&f.rule);
    let src = &loaded.source;
    let pos = src.position(f.span.start);
    let compliance = meta.map(|m| m.compliance.join(", ")).unwrap_or_default();
    let title = format!(
        "{}:{}:{}: [{}] {} — {}{}",
        file.name,
        pos.line,
        pos.column,
        match &r.suppressed {
            Some(_) => format!("{}, suppressed", severity_name(severity)),
            None => severity_name(severity).to_string(),
        },
        f.message,
        f.resource,
        if compliance.is_empty() {
            String::new()
        } else {
            format!(" ({compliance})")
        },
    );
    // A suppressed finding is advice: it does not fail the run.
    let level = match r.suppressed {
        Some(_) => miette::Severity::Advice,
        None => miette_severity(severity),
    };
    let mut help = meta.map(|m| remediation(m, loaded.kind).to_string());
    if let Some(s) = &r.suppressed {
        let note = format!("suppressed ({}): {}", s.kind.as_str(), s.reason);
        help = Some(match help {
            Some(h) => format!("{note}\n{h}"),
            None => note,
        });
    }
    let label = meta
        .map(|m| m.title.clone())
        .unwrap_or_else(|| f.message.clone());
    let line_len = line_length(src, f.span.start);
    if line_len > LONG_LINE {
        if let Some(excerpt) = plan_excerpt(loaded, f, &label) {
            return FindingReport {
                title,
                code: f.rule.clone(),
                severity: level,
                help,
                source: excerpt.0,
                labels: excerpt.1,
            };
        }
    }
    let mut labels = vec![LabeledSpan::new_primary_with_span(Some(label), f.span)];
    labels.extend(
        f.related
            .iter()
            .filter(|r| line_length(src, r.span.start) <= LONG_LINE)
            .map(|r| LabeledSpan::new_with_span(Some(r.message.clone()), r.span)),
    );
    FindingReport {
        title,
        code: f.rule.clone(),
        severity: level,
        help,
        source: NamedSource::new(file.name.clone(), src.text.clone()),
        labels,
    }
}

fn line_length(src: &SourceFile, offset: u32) -> usize {
    let line = src.position(offset).line;
    src.line_start(line + 1)
        .saturating_sub(src.line_start(line))
}

/// A pretty-printed copy of the resource's planned state with the offending value labelled.
fn plan_excerpt(
    loaded: &Loaded,
    f: &Finding,
    label: &str,
) -> Option<(NamedSource<Arc<str>>, Vec<LabeledSpan>)> {
    let PolicyInput::Plan(plan) = loaded.inputs.first()? else {
        return None;
    };
    let plan_pointer = plan.plan_pointer(&f.pointer)?;
    let (container, relative) = match plan_pointer.find("/change/after") {
        Some(i) => plan_pointer.split_at(i + "/change/after".len()),
        None => (plan_pointer.as_str(), ""),
    };
    let value = plan.find_in_plan(&loaded.document, container)?.value;
    let text = serde_json::to_string_pretty(value).ok()?;
    let name = format!(
        "{} (resource_changes entry of {}, pretty-printed)",
        loaded.source.name, f.resource
    );
    let excerpt = SourceFile::new(name.clone(), text);
    let index: Indexed = tollgate_template::json::parse(&excerpt, &Limits::default()).ok()?;
    let mut rel = relative;
    let found = loop {
        if let Some(found) = index.find(rel) {
            break found;
        }
        rel = &rel[..rel.rfind('/')?];
    };
    let span: Span = if rel.is_empty() {
        Span { start: 0, end: 1 }
    } else {
        found.info.span
    };
    Some((
        NamedSource::new(name, excerpt.text.clone()),
        vec![LabeledSpan::new_primary_with_span(
            Some(label.to_string()),
            span,
        )],
    ))
}

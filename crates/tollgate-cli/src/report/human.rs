//! The default report: one `miette` diagnostic per finding, with a code frame, the offending
//! value labelled, related labels (where a value came from), and the remediation.

use super::severity_name;
use crate::diagnostics::{Body, FindingRecord, Level, ProblemRecord, Run};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use std::fmt;
use tollgate_policy::Severity;

struct FindingReport<'a> {
    title: String,
    code: &'a str,
    severity: miette::Severity,
    help: Option<String>,
    record: &'a FindingRecord,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}
impl fmt::Display for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}
impl std::error::Error for FindingReport<'_> {}
impl Diagnostic for FindingReport<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'b>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.record.frame.source)
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
    for d in &run.diagnostics {
        match &d.body {
            Body::Problem(p) => problem(&handler, &mut out, p),
            Body::Skipped(reason) if run.verbose => {
                let name = d.file.as_deref().unwrap_or_default();
                out.push_str(&format!("skipped: {name}: {reason}\n"));
            }
            Body::Skipped(_) => {}
            Body::Finding(f) if run.is_shown(f) => {
                let name = d.file.as_deref().unwrap_or_default();
                let _ = handler.render_report(&mut out, &finding_report(name, f));
                out.push('\n');
            }
            Body::Finding(_) => {}
        }
    }
    out.push_str(&summary(run));
    out
}

/// With its code frame when it has one, else one line (and its help).
fn problem(handler: &GraphicalReportHandler, out: &mut String, p: &ProblemRecord) {
    if let Some(d) = &p.diagnostic {
        let _ = handler.render_report(out, &**d);
        out.push('\n');
        return;
    }
    let level = match p.level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    out.push_str(&format!("{level}: {}\n", p.text));
    if let Some(help) = &p.help {
        out.push_str(&format!("  help: {help}\n"));
    }
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

fn finding_report<'a>(file: &str, f: &'a FindingRecord) -> FindingReport<'a> {
    let severity = f.severity;
    let compliance = f
        .rule
        .meta
        .as_ref()
        .map(|m| m.compliance.join(", "))
        .unwrap_or_default();
    let pos = f.location.start;
    let title = format!(
        "{}:{}:{}: [{}] {} — {}{}",
        file,
        pos.line,
        pos.column,
        match &f.suppressed {
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
    let level = match f.suppressed {
        Some(_) => miette::Severity::Advice,
        None => miette_severity(severity),
    };
    let mut help = f.help();
    if let Some(s) = &f.suppressed {
        let note = format!("suppressed ({}): {}", s.kind.as_str(), s.reason);
        help = Some(match help {
            Some(h) => format!("{note}\n{h}"),
            None => note,
        });
    }
    let label = f.rule.title.clone().unwrap_or_else(|| f.message.clone());
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(label),
        f.frame.primary,
    )];
    labels.extend(
        f.frame
            .related
            .iter()
            .map(|(message, span)| LabeledSpan::new_with_span(Some(message.clone()), *span)),
    );
    FindingReport {
        title,
        code: &f.rule.id,
        severity: level,
        help,
        record: f,
        labels,
    }
}

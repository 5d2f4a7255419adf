//! One module per output format, each rendering the run's diagnostics list
//! ([`crate::diagnostics::Run`]) to a string, and nothing else.

mod concise;
mod github;
mod human;
mod json;
mod junit;
mod sarif;

pub use human::handler;

use crate::cli::Format;
use crate::diagnostics::{Body, FindingRecord, ProblemRecord, Run};
use miette::Result;
use tollgate_policy::Severity;

/// Renders the run in `format`.
pub fn render(run: &Run, format: Format) -> Result<String> {
    match format {
        Format::Human => Ok(human::render(run)),
        Format::Json => json::render(run),
        Format::Sarif => sarif::render(run),
        Format::Junit => junit::render(run),
        Format::Github => Ok(github::render(run)),
        Format::Concise => Ok(concise::render(run)),
    }
}

/// A line-per-record format: `problem` and `finding` each write one record's line(s), in
/// the list's order (findings hidden by the run's settings left out), then the totals line.
fn line_per_record(
    run: &Run,
    problem: impl Fn(Option<&str>, &ProblemRecord) -> String,
    finding: impl Fn(&str, &FindingRecord) -> String,
) -> String {
    let mut out = String::new();
    for d in &run.diagnostics {
        let file = d.file.as_deref().map(crate::baseline::normalize_path);
        match &d.body {
            Body::Problem(p) => out.push_str(&problem(file.as_deref(), p)),
            Body::Finding(f) if run.is_shown(f) => {
                out.push_str(&finding(file.as_deref().unwrap_or_default(), f))
            }
            Body::Finding(_) | Body::Skipped(_) => {}
        }
    }
    let c = run.counts();
    out.push_str(&format!(
        "tollgate: {} file(s) checked, {} finding(s), {} suppressed, {} error(s)\n",
        c.files, c.findings, c.suppressed, c.errors
    ));
    out
}

/// What the terminal gets when the report is written to `path`: every error and warning on a
/// line of its own (as `--format concise` writes them), the totals, and where the report is.
pub fn to_stderr_beside_a_file(run: &Run, path: &std::path::Path) -> String {
    let mut text = line_per_record(run, concise::problem, |_, _| String::new());
    text.push_str(&format!("tollgate: report written to {}\n", path.display()));
    text
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

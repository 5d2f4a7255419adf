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
use crate::diagnostics::Run;
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

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

//! One module per output format, all rendering the same [`Run`].

mod human;
mod json;

use crate::cli::Format;
use miette::Result;
use std::time::Duration;
use tollgate_policy::{EvalError, Finding, RuleMeta, Severity};
use tollgate_template::{LoadError, Loaded};

/// Everything one `tollgate check` found.
pub struct Run {
    pub files: Vec<FileReport>,
    pub policy_errors: Vec<EvalError>,
    pub discovery_errors: Vec<String>,
    pub meta: Vec<RuleMeta>,
    /// Severities declared by user rules.
    pub user_severities: Vec<(String, Severity)>,
    pub elapsed: Duration,
}

/// One checked file: its findings, or the error that stopped it.
pub struct FileReport {
    pub name: String,
    pub loaded: Option<Box<Loaded>>,
    pub findings: Vec<Finding>,
    pub eval_errors: Vec<EvalError>,
    pub error: Option<LoadError>,
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
            error: None,
            skipped: None,
        }
    }

    pub fn error(e: LoadError) -> Self {
        FileReport {
            error: Some(e.clone()),
            ..FileReport::named(e.file_name().to_string())
        }
    }
}

impl Run {
    /// Metadata of a rule; user rules have none.
    pub fn meta(&self, rule: &str) -> Option<&RuleMeta> {
        self.meta.iter().find(|m| m.id == rule)
    }

    pub fn severity(&self, rule: &str) -> Severity {
        self.meta(rule)
            .map(|m| m.severity)
            .or_else(|| {
                self.user_severities
                    .iter()
                    .find(|(id, _)| id == rule)
                    .map(|(_, s)| *s)
            })
            .unwrap_or(Severity::Medium)
    }

    pub fn error_count(&self) -> usize {
        self.files
            .iter()
            .map(|f| usize::from(f.error.is_some()) + f.eval_errors.len())
            .sum::<usize>()
            + self.policy_errors.len()
            + self.discovery_errors.len()
    }
}

pub fn write(run: &Run, format: Format, verbose: bool) -> Result<()> {
    match format {
        Format::Human => human::write(run, verbose),
        Format::Json => json::write(run),
    }
}

/// Writes to stdout; a closed pipe (`tollgate check | head`) ends the output quietly.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| miette::miette!("cannot write the report: {e}")),
    }
}

//! `--format github`: GitHub Actions workflow commands, so findings show inline on the pull
//! request (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`).

use super::severity_name;
use crate::diagnostics::{FindingRecord, Level, ProblemRecord, Run, Source};
use tollgate_policy::Severity;

/// Escaping as the runner parses it: `%`, CR and LF in the message; also `:` and `,` in
/// properties.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn render(run: &Run) -> String {
    super::line_per_record(run, problem, finding)
}

fn problem(file: Option<&str>, p: &ProblemRecord) -> String {
    let command = match p.level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let at = match (file, p.position) {
        (Some(file), Some(pos)) => format!(
            "file={},line={},col={},",
            property(file),
            pos.line,
            pos.column
        ),
        (Some(file), None) => format!("file={},", property(file)),
        (None, _) => String::new(),
    };
    let title = match (p.source, &p.code) {
        (Source::Policy, _) => "tollgate policy error",
        (Source::Discovery | Source::Run, _) | (_, None) => "tollgate",
        (_, Some(code)) => code,
    };
    format!(
        "::{command} {at}title={}::{}\n",
        property(title),
        data(&p.message)
    )
}

fn finding(file: &str, f: &FindingRecord) -> String {
    let (start, end) = (f.location.start, f.location.end);
    let title = match &f.rule.title {
        Some(t) => format!("{} [{}]: {t}", f.rule.id, severity_name(f.severity)),
        None => format!("{} [{}]", f.rule.id, severity_name(f.severity)),
    };
    let message = match &f.suppressed {
        Some(s) => format!("{} ({}) — suppressed: {}", f.message, f.resource, s.reason),
        None => format!("{} ({})", f.message, f.resource),
    };
    let cmd = if f.suppressed.is_some() {
        "notice"
    } else {
        command(f.severity)
    };
    format!(
        "::{cmd} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        property(file),
        start.line,
        start.column,
        end.line,
        end.column,
        property(&title),
        data(&message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}

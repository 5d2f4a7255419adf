//! `--format github`: GitHub Actions workflow commands, so findings show inline on the pull
//! request (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`).

use super::{line_cols, severity_name, Run};
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
    let mut out = String::new();
    for w in &run.warnings {
        out.push_str(&format!("::warning title=tollgate::{}\n", data(w)));
    }
    for file in &run.files {
        let name = crate::baseline::normalize_path(&file.name);
        for e in file.errors.iter().chain(&file.warnings) {
            let at = e
                .position
                .map(|p| format!(",line={},col={}", p.line, p.column))
                .unwrap_or_default();
            let command = if e.kind.is_warning() {
                "warning"
            } else {
                "error"
            };
            out.push_str(&format!(
                "::{command} file={}{at},title={}::{}\n",
                property(&name),
                property(e.kind.code()),
                data(e.message())
            ));
        }
        for p in &file.problems {
            let at = p
                .line_col
                .map(|(l, c)| format!(",line={l},col={c}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "::error file={}{at},title={}::{}\n",
                property(&name),
                property(p.code),
                data(&p.message)
            ));
        }
        for e in &file.eval_errors {
            out.push_str(&format!(
                "::error file={},title=tollgate policy error::{}\n",
                property(&name),
                data(&e.to_string())
            ));
        }
        let Some(loaded) = &file.loaded else { continue };
        for r in run.shown(file) {
            let f = &r.finding;
            let ((l, c), (el, ec)) = line_cols(&loaded.source, f.span);
            let title = match run.meta(&f.rule) {
                Some(m) => format!("{} [{}]: {}", f.rule, severity_name(r.severity), m.title),
                None => format!("{} [{}]", f.rule, severity_name(r.severity)),
            };
            let message = match &r.suppressed {
                Some(s) => format!("{} ({}) — suppressed: {}", f.message, f.resource, s.reason),
                None => format!("{} ({})", f.message, f.resource),
            };
            let cmd = if r.suppressed.is_some() {
                "notice"
            } else {
                command(r.severity)
            };
            out.push_str(&format!(
                "::{cmd} file={},line={l},col={c},endLine={el},endColumn={ec},title={}::{}\n",
                property(&name),
                property(&title),
                data(&message)
            ));
        }
    }
    for e in &run.policy_errors {
        out.push_str(&format!(
            "::error title=tollgate policy error::{}\n",
            data(&e.to_string())
        ));
    }
    for e in &run.discovery_errors {
        out.push_str(&format!("::error title=tollgate::{}\n", data(e)));
    }
    let c = run.counts();
    out.push_str(&format!(
        "tollgate: {} file(s) checked, {} finding(s), {} suppressed, {} error(s)\n",
        c.files, c.findings, c.suppressed, c.errors
    ));
    out
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

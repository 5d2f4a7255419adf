//! `--format concise`: one line per finding and per problem,
//! `path:line:col: severity rule-id message (resource)` — greppable, stable, what editors'
//! problem matchers read (as ruff's `--output-format concise`, cfn-lint's `parseable`).

use super::severity_name;
use crate::diagnostics::{FindingRecord, Level, ProblemRecord, Run};

pub fn render(run: &Run) -> String {
    super::line_per_record(run, problem, finding)
}

/// One line, whatever the text holds.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn finding(file: &str, f: &FindingRecord) -> String {
    let at = f.location.start;
    let suppressed = match &f.suppressed {
        Some(s) => format!(" [suppressed: {}]", one_line(&s.reason)),
        None => String::new(),
    };
    format!(
        "{file}:{}:{}: {} {} {} ({}){suppressed}\n",
        at.line,
        at.column,
        severity_name(f.severity),
        f.rule.id,
        one_line(&f.message),
        f.resource
    )
}

pub(super) fn problem(file: Option<&str>, p: &ProblemRecord) -> String {
    let level = match p.level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let at = match (file, p.position) {
        (Some(file), Some(pos)) => format!("{file}:{}:{}: ", pos.line, pos.column),
        (Some(file), None) => format!("{file}: "),
        (None, _) => String::new(),
    };
    let code = p.code.as_deref().unwrap_or("tollgate");
    format!("{at}{level} {code} {}\n", one_line(&p.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_kept_on_one_line() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }
}

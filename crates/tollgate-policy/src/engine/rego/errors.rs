//! regorus's errors turned into [`EvalError`]s: its error text (`\n--> file:line:col\n<snippet>
//! \nerror: message`) read for the place and the message, and its limit errors named.

use std::collections::BTreeSet;

use crate::engine::budget;
use crate::engine::EvalError;

/// Where a regorus error points.
#[derive(Debug)]
pub(super) struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// The `--> file:line:col` of a regorus error's text, if it has one.
pub(super) fn error_location(text: &str) -> Option<Located> {
    let start = text.find("--> ")?.saturating_add(4);
    let rest = text.get(start..)?;
    let location = rest.lines().next()?;
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    let file = parts.next()?.to_string();
    Some(Located { file, line, column })
}

/// regorus puts the message on the last non-empty line, after the source snippet.
fn last_message_line(full: &str) -> &str {
    let line = full
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(full)
        .trim();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// The message of a regorus error without its source snippet.
pub(super) fn error_text(err: &anyhow::Error) -> String {
    let full = format!("{err:#}");
    let message = last_message_line(&full);
    match error_location(&full) {
        Some(at) => format!("{message} (at {}:{}:{})", at.file, at.line, at.column),
        None => message.to_string(),
    }
}

/// A parse or analysis error, at the place regorus names (else line 1 of `file`).
pub(super) fn syntax_error(file: &str, err: &anyhow::Error) -> EvalError {
    let full = format!("{err:#}");
    let message = last_message_line(&full).to_string();
    match error_location(&full) {
        Some(at) => EvalError::Syntax {
            file: at.file,
            line: at.line,
            column: at.column,
            message,
        },
        None => EvalError::Syntax {
            file: file.to_string(),
            line: 1,
            column: 1,
            message,
        },
    }
}

fn is_limit(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<regorus::LimitError>().is_some())
        || format!("{err:#}").contains("exceeded time limit")
        || budget::is_memory_limit(err)
}

/// The limit error of `file`, if `err` is a limit (`memory_limit`: the evaluation's bound).
pub(super) fn limit_error(
    file: String,
    err: &anyhow::Error,
    memory_limit: Option<u64>,
) -> Option<EvalError> {
    if !is_limit(err) {
        return None;
    }
    let limit = match err
        .chain()
        .find_map(|e| e.downcast_ref::<regorus::LimitError>())
    {
        Some(regorus::LimitError::MemoryLimitExceeded { .. }) => memory_name(memory_limit),
        Some(other) => limit_name(other),
        None if budget::is_memory_limit(err) => memory_name(memory_limit),
        None => "time".to_string(),
    };
    Some(EvalError::Limit { file, limit })
}

fn memory_name(limit: Option<u64>) -> String {
    match limit {
        Some(bytes) => format!("memory ({})", budget::show_bytes(bytes)),
        None => "memory".to_string(),
    }
}

fn limit_name(err: &regorus::LimitError) -> String {
    match err {
        regorus::LimitError::TimeLimitExceeded { limit, .. } => {
            format!("time ({} s)", limit.as_secs_f64())
        }
        regorus::LimitError::MemoryLimitExceeded { .. } => "memory".to_string(),
        regorus::LimitError::RegexSizeLimitExceeded { .. } => "regex size".to_string(),
    }
}

/// The error of rule `id` (defined in `files`) that failed while evaluating.
pub(super) fn run_error(
    id: &str,
    files: &[String],
    err: &anyhow::Error,
    memory_limit: Option<u64>,
) -> EvalError {
    let label = files.join(", ");
    if let Some(limit) = limit_error(label.clone(), err, memory_limit) {
        return limit;
    }
    let text = format!("{err:#}");
    let file = error_location(&text)
        .map(|at| at.file)
        .filter(|f| files.contains(f))
        .unwrap_or(label);
    EvalError::Runtime {
        file,
        message: format!("rule {id}: {}", error_text(err)),
    }
}

/// Drops repeated errors (the same message from several chunks or groups).
pub(super) fn dedup_errors(errors: &mut Vec<EvalError>) {
    let mut seen = BTreeSet::new();
    errors.retain(|e| seen.insert(e.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_location_parsing() {
        let at = error_location("\n--> dir/a b.rego:12:5\n   |\n12 | x\n   | ^\nerror: oops");
        assert!(
            matches!(at, Some(Located { file, line: 12, column: 5 }) if file == "dir/a b.rego")
        );
        assert!(error_location("no location").is_none());
    }
}

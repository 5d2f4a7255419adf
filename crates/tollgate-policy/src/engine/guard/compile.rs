//! Loading Guard policy files: each parsed once to validate it (cfn-guard offers no compiled
//! form), its `# tollgate:` header and its rule names read.

use std::path::PathBuf;

use cfn_guard::ValidateInput;
use tollgate_template::InputKind;

use super::{GuardPolicy, GuardRuleName};
use crate::engine::common::files::{read_policy_files, PolicyFile, ReadFailure};
use crate::engine::common::{Header, Scope};
use crate::engine::EvalError;

impl GuardPolicy {
    /// Validates `source` and reads its `# tollgate:` header. `builtin` gives the rule id and
    /// input kind of a built-in file.
    pub(super) fn parse(
        file: &str,
        source: &str,
        builtin: Option<(&str, InputKind)>,
    ) -> Result<Self, EvalError> {
        validate_syntax(file, source)?;
        let header = Header::read(file, source)?;
        let names = rule_names(source);
        let rules = names
            .into_iter()
            .map(|name| {
                let id = match builtin {
                    Some((id, _)) if name == id.replace('-', "_") => id.to_string(),
                    _ => name.replace('_', "-"),
                };
                GuardRuleName { name, id }
            })
            .collect();
        let kinds = match builtin {
            Some((_, kind)) => vec![kind],
            None => header
                .input
                .unwrap_or_else(|| vec![InputKind::CloudFormation, InputKind::TerraformPlan]),
        };
        Ok(GuardPolicy {
            file: file.to_string(),
            kinds,
            rules,
            severity: header.severity,
            // Without `scope`, a Guard file is evaluated once per resource.
            scope: header.scope.unwrap_or(Scope::Resource),
            types: header.types,
            builtin: builtin.is_some(),
            source: source.to_string(),
        })
    }
}

/// Parses the rules once (cfn-guard offers no other way than a `run_checks` on an empty
/// document) and turns a parse error into [`EvalError::Syntax`] with its 1-based position.
fn validate_syntax(file: &str, source: &str) -> Result<(), EvalError> {
    let result = cfn_guard::run_checks(
        ValidateInput {
            content: "{}",
            file_name: "validate.json",
        },
        ValidateInput {
            content: source,
            file_name: file,
        },
        false,
    );
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.to_string();
            match parse_position(&message) {
                Some((line, column)) => Err(EvalError::Syntax {
                    file: file.to_string(),
                    line,
                    column,
                    message: clean_parse_message(&message),
                }),
                // Not a parse error (an evaluation error on the empty document): the file
                // parsed, and real evaluation errors surface when documents are checked.
                None if message.contains("Pars") => Err(EvalError::Syntax {
                    file: file.to_string(),
                    line: 1,
                    column: 1,
                    message: clean_parse_message(&message),
                }),
                None => Ok(()),
            }
        }
    }
}

/// `... at line 4 at column 12, ...` (cfn-guard's parser positions are 1-based).
fn parse_position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let line_end = rest.find(|c: char| !c.is_ascii_digit())?;
    let line = rest[..line_end].parse().ok()?;
    let rest = &rest[rest.find("column ")? + "column ".len()..];
    let col_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let column = rest[..col_end].parse().ok()?;
    Some((line, column))
}

/// cfn-guard wraps its parser message twice ("Parser Error when parsing `Parser Error when
/// parsing `Parsing Error Error parsing file F at line L at column C, when handling X, fragment
/// Y``"): keep "X" and the fragment's first line.
fn clean_parse_message(message: &str) -> String {
    let Some(start) = message.find("when handling ") else {
        return message.trim().to_string();
    };
    let rest = &message[start + "when handling ".len()..];
    let (what, fragment) = match rest.find(", fragment ") {
        Some(i) => (&rest[..i], &rest[i + ", fragment ".len()..]),
        None => (rest, ""),
    };
    let fragment = fragment
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('`'))
        .unwrap_or("");
    let what = what.trim();
    match (what.is_empty(), fragment.is_empty()) {
        (true, true) => "syntax error".to_string(),
        (true, false) => format!("unexpected `{fragment}`"),
        (false, true) => what.to_string(),
        (false, false) => format!("{what} (at `{fragment}`)"),
    }
}

/// The names of the top-level `rule <name>` declarations.
fn rule_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("rule ") else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Users' `.guard` files at `paths` (files, or directories searched recursively), read; a
/// path that cannot be read is an error.
pub(super) fn user_files(paths: &[PathBuf]) -> (Vec<PolicyFile>, Vec<EvalError>) {
    let (files, failures) =
        read_policy_files(paths, |p| p.extension().is_some_and(|x| x == "guard"));
    let errors = failures
        .into_iter()
        .map(|failure| match failure {
            ReadFailure::Directory { root, message, .. } => EvalError::Runtime {
                file: root.display().to_string(),
                message: format!("cannot read the policy directory: {message}"),
            },
            ReadFailure::File { path, message } => EvalError::Runtime {
                file: path.display().to_string(),
                message: format!("cannot read the policy file: {message}"),
            },
        })
        .collect();
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_positions_are_read_from_the_message() {
        let m = "Parser Error when parsing `Parsing Error Error parsing file r at line 4 at column 12, when handling expecting x, fragment  \n}\n`";
        assert_eq!(parse_position(m), Some((4, 12)));
        assert_eq!(clean_parse_message(m), "expecting x (at `}`)");
        assert_eq!(parse_position("no position"), None);
    }
}

//! One module per subcommand, and what they share.

pub mod check;
pub mod explain;
pub mod inspect;
pub mod rules;
pub mod test;

use crate::catalogue::{self, RuleInfo};
use crate::cli::EngineChoice;
use crate::problem::Problem;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{Engine, EvalError};
use tollgate_template::{ErrorKind, Limits, LoadError};

/// A compiled engine, the users' rules it holds, and the policies that did not load.
pub struct Built {
    pub engine: Box<dyn Engine>,
    pub user_rules: Vec<RuleInfo>,
    pub errors: Vec<EvalError>,
}

/// Compiles the built-in pack and the user policies of `dirs` once, for the whole run.
/// `timeout` and `memory` (bytes, 0: none) bound Rego evaluation per document (Guard has no
/// loops and creates no values); `None`: the defaults.
pub fn build_engine(
    choice: EngineChoice,
    dirs: &[PathBuf],
    timeout: Option<Duration>,
    memory: Option<u64>,
) -> Built {
    match choice {
        EngineChoice::Rego => {
            let (mut e, errors) = RegoEngine::with_user_policies(dirs);
            if let Some(t) = timeout {
                e.set_time_limit(t);
            }
            if let Some(m) = memory {
                e.set_memory_limit(Some(m));
            }
            let user_rules = catalogue::rego_user_rules(&e);
            Built {
                engine: Box::new(e),
                user_rules,
                errors,
            }
        }
        EngineChoice::Guard => {
            let (e, errors) = GuardEngine::with_user_policies(dirs);
            let user_rules = catalogue::guard_user_rules(&e);
            Built {
                engine: Box::new(e),
                user_rules,
                errors,
            }
        }
    }
}

/// The users' rules of the policies in `dirs`, for `rules` and `explain`; the policies that
/// did not load are printed, and give exit code 2.
pub fn user_rules(choice: EngineChoice, dirs: &[PathBuf]) -> Result<Vec<RuleInfo>, ExitCode> {
    if dirs.is_empty() {
        return Ok(Vec::new());
    }
    let built = build_engine(choice, dirs, None, None);
    if !built.errors.is_empty() {
        for e in &built.errors {
            eprintln!("error: {e}");
        }
        return Err(ExitCode::from(2));
    }
    Ok(built.user_rules)
}

/// Reads a template or plan, refusing one over the size limit before reading it (the
/// loader checks the bytes it is given too, but a 10 GB file should not be read at all).
/// Pipes and standard input (`stdin`) have no size to check first: they are read up to one
/// byte past the limit. Every subcommand that loads files reads them here.
pub fn read_file(
    name: &str,
    path: &Path,
    stdin: bool,
    limits: &Limits,
) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let io = |e: std::io::Error| LoadError::file(ErrorKind::Io, name, format!("cannot read: {e}"));
    let limit = limits.max_file_bytes;
    let too_large = |size: u64| {
        LoadError::file(
            ErrorKind::TooLarge,
            name,
            format!(
                "the file is {size} bytes, more than the limit of {limit}; raise it with --max-file-size BYTES"
            ),
        )
    };
    let reader: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if meta.is_file() && meta.len() > limit as u64 {
            return Err(too_large(meta.len()));
        }
        Box::new(file)
    };
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > limit {
        return Err(LoadError::file(
            ErrorKind::TooLarge,
            name,
            format!(
                "more than {limit} bytes read, more than the limit; raise it with --max-file-size BYTES"
            ),
        ));
    }
    Ok(bytes)
}

/// Prints problems that stop a command before it starts, and gives exit code 2.
pub fn fail(problems: Vec<Problem>) -> ExitCode {
    let handler = crate::report::handler(crate::colour::stderr());
    for p in problems {
        let mut out = String::new();
        let _ = handler.render_report(&mut out, &p);
        eprintln!("{out}");
    }
    ExitCode::from(2)
}

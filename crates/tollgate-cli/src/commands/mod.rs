//! One module per subcommand, and what they share.

pub mod check;
pub mod explain;
pub mod inspect;
pub mod rules;
pub mod test;

use crate::cli::EngineChoice;
use crate::problem::Problem;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{Engine, EvalError};
use tollgate_template::{ErrorKind, Limits, LoadError};

/// Compiles the built-in pack and the user policies of `dirs` once, for the whole run.
/// `timeout` bounds Rego evaluation per document (Guard has no loops to bound).
pub fn build_engine(
    choice: EngineChoice,
    dirs: &[PathBuf],
    timeout: Option<Duration>,
) -> (Box<dyn Engine>, Vec<EvalError>) {
    match choice {
        EngineChoice::Rego => {
            let (mut e, errs) = RegoEngine::with_user_policies(dirs);
            if let Some(t) = timeout {
                e.set_time_limit(t);
            }
            (Box::new(e), errs)
        }
        EngineChoice::Guard => {
            let (e, errs) = GuardEngine::with_user_policies(dirs);
            (Box::new(e), errs)
        }
    }
}

/// Reads a template or plan, refusing one over the size limit before reading it (the
/// loader checks the bytes it is given too, but a 10 GB file should not be read at all).
/// Every subcommand that loads files reads them here.
pub fn read_file(name: &str, path: &Path, limits: &Limits) -> Result<Vec<u8>, LoadError> {
    let io = |e: std::io::Error| LoadError::file(ErrorKind::Io, name, format!("cannot read: {e}"));
    let size = std::fs::metadata(path).map_err(io)?.len();
    let limit = limits.max_file_bytes;
    if size > limit as u64 {
        return Err(LoadError::file(
            ErrorKind::TooLarge,
            name,
            format!(
                "the file is {size} bytes, more than the limit of {limit}; raise it with --max-file-size BYTES"
            ),
        ));
    }
    std::fs::read(path).map_err(io)
}

/// Prints problems that stop a command before it starts, and gives exit code 2.
pub fn fail(problems: Vec<Problem>) -> ExitCode {
    let handler = crate::report::handler(stderr_is_colour_terminal());
    for p in problems {
        let mut out = String::new();
        let _ = handler.render_report(&mut out, &p);
        eprintln!("{out}");
    }
    ExitCode::from(2)
}

/// Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org).
pub fn stdout_is_colour_terminal() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn stderr_is_colour_terminal() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

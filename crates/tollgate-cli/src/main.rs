//! The `tollgate` binary: wires the loader, the engines and the reporters together.

mod cli;
mod commands;
mod discover;
mod report;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let result = match &args.command {
        cli::Command::Check(a) => commands::check::run(a),
        cli::Command::Inspect(a) => commands::inspect::run(a),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}

//! The `tollgate` binary: wires the loader, the engines, the filters and the reporters.

use clap::{CommandFactory, Parser};
use std::process::ExitCode;
use tollgate_cli::{cli, colour, commands, output};

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    colour::set(args.color);
    let result = match &args.command {
        cli::Command::Check(a) => commands::check::run(a),
        cli::Command::Rules(a) => commands::rules::run(a),
        cli::Command::Explain(a) => commands::explain::run(a),
        cli::Command::Test(a) => commands::test::run(a),
        cli::Command::Inspect(a) => commands::inspect::run(a),
        cli::Command::Completions(a) => completions(a.shell),
        cli::Command::Man => man(),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}

fn completions(shell: clap_complete::Shell) -> miette::Result<ExitCode> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cli::Cli::command(), "tollgate", &mut buf);
    output::stdout(&String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

fn man() -> miette::Result<ExitCode> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cli::Cli::command())
        .render(&mut buf)
        .map_err(|e| miette::miette!("cannot render the man page: {e}"))?;
    output::stdout(&String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

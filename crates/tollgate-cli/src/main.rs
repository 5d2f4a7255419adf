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
        cli::Command::Man(a) => man(a),
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

fn man(args: &cli::ManArgs) -> miette::Result<ExitCode> {
    let render = |cmd: clap::Command| {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut buf)
            .map_err(|e| miette::miette!("cannot render the man page: {e}"))?;
        Ok::<_, miette::Report>(String::from_utf8_lossy(&buf).into_owned())
    };
    let top = cli::Cli::command();
    let Some(dir) = &args.dir else {
        output::stdout(&render(top)?)?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", dir.display()))?;
    // The top page's SEE ALSO names `tollgate-<subcommand>(1)`: one page each, under that
    // name, from the same clap definitions.
    let mut pages = vec![("tollgate".to_string(), top.clone())];
    for sub in top.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("tollgate-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, cmd) in pages {
        let path = dir.join(format!("{name}.1"));
        output::atomic(&path, &render(cmd)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

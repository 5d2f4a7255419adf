//! `tollgate check [PATH ...]`: discover, load, evaluate (in parallel), report, exit code.

use crate::cli::{CheckArgs, EngineChoice, Format};
use crate::discover::{discover, Candidate};
use crate::report::{self, FileReport, Run};
use miette::Result;
use rayon::prelude::*;
use std::process::ExitCode;
use std::time::Instant;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};
use tollgate_template::{load, LoadError, LoadOptions, Outcome};

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let options = LoadOptions {
        parameters: super::parse_params(&args.params)?,
        changed_only: args.changed_only,
        ..LoadOptions::default()
    };
    // Compile every policy once for the whole run.
    let (engine, policy_errors): (Box<dyn Engine>, Vec<tollgate_policy::EvalError>) =
        match args.engine {
            EngineChoice::Rego => {
                let (e, errs) = RegoEngine::with_user_policies(&args.policy_dirs);
                (Box::new(e), errs)
            }
            EngineChoice::Guard => {
                let (e, errs) = GuardEngine::with_user_policies(&args.policy_dirs);
                (Box::new(e), errs)
            }
        };
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette::miette!("{e}"))?;
    let mut rule_options = default_options();
    rule_options["admin_ports"] = serde_json::json!(args.admin_ports);
    let (candidates, discovery_errors) = discover(&args.paths);

    // Files are independent: check them on all cores; results keep discovery order.
    let files: Vec<FileReport> = candidates
        .par_iter()
        .filter_map(|c| check_one(c, &options, engine.as_ref(), &rule_options))
        .collect();

    let run = Run {
        files,
        policy_errors,
        discovery_errors,
        meta,
        user_severities: engine.user_severities(),
        elapsed: started.elapsed(),
    };
    let failed = run.files.iter().any(|f| !f.findings.is_empty());
    let broken = run
        .files
        .iter()
        .any(|f| f.error.is_some() || !f.eval_errors.is_empty())
        || !run.policy_errors.is_empty()
        || !run.discovery_errors.is_empty();
    let format = args.format.unwrap_or(Format::Human);
    report::write(&run, format, args.verbose)?;
    Ok(if broken {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads and evaluates one file. A file found in a directory that is neither a template nor
/// a plan is skipped (its reason shown with `--verbose`); one named explicitly is an error.
fn check_one(
    c: &Candidate,
    options: &LoadOptions,
    engine: &dyn Engine,
    rule_options: &serde_json::Value,
) -> Option<FileReport> {
    let name = c.display.clone();
    let bytes = match std::fs::read(&c.path) {
        Ok(b) => b,
        Err(e) => {
            return Some(FileReport::error(LoadError::file(
                tollgate_template::ErrorKind::Io,
                &name,
                format!("cannot read: {e}"),
            )))
        }
    };
    match load(&name, &bytes, options) {
        Err(e) => Some(FileReport::error(e)),
        Ok(Outcome::Skipped(reason)) if c.explicit => Some(FileReport::error(LoadError::file(
            tollgate_template::ErrorKind::NotADocument,
            &name,
            format!("neither a CloudFormation template nor a Terraform plan: {reason}"),
        ))),
        Ok(Outcome::Skipped(reason)) => Some(FileReport {
            skipped: Some(reason),
            ..FileReport::named(name)
        }),
        Ok(Outcome::Loaded(loaded)) => {
            let (findings, eval_errors) = check(engine, &loaded, rule_options);
            Some(FileReport {
                loaded: Some(loaded),
                findings,
                eval_errors,
                ..FileReport::named(name)
            })
        }
    }
}

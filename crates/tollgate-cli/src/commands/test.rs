//! `tollgate test DIR`: unit tests for users' policies. Every `NAME.expected.yaml` under DIR
//! lists the findings that the policies of DIR must report for the input `NAME.yaml` (or
//! `.yml`, `.json`, `.template`) beside it — exactly those, no more. Built-in rules are not
//! counted, so a test only speaks about the policies under test.

use crate::cli::TestArgs;
use crate::problem::Problem;
use miette::Result;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tollgate_template::{load, LoadOptions, Outcome};

const SUFFIX: &str = ".expected.yaml";
const INPUT_EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "template"];

/// One expected finding. `line` is optional: give it to pin the location too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    rule: String,
    resource: String,
    path: String,
    line: Option<usize>,
}

/// `(rule, resource, path)` and the start line.
type Key = (String, String, String);

pub fn run(args: &TestArgs) -> Result<ExitCode> {
    let super::Built {
        engine,
        user_rules,
        errors: policy_errors,
    } = super::build_engine(args.engine, std::slice::from_ref(&args.dir), None, None);
    if !policy_errors.is_empty() {
        for e in &policy_errors {
            eprintln!("error: {e}");
        }
        return Ok(ExitCode::from(2));
    }
    let user_rules: BTreeSet<String> = user_rules.into_iter().map(|r| r.id).collect();
    if user_rules.is_empty() {
        return Ok(super::fail(vec![Problem::file(
            "tollgate::test::no-policies",
            args.dir.display().to_string(),
            format!("no {:?} policies found", args.engine),
        )
        .with_help(
            "policies are *.rego files (--engine rego) or *.guard files (--engine guard)",
        )]));
    }

    let cases = expected_files(&args.dir);
    let (mut passed, mut failed, mut broken) = (0, 0, 0);
    let mut out = String::new();
    for expected_path in &cases {
        match run_case(expected_path, engine.as_ref(), &user_rules) {
            Ok((input, None)) => {
                passed += 1;
                out.push_str(&format!("PASS {}\n", input.display()));
            }
            Ok((input, Some(diff))) => {
                failed += 1;
                out.push_str(&format!("FAIL {}\n{diff}", input.display()));
            }
            Err(message) => {
                broken += 1;
                out.push_str(&format!("ERROR {}: {message}\n", expected_path.display()));
            }
        }
    }
    out.push_str(&format!(
        "{} case(s): {passed} passed, {failed} failed, {broken} error(s)\n",
        cases.len()
    ));
    crate::output::stdout(&out)?;
    Ok(if broken > 0 || cases.is_empty() {
        if cases.is_empty() {
            eprintln!(
                "error: no test cases (*{SUFFIX}) under {}",
                args.dir.display()
            );
        }
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn expected_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(SUFFIX))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The input beside `NAME.expected.yaml`: exactly one `NAME.<ext>`.
fn input_for(expected: &Path) -> Result<PathBuf, String> {
    let name = expected
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(SUFFIX).unwrap_or(&name);
    let found: Vec<PathBuf> = INPUT_EXTENSIONS
        .iter()
        .map(|ext| expected.with_file_name(format!("{stem}.{ext}")))
        .filter(|p| p.is_file())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no input {stem}.yaml/.yml/.json/.template beside it"
        )),
        _ => Err(format!("several inputs named {stem}.*: keep one")),
    }
}

/// Runs one case: `Ok((input, None))` when it passes, `Ok((input, Some(diff)))` when not.
fn run_case(
    expected_path: &Path,
    engine: &dyn tollgate_policy::Engine,
    user_rules: &BTreeSet<String>,
) -> Result<(PathBuf, Option<String>), String> {
    let input = input_for(expected_path)?;
    let text = std::fs::read_to_string(expected_path).map_err(|e| e.to_string())?;
    let expected: Vec<Expected> = if text.trim().is_empty() {
        Vec::new()
    } else {
        serde_json::from_value(parse_yaml(expected_path, &text)?)
            .map_err(|e| format!("expected a list of {{rule, resource, path, line?}}: {e}"))?
    };
    let name = input.display().to_string();
    let options = LoadOptions::default();
    let bytes =
        super::read_file(&name, &input, false, &options.limits).map_err(|e| e.to_string())?;
    let loaded = match load(&name, &bytes, &options).map_err(|e| e.to_string())? {
        Outcome::Loaded(l) => l,
        Outcome::Skipped(reason) => {
            return Err(format!("{name}: not a template or plan: {reason}"))
        }
    };
    if let Some(e) = loaded.errors.first() {
        return Err(e.to_string());
    }
    let (findings, errors) =
        tollgate_policy::check(engine, &loaded, &tollgate_policy::default_options());
    if let Some(e) = errors.first() {
        return Err(e.to_string());
    }
    let actual: BTreeSet<(Key, usize)> = findings
        .iter()
        .filter(|f| user_rules.contains(&f.rule))
        .map(|f| {
            let line = loaded.source.position(f.span.start).line;
            (
                (f.rule.clone(), f.resource.clone(), f.pointer.to_string()),
                line,
            )
        })
        .collect();
    let want: BTreeSet<Key> = expected
        .iter()
        .map(|e| (e.rule.clone(), e.resource.clone(), e.path.clone()))
        .collect();
    let got: BTreeSet<Key> = actual.iter().map(|(k, _)| k.clone()).collect();
    let mut diff = String::new();
    for k in want.difference(&got) {
        diff.push_str(&format!("  missing:    {} {} {}\n", k.0, k.1, k.2));
    }
    for k in got.difference(&want) {
        diff.push_str(&format!("  unexpected: {} {} {}\n", k.0, k.1, k.2));
    }
    for e in &expected {
        let Some(line) = e.line else { continue };
        let key = (e.rule.clone(), e.resource.clone(), e.path.clone());
        if let Some((_, actual_line)) = actual.iter().find(|(k, _)| *k == key) {
            if *actual_line != line {
                diff.push_str(&format!(
                    "  wrong line: {} {} {}: expected line {line}, found {actual_line}\n",
                    e.rule, e.resource, e.path
                ));
            }
        }
    }
    Ok((input, (!diff.is_empty()).then_some(diff)))
}

/// The expectations file, read with tollgate's own YAML loader (errors carry a location).
fn parse_yaml(path: &Path, text: &str) -> Result<serde_json::Value, String> {
    let source = tollgate_template::SourceFile::new(path.display().to_string(), text);
    tollgate_template::yaml::parse(&source, &tollgate_template::Limits::default())
        .map(|indexed| indexed.value)
        .map_err(|e| e.to_string())
}

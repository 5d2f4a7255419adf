//! Data-driven rule tests: every input under `testdata/rules/<rule>/` is checked by both
//! engines, and each must report exactly the finding set in `expected-*.yaml` (rule, resource,
//! pointer, line). An input file without an expectation fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};
use tollgate_template::{load, parse, Limits, LoadOptions, Outcome, SourceFile};

type Key = (String, String, String, usize);

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn expected_cases() -> Vec<(PathBuf, BTreeSet<Key>)> {
    let mut cases = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        for name in ["expected-cfn.yaml", "expected-tf.yaml"] {
            let path = dir.join("cases").join(name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let src = SourceFile::new(path.display().to_string(), text);
            let doc = parse(&src, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
            let Some(map) = doc.value.as_object() else {
                continue;
            };
            for (file, findings) in map {
                let set = findings
                    .as_array()
                    .map(|a| a.as_slice())
                    .unwrap_or(&[])
                    .iter()
                    .map(|f| {
                        let s = |k: &str| {
                            f.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string()
                        };
                        (
                            s("rule"),
                            s("resource"),
                            s("pointer"),
                            f["line"].as_u64().unwrap_or(0) as usize,
                        )
                    })
                    .collect();
                cases.push((dir.join("cases").join(file), set));
            }
        }
    }
    cases
}

fn actual(engine: &dyn Engine, path: &Path) -> BTreeSet<Key> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.display().to_string();
    let loaded = match load(&name, &bytes, &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        Ok(Outcome::Skipped(r)) => panic!("{name}: skipped: {r}"),
        Err(e) => panic!("{e}"),
    };
    let (findings, errors) = check(engine, &loaded, &default_options());
    assert!(errors.is_empty(), "{name}: {errors:?}");
    findings
        .into_iter()
        .map(|f| {
            let line = loaded.source.position(f.span.start).line;
            (f.rule, f.resource, f.pointer, line)
        })
        .collect()
}

fn run(engine: &dyn Engine, label: &str) {
    let cases = expected_cases();
    assert!(
        cases.len() > 200,
        "only {} fixture cases found",
        cases.len()
    );
    let mut failures = Vec::new();
    for (path, expected) in &cases {
        let got = actual(engine, path);
        if &got != expected {
            let missing: Vec<_> = expected.difference(&got).collect();
            let extra: Vec<_> = got.difference(expected).collect();
            failures.push(format!(
                "{}\n    missing: {missing:?}\n    extra:   {extra:?}",
                path.strip_prefix(rules_dir()).unwrap_or(path).display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{label}: {} of {} fixtures differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_has_an_expectation() {
    let listed: BTreeSet<PathBuf> = expected_cases().into_iter().map(|(p, _)| p).collect();
    let mut unlisted = Vec::new();
    for entry in walkdir::WalkDir::new(rules_dir())
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = entry.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let is_input = (name.starts_with("cfn-")
            && (name.ends_with(".yaml") || name.ends_with(".json")))
            || name == "plan.json";
        if is_input && !listed.contains(p) {
            unlisted.push(p.display().to_string());
        }
    }
    assert!(
        unlisted.is_empty(),
        "inputs without expectations: {unlisted:#?}"
    );
}

#[test]
fn rego_reports_exactly_the_expected_findings() {
    let engine = RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    run(&engine, "rego");
}

#[test]
fn guard_reports_exactly_the_expected_findings() {
    let (engine, errors) = GuardEngine::new();
    assert!(errors.is_empty(), "{errors:?}");
    run(&engine, "guard");
}

//! The case runner: every built-in rule's cases (`policies/<id>/cases/`, see
//! `policies/README.md`) on both engines, Rego and Guard.
//!
//! * File cases: every `cfn-*.yaml|json` and `tf-*/plan.json` must report exactly the findings
//!   `expected.yaml` lists for it (rule, resource, pointer, line, column, message, related
//!   locations); each file's human report is snapshotted beside it (`cases/snapshots/`).
//! * Document cases (`documents.yaml`): policy input documents evaluated directly, compared
//!   with their `expect` list.
//!
//! Every mismatch of a run is reported at once, naming its case file; a finding is printed as a
//! YAML flow mapping that can be pasted into the case file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine, InputKind};
use tollgate_template::{load, parse, Limits, LoadOptions, Outcome, SourceFile};

/// One finding of a file case, as `expected.yaml` writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Located {
    rule: String,
    resource: String,
    pointer: String,
    line: usize,
    column: usize,
    /// The Rego rule's message.
    message: String,
    /// The Guard rule's message, where it is worded differently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guard_message: Option<String>,
    /// Where the value came from and the rule's own related locations; omitted when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedAt>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedAt {
    line: usize,
    column: usize,
    message: String,
}

/// One entry of `documents.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentCase {
    name: String,
    kind: DocumentKind,
    /// Over the default rule options.
    #[serde(default)]
    options: serde_json::Map<String, Value>,
    /// Compare only findings of these rules.
    only: Option<Vec<String>>,
    #[serde(default = "both_engines")]
    engines: Vec<EngineName>,
    input: Value,
    expect: Vec<Expected>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DocumentKind {
    Cloudformation,
    Terraform,
}

impl DocumentKind {
    fn input_kind(self) -> InputKind {
        match self {
            DocumentKind::Cloudformation => InputKind::CloudFormation,
            DocumentKind::Terraform => InputKind::TerraformPlan,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum EngineName {
    Rego,
    Guard,
}

fn both_engines() -> Vec<EngineName> {
    vec![EngineName::Rego, EngineName::Guard]
}

/// A finding a document case expects; `message` is compared only when given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    rule: String,
    resource: String,
    pointer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Both engines, compiled once.
struct Engines {
    rego: RegoEngine,
    guard: GuardEngine,
}

impl Engines {
    fn new() -> Self {
        let rego = RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let (guard, errors) = GuardEngine::new();
        assert!(errors.is_empty(), "{errors:?}");
        Engines { rego, guard }
    }

    fn get(&self, name: EngineName) -> &dyn Engine {
        match name {
            EngineName::Rego => &self.rego,
            EngineName::Guard => &self.guard,
        }
    }
}

/// A rule folder's cases directory.
#[derive(Clone)]
struct RuleCases {
    id: &'static str,
    dir: PathBuf,
}

impl RuleCases {
    fn display(&self, file: &str) -> String {
        format!("policies/{}/cases/{file}", self.id)
    }
}

/// Every built-in rule's `cases/` folder, in pack order.
fn rule_cases() -> Vec<RuleCases> {
    tollgate_policy::pack::BUILTIN
        .iter()
        .map(|r| RuleCases {
            id: r.id,
            dir: common::root().join("policies").join(r.id).join("cases"),
        })
        .collect()
}

/// A YAML case file as a JSON value (the loader's parser: duplicate keys are errors).
fn read_yaml(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let src = SourceFile::new(path.display().to_string(), text);
    Some(
        parse(&src, &Limits::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .value,
    )
}

/// The file-case inputs of a cases folder, by name relative to it, sorted.
fn inputs(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("cfn-") && (name.ends_with(".yaml") || name.ends_with(".json")) {
            names.push(name);
        } else if name.starts_with("tf-") && path.join("plan.json").is_file() {
            names.push(format!("{name}/plan.json"));
        }
    }
    names.sort();
    names
}

/// What `engine` reports on the file `path`, located.
fn file_findings(engine: &dyn Engine, path: &Path) -> Result<BTreeSet<Located>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let name = path.display().to_string();
    let loaded = match load(&name, &bytes, &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        Ok(Outcome::Skipped(r)) => return Err(format!("skipped: {r}")),
        Err(e) => return Err(e.to_string()),
    };
    let (findings, errors) = check(engine, &loaded, &default_options());
    if !errors.is_empty() {
        return Err(format!("evaluation errors: {errors:?}"));
    }
    let at = |offset: u32| loaded.source.position(offset);
    Ok(findings
        .into_iter()
        .map(|f| {
            let start = at(f.span.start);
            Located {
                line: start.line,
                column: start.column,
                related: f
                    .related
                    .iter()
                    .map(|r| {
                        let p = at(r.span.start);
                        RelatedAt {
                            line: p.line,
                            column: p.column,
                            message: r.message.clone(),
                        }
                    })
                    .collect(),
                rule: f.rule,
                resource: f.resource,
                pointer: f.pointer.to_string(),
                message: f.message,
                guard_message: None,
            }
        })
        .collect())
}

/// What `engine` must report: `guard_message` replaces `message` for Guard.
fn expected_of(engine: EngineName, want: &BTreeSet<Located>) -> BTreeSet<Located> {
    want.iter()
        .cloned()
        .map(|mut f| {
            if let (EngineName::Guard, Some(m)) = (engine, f.guard_message.take()) {
                f.message = m;
            }
            f.guard_message = None;
            f
        })
        .collect()
}

/// `missing` and `extra` findings, one pasteable YAML flow mapping a line.
fn difference<T: Ord + Serialize>(expected: &BTreeSet<T>, got: &BTreeSet<T>) -> String {
    let lines = |set: Vec<&T>| -> String {
        set.iter()
            .map(|f| format!("\n        - {}", serde_json::to_string(f).unwrap()))
            .collect()
    };
    format!(
        "\n    missing:{}\n    extra:{}",
        lines(expected.difference(got).collect()),
        lines(got.difference(expected).collect())
    )
}

fn assert_no_failures(what: &str, checked: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} mismatches in {checked} {what}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_folder_is_in_the_pack_and_has_cases() {
    let mut folders: Vec<String> = std::fs::read_dir(common::root().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("rule.toml").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let pack: Vec<String> = rule_cases().iter().map(|r| r.id.to_string()).collect();
    assert_eq!(folders, pack, "build.rs discovers every rule folder");
    for rule in rule_cases() {
        assert!(
            rule.dir.join("expected.yaml").is_file(),
            "{} is missing",
            rule.display("expected.yaml")
        );
    }
}

#[test]
fn file_cases_report_exactly_their_expected_findings_on_both_engines() {
    let engines = Engines::new();
    let (mut checked, mut failures) = (0, Vec::new());
    for rule in rule_cases() {
        let expected_file = rule.display("expected.yaml");
        let expected: BTreeMap<String, BTreeSet<Located>> =
            match read_yaml(&rule.dir.join("expected.yaml")) {
                Some(v) => {
                    serde_json::from_value(v).unwrap_or_else(|e| panic!("{expected_file}: {e}"))
                }
                None => BTreeMap::new(),
            };
        let inputs = inputs(&rule.dir);
        for name in expected.keys().filter(|k| !inputs.contains(k)) {
            failures.push(format!("{expected_file}: {name}: no such input"));
        }
        for name in &inputs {
            let Some(want) = expected.get(name) else {
                failures.push(format!("{expected_file}: {name}: no expectation"));
                continue;
            };
            checked += 1;
            for engine in both_engines() {
                let want = expected_of(engine, want);
                match file_findings(engines.get(engine), &rule.dir.join(name)) {
                    Ok(got) if got == want => {}
                    Ok(got) => failures.push(format!(
                        "{expected_file}: {name} ({engine:?}){}",
                        difference(&want, &got)
                    )),
                    Err(e) => failures.push(format!("{expected_file}: {name} ({engine:?}): {e}")),
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} file cases found");
    assert_no_failures("file cases", checked, &failures);
}

#[test]
fn document_cases_report_exactly_their_expected_findings() {
    let engines = Engines::new();
    let (mut checked, mut failures) = (0, Vec::new());
    for rule in rule_cases() {
        let file = rule.display("documents.yaml");
        let Some(value) = read_yaml(&rule.dir.join("documents.yaml")) else {
            continue;
        };
        let cases: Vec<DocumentCase> =
            serde_json::from_value(value).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut names = BTreeSet::new();
        for case in &cases {
            if !names.insert(case.name.as_str()) {
                failures.push(format!("{file}: {:?}: the name is used twice", case.name));
            }
            checked += 1;
            for &engine in &case.engines {
                if let Err(e) = run_document_case(engines.get(engine), case) {
                    failures.push(format!("{file}: {:?} ({engine:?}){e}", case.name));
                }
            }
        }
    }
    assert_no_failures("document cases", checked, &failures);
}

/// Evaluates one document case; `Err` describes the mismatch.
fn run_document_case(engine: &dyn Engine, case: &DocumentCase) -> Result<(), String> {
    let mut options = default_options();
    if let Some(map) = options.as_object_mut() {
        map.extend(case.options.clone());
    }
    let (findings, errors) = engine.evaluate(case.kind.input_kind(), &case.input, &options);
    if !errors.is_empty() {
        return Err(format!(": evaluation errors: {errors:?}"));
    }
    let got: BTreeSet<Expected> = findings
        .into_iter()
        .filter(|f| case.only.as_ref().is_none_or(|only| only.contains(&f.rule)))
        .map(|f| Expected {
            rule: f.rule,
            resource: f.resource,
            pointer: f.pointer.to_string(),
            message: Some(f.message),
        })
        .collect();
    // An expectation without a message matches a finding with any message.
    let matches = |e: &Expected, g: &Expected| {
        (&e.rule, &e.resource, &e.pointer) == (&g.rule, &g.resource, &g.pointer)
            && (e.message.is_none() || e.message == g.message)
    };
    let missing: BTreeSet<Expected> = case
        .expect
        .iter()
        .filter(|e| !got.iter().any(|g| matches(e, g)))
        .cloned()
        .collect();
    let extra: BTreeSet<Expected> = got
        .iter()
        .filter(|g| !case.expect.iter().any(|e| matches(e, g)))
        .cloned()
        .collect();
    if missing.is_empty() && extra.is_empty() {
        Ok(())
    } else {
        Err(difference(&missing, &extra))
    }
}

#[test]
fn every_file_case_renders_as_its_snapshot() {
    let cases: Vec<(RuleCases, String)> = rule_cases()
        .into_iter()
        .flat_map(|rule| {
            inputs(&rule.dir)
                .into_iter()
                .map(move |name| (rule.clone(), name))
        })
        .collect();
    // The binary, as users run it: one process a file, in parallel.
    let rendered: Vec<String> = cases
        .par_iter()
        .map(|(rule, name)| {
            let out = common::run(&["check", &rule.display(name)]);
            let mut text = common::redact_time(&out.stdout);
            if !out.stderr.is_empty() {
                text.push_str("\n--- stderr ---\n");
                text.push_str(&out.stderr);
            }
            text
        })
        .collect();
    let mut failures = Vec::new();
    for ((rule, name), text) in cases.iter().zip(rendered) {
        let snapshot = snapshot_name(name);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(rule.dir.join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(rule.dir.join(name));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(snapshot, text));
        }));
        if result.is_err() {
            failures.push(format!(
                "{}: the human report differs from snapshots/{snapshot}.snap",
                rule.display(name)
            ));
        }
    }
    // A snapshot whose input is gone.
    for rule in rule_cases() {
        let names: BTreeSet<String> = inputs(&rule.dir)
            .iter()
            .map(|n| format!("{}.snap", snapshot_name(n)))
            .collect();
        for entry in std::fs::read_dir(rule.dir.join("snapshots"))
            .into_iter()
            .flatten()
        {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            if file.ends_with(".snap") && !names.contains(&file) {
                failures.push(format!(
                    "{}: no such input",
                    rule.display(&format!("snapshots/{file}"))
                ));
            }
        }
    }
    assert_no_failures("human reports", cases.len(), &failures);
}

/// `cfn-fail-basic.yaml` is snapshotted as `cfn-fail-basic.yaml`, `tf-fail-basic/plan.json`
/// as `tf-fail-basic`.
fn snapshot_name(input: &str) -> &str {
    input.trim_end_matches("/plan.json")
}

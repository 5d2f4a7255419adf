//! Runs every `policies/<rule-id>/cases/documents.yaml` on both built-in engines and compares
//! the exact finding set of each case (see the format below). All mismatches of all files are
//! reported at once, each with its case file, case name and engine.
//!
//! ```yaml
//! - name: protocol spellings and port ranges      # unique within the file
//!   kind: cloudformation                          # or terraform
//!   options: {admin_ports: [22, 3389]}             # optional; default: the default options
//!   only: [sg-ssh-world]                           # optional; compare only these rules' findings
//!   engines: [rego, guard]                         # optional; default both
//!   input: {...}                                  # the policy input document itself
//!   expect:                                       # exact set (after `only`), any order
//!     - {rule: sg-ssh-world, resource: WebSg, pointer: /Resources/WebSg/…, message: …}
//! ```

#![allow(clippy::panic)] // helpers outside #[test] functions report failures by panicking

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{json, Value};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{Engine, InputKind, RawFinding};
use tollgate_template::{Limits, SourceFile};

// ------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    kind: Kind,
    options: Option<Value>,
    only: Option<Vec<String>>,
    #[serde(default = "both_engines")]
    engines: Vec<EngineName>,
    input: Value,
    expect: Vec<Expected>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Cloudformation,
    Terraform,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    rule: String,
    resource: String,
    pointer: String,
    message: Option<String>,
}

/// Every case file of the built-in pack, in rule-id order: its name as reports show it
/// (`policies/<rule-id>/cases/documents.yaml`) and its path.
fn case_files() -> Vec<(String, PathBuf)> {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(&policies)
        .unwrap_or_else(|e| panic!("{}: {e}", policies.display()))
        .filter_map(|entry| {
            let rule = entry.ok()?.file_name().into_string().ok()?;
            let name = format!("policies/{rule}/cases/documents.yaml");
            let path = policies.join(&rule).join("cases/documents.yaml");
            path.is_file().then_some((name, path))
        })
        .collect();
    files.sort();
    files
}

/// The cases of one file, read with tollgate's own YAML loader (duplicate keys are errors;
/// every error names the file, and the loader's its line and column).
fn load(name: &str, path: &Path) -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let source = SourceFile::new(name, text);
    let doc =
        tollgate_template::yaml::parse(&source, &Limits::default()).map_err(|e| e.to_string())?;
    let cases: Vec<Case> = serde_json::from_value(doc.value).map_err(|e| format!("{name}: {e}"))?;
    let mut names = BTreeSet::new();
    for case in &cases {
        if !names.insert(case.name.as_str()) {
            return Err(format!("{name}: case name `{}` is used twice", case.name));
        }
    }
    Ok(cases)
}

// ------------------------------------------------------------------------------------------
// Running
// ------------------------------------------------------------------------------------------

/// The rule options when a case gives none: the documented default `admin_ports`.
fn default_options() -> Value {
    json!({"admin_ports": [22, 3389]})
}

fn engine(name: EngineName) -> &'static dyn Engine {
    static REGO: OnceLock<RegoEngine> = OnceLock::new();
    static GUARD: OnceLock<GuardEngine> = OnceLock::new();
    match name {
        EngineName::Rego => REGO.get_or_init(|| match RegoEngine::builtin() {
            Ok(engine) => engine,
            Err(errors) => panic!("built-in Rego rules do not load: {errors:#?}"),
        }),
        EngineName::Guard => GUARD.get_or_init(|| {
            let (engine, errors) = GuardEngine::new();
            assert!(
                errors.is_empty(),
                "built-in Guard rules do not load: {errors:#?}"
            );
            engine
        }),
    }
}

/// What is wrong with `case` on one engine, if anything.
fn check(case: &Case, engine_name: EngineName) -> Option<String> {
    let kind = match case.kind {
        Kind::Cloudformation => InputKind::CloudFormation,
        Kind::Terraform => InputKind::TerraformPlan,
    };
    let options = case.options.clone().unwrap_or_else(default_options);
    let (findings, errors) = engine(engine_name).evaluate(kind, &case.input, &options);
    let mut unexpected: Vec<RawFinding> = findings
        .into_iter()
        .filter(|f| case.only.as_ref().is_none_or(|only| only.contains(&f.rule)))
        .collect();
    // Expectations with a message first, so that one without cannot take their finding.
    let mut expected: Vec<&Expected> = case.expect.iter().collect();
    expected.sort_by_key(|e| e.message.is_none());
    let mut missing = Vec::new();
    for want in expected {
        let found = unexpected.iter().position(|f| {
            f.rule == want.rule
                && f.resource == want.resource
                && f.pointer == want.pointer
                && want.message.as_ref().is_none_or(|m| *m == f.message)
        });
        match found {
            Some(i) => {
                unexpected.swap_remove(i);
            }
            None => missing.push(want),
        }
    }
    if missing.is_empty() && unexpected.is_empty() && errors.is_empty() {
        return None;
    }
    let mut report = String::new();
    for e in &errors {
        report.push_str(&format!("\n    error: {e}"));
    }
    for m in missing {
        report.push_str(&format!(
            "\n    missing: {{rule: {}, resource: {}, pointer: {}{}}}",
            m.rule,
            m.resource,
            m.pointer,
            m.message
                .as_ref()
                .map(|m| format!(", message: {m}"))
                .unwrap_or_default()
        ));
    }
    for f in unexpected {
        report.push_str(&format!(
            "\n    unexpected: {{rule: {}, resource: {}, pointer: {}, message: {}}}",
            f.rule, f.resource, f.pointer, f.message
        ));
    }
    Some(report)
}

#[test]
fn every_case_of_every_rule() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (name, path) in case_files() {
        let cases = match load(&name, &path) {
            Ok(cases) => cases,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        for case in &cases {
            for &engine_name in &case.engines {
                ran += 1;
                if let Some(report) = check(case, engine_name) {
                    failures.push(format!(
                        "{name}: case `{}` on {engine_name:?}:{report}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(ran > 0, "no cases found under policies/*/cases/");
    assert!(
        failures.is_empty(),
        "{} case run(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

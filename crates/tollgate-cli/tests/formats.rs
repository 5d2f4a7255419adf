//! Every output format, snapshotted (`insta`), and checked by what reads it: SARIF against
//! the 2.1.0 schema, JUnit by an XML parser, GitHub workflow commands by their syntax.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{redact_time, root, run};
use serde_json::Value;

const FAIL: &str = "policies/sg-ssh-world/cases/cfn-fail-param-default.yaml";
const SKIP: &str = "testdata/cli/suppress/metadata-skip.yaml";
const PLAN: &str = "policies/sg-ssh-world/cases/tf-fail-basic/plan.json";

#[test]
fn human_report_of_a_template() {
    let out = run(&["check", FAIL]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(redact_time(&out.stdout));
}

#[test]
fn human_report_of_a_one_line_plan_shows_a_pretty_excerpt() {
    let out = run(&["check", PLAN]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(redact_time(&out.stdout));
}

#[test]
fn human_report_with_suppressed_findings() {
    let out = run(&["check", SKIP, "--show-suppressed"]);
    insta::assert_snapshot!(redact_time(&out.stdout));
}

#[test]
fn json_report() {
    let out = run(&["check", FAIL, SKIP, "-f", "json", "--show-suppressed"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("testdata/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap()
}

#[test]
fn sarif_report_is_valid_and_complete() {
    let out = run(&["check", FAIL, SKIP, PLAN, "-f", "sarif"]);
    assert_eq!(out.code, 1);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        tollgate_policy::pack::BUILTIN.len(),
        "one reportingDescriptor per rule"
    );
    let ssh = rules
        .iter()
        .position(|r| r["id"] == "sg-ssh-world")
        .unwrap();
    assert_eq!(rules[ssh]["properties"]["security-severity"], "8.0");
    assert!(rules[ssh]["help"]["text"]
        .as_str()
        .unwrap()
        .contains("Session Manager"));

    let results = run0["results"].as_array().unwrap();
    let first = results
        .iter()
        .find(|r| r["ruleId"] == "sg-ssh-world")
        .unwrap();
    assert_eq!(first["ruleIndex"], ssh);
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], FAIL, "relative URI");
    assert_eq!(loc["region"]["startLine"], 22);
    assert_eq!(loc["region"]["startColumn"], 19);
    assert_eq!(loc["region"]["endColumn"], 35);
    assert_eq!(
        first["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        12
    );
    assert_eq!(
        first["partialFingerprints"]["tollgate/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    // The suppressed finding is there, marked.
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    // Terraform: the plan is one line; the column is exact.
    let tf = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == PLAN)
        .unwrap();
    assert_eq!(
        tf["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(
        tf["locations"][0]["physicalLocation"]["region"]["startColumn"]
            .as_u64()
            .unwrap()
            > 100
    );
}

#[test]
fn sarif_snapshot() {
    // The results and the invocation; rule descriptors are checked above, not snapshotted
    // (they repeat every rule.toml).
    let out = run(&["check", FAIL, SKIP, "-f", "sarif"]);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let run0 = &sarif["runs"][0];
    insta::assert_json_snapshot!(serde_json::json!({
        "results": run0["results"],
        "invocations": run0["invocations"],
        "columnKind": run0["columnKind"],
    }));
}

#[test]
fn sarif_with_errors_is_still_valid() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "Resources:\n  A: [1, 2\n").unwrap();
    let out = run(&[
        "check",
        FAIL,
        &broken.display().to_string(),
        "no-such-dir",
        "-f",
        "sarif",
    ]);
    assert_eq!(out.code, 2);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn junit_report_parses_with_one_case_per_rule_and_file() {
    let out = run(&["check", FAIL, SKIP, "-f", "junit"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(redact_time(&out.stdout));

    // Parse it as XML: count suites, cases and failures.
    let mut reader = quick_xml::Reader::from_str(&out.stdout);
    let (mut suites, mut cases, mut failures, mut skipped) = (0, 0, 0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testsuite" => suites += 1,
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    b"skipped" => skipped += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let rules = tollgate_policy::pack::BUILTIN.len();
    assert_eq!((suites, cases), (2, 2 * rules), "every rule × 2 files");
    assert_eq!(
        failures, 3,
        "2 rules fail in the first file, 1 in the second"
    );
    assert_eq!(skipped, 1, "the suppressed rule");
}

#[test]
fn github_annotations() {
    let out = run(&["check", FAIL, SKIP, "-f", "github"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(errors[0].starts_with(&format!(
        "::error file={FAIL},line=22,col=19,endLine=22,endColumn=35,title="
    )));
}

#[test]
fn concise_lines() {
    let out = run(&["check", FAIL, SKIP, "-f", "concise", "--show-suppressed"]);
    assert_eq!(out.code, 1);
    insta::assert_snapshot!(out.stdout);
    // Every line but the totals is `path:line:col: severity rule message (resource)`.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert!(
        lines[0].starts_with(&format!("{FAIL}:22:19: high ")),
        "{}",
        lines[0]
    );
    assert!(
        lines[4].starts_with("tollgate: 2 file(s) checked"),
        "{}",
        lines[4]
    );
}

#[test]
fn concise_errors_are_one_line_each() {
    let out = run(&["check", "testdata/errors", "-f", "concise"]);
    assert_eq!(out.code, 2);
    for line in out.stdout.lines() {
        assert!(
            line.starts_with("testdata/errors/") || line.starts_with("tollgate: "),
            "{line}"
        );
    }
}

#[test]
fn sarif_uris_are_relative_to_the_source_root() {
    let uris = |out: &common::Out| -> Vec<(String, Option<String>)> {
        let log: Value = serde_json::from_str(&out.stdout).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
                let base = a["uriBaseId"].as_str().map(str::to_string);
                (a["uri"].as_str().unwrap().to_string(), base)
            })
            .collect()
    };
    let root_dir = root();
    let root_arg = root_dir.to_str().unwrap();
    // From a subdirectory, with `../`: still relative to the root, never `../`.
    let out = common::run_in(
        &root_dir.join("policies"),
        &[
            "check",
            &format!("../{FAIL}"),
            "-f",
            "sarif",
            "--sarif-root",
            "..",
        ],
    );
    let srcroot = Some("%SRCROOT%".to_string());
    assert_eq!(uris(&out)[0], (FAIL.to_string(), srcroot.clone()));
    // An absolute path below the root: relative too.
    let absolute = root_dir.join(FAIL);
    let args = [
        "check",
        absolute.to_str().unwrap(),
        "-f",
        "sarif",
        "--sarif-root",
        root_arg,
    ];
    assert_eq!(uris(&run(&args))[0], (FAIL.to_string(), srcroot));
    // Outside the root: an absolute file URI, with no base.
    let elsewhere = root_dir.join("policies/sg-ssh-world");
    let args = [
        "check",
        absolute.to_str().unwrap(),
        "-f",
        "sarif",
        "--sarif-root",
    ];
    let out = run(&[&args[..], &[elsewhere.join("x").to_str().unwrap()]].concat());
    let (uri, base) = &uris(&out)[0];
    assert!(uri.starts_with("file:///") && uri.ends_with(FAIL), "{uri}");
    assert_eq!(base, &None);
}

//! The binary end to end: exit codes, JSON output, a broken file among good ones, inspect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn tollgate(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The findings of a JSON report, each projected by `pick`, sorted.
fn sorted_findings<T: Ord>(stdout: &str, pick: impl Fn(&Value) -> T) -> Vec<T> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let mut out: Vec<T> = v["findings"].as_array().unwrap().iter().map(pick).collect();
    out.sort();
    out
}

fn text(f: &Value, key: &str) -> String {
    f[key].as_str().unwrap().to_string()
}

/// (rule, file, path, start line)
fn json_findings(stdout: &str) -> Vec<(String, String, String, u64)> {
    sorted_findings(stdout, |f| {
        let line = f["location"]["start"]["line"].as_u64().unwrap();
        (text(f, "rule"), text(f, "file"), text(f, "path"), line)
    })
}

/// (rule, resource, path, severity)
fn json_rules(stdout: &str) -> Vec<(String, String, String, String)> {
    sorted_findings(stdout, |f| {
        (
            text(f, "rule"),
            text(f, "resource"),
            text(f, "path"),
            text(f, "severity"),
        )
    })
}

const FAIL: &str = "policies/sg-ssh-world/cases/cfn-fail-param-default.yaml";
const PASS: &str = "policies/sg-ssh-world/cases/cfn-pass-private.yaml";
const PTR: &str = "/Resources/InstanceSecurityGroup/Properties/SecurityGroupIngress/0/CidrIp";

#[test]
fn findings_exit_1_with_exact_json_for_both_engines() {
    for engine in ["rego", "guard"] {
        let (code, stdout, stderr) =
            tollgate(&["check", FAIL, "--format", "json", "--engine", engine]);
        assert_eq!(code, 1, "{engine}: {stderr}");
        assert_eq!(
            json_findings(&stdout),
            vec![
                (
                    "sg-admin-ports-world-ipv4".into(),
                    FAIL.into(),
                    PTR.into(),
                    22
                ),
                ("sg-ssh-world".into(), FAIL.into(), PTR.into(), 22),
            ],
            "{engine}"
        );
        let v: Value = serde_json::from_str(&stdout).unwrap();
        let related = &v["findings"][0]["related"][0];
        assert_eq!(
            related["location"]["start"]["line"], 12,
            "the parameter default"
        );
    }
}

#[test]
fn clean_file_exits_0() {
    let (code, stdout, _) = tollgate(&["check", PASS, "--format", "json"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(json_findings(&stdout).is_empty());
}

#[test]
fn a_broken_file_is_reported_and_the_others_still_checked() {
    let dir = tempdir();
    std::fs::write(
        dir.join("broken.yaml"),
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: [1, 2\n",
    )
    .unwrap();
    std::fs::copy(root().join(FAIL), dir.join("fail.yaml")).unwrap();
    let d = dir.display().to_string();
    let (code, stdout, _) = tollgate(&["check", &d, "--format", "json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["findings"], 2);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1));
    assert!(v["errors"][0]["file"]
        .as_str()
        .unwrap()
        .ends_with("broken.yaml"));
    // At the `[` that is never closed.
    assert_eq!(v["errors"][0]["location"]["start"]["line"], 4);
    assert_eq!(v["errors"][0]["location"]["start"]["column"], 17);
}

#[test]
fn human_report_points_at_the_line_and_names_the_default() {
    let (code, stdout, _) = tollgate(&["check", FAIL]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(&format!("{FAIL}:22:19: [high]")),
        "{stdout}"
    );
    assert!(
        stdout.contains("0.0.0.0/0 is the default of parameter SSHLocation"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 file(s) checked, 2 finding(s) (2 high), 0 suppressed, 0 error(s)"),
        "{stdout}"
    );
}

#[test]
fn inspect_prints_value_location_and_related() {
    let (code, stdout, stderr) = tollgate(&["inspect", FAIL, "--pointer", PTR]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["value"], "0.0.0.0/0");
    assert_eq!(
        v["location"]["start"],
        serde_json::json!({"line": 22, "column": 19})
    );
    assert_eq!(
        v["location"]["end"],
        serde_json::json!({"line": 22, "column": 35})
    );
    assert_eq!(
        v["related"][0]["location"]["start"],
        serde_json::json!({"line": 12, "column": 14})
    );
}

#[test]
fn a_named_file_that_is_not_a_template_is_an_error() {
    let dir = tempdir();
    std::fs::write(dir.join("config.yaml"), "name: x\n").unwrap();
    let f = dir.join("config.yaml").display().to_string();
    let (code, stdout, _) = tollgate(&["check", &f, "--format", "json"]);
    assert_eq!(code, 2, "{stdout}");
    // As pre-commit passes it: skipped, and the template beside it is still checked.
    let (code, stdout, _) = tollgate(&["check", &f, FAIL, "--skip-other-files", "-f", "json"]);
    assert_eq!(code, 1, "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["summary"]["files_scanned"], 1);
}

fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "tollgate-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const EXAMPLE: &str = "testdata/user-policies/example-buckets.yaml";

#[test]
fn user_rego_policies_run_beside_the_pack_with_their_severity() {
    let (code, stdout, stderr) = tollgate(&[
        "check",
        EXAMPLE,
        "--format",
        "json",
        "--policy-dir",
        "testdata/user-policies/rego",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let user: Vec<_> = json_rules(&stdout)
        .into_iter()
        .filter(|f| f.0 == "acme-s3-owner-tag")
        .collect();
    assert_eq!(
        user,
        ["Logs", "Private", "Site"]
            .iter()
            .map(|r| (
                "acme-s3-owner-tag".to_string(),
                r.to_string(),
                format!("/Resources/{r}"),
                "low".to_string()
            ))
            .collect::<Vec<_>>()
    );
}

/// `docs/writing-rego-policies.md`: a user rule's `title` and `description` describe it in
/// reports and in `tollgate rules`.
#[test]
fn user_rules_show_their_title_and_description() {
    let rego = "testdata/user-policies/rego";
    let title = "S3 bucket has no owner tag";
    let description = "Every bucket must carry an `owner` tag naming the team that owns it.";
    let (code, human, _) = tollgate(&[
        "check",
        EXAMPLE,
        "--policy-dir",
        rego,
        "--rule",
        "acme-s3-owner-tag",
    ]);
    assert_eq!(code, 1);
    assert!(human.contains(&format!("╰── {title}")), "{human}");
    assert!(human.contains(&format!("help: {description}")), "{human}");

    let (_, sarif, _) = tollgate(&["check", EXAMPLE, "--policy-dir", rego, "-f", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let acme = rules
        .iter()
        .find(|r| r["id"] == "acme-s3-owner-tag")
        .unwrap();
    assert_eq!(acme["shortDescription"]["text"], title);
    assert_eq!(acme["fullDescription"]["text"], description);

    let (_, json, _) = tollgate(&["check", EXAMPLE, "--policy-dir", rego, "-f", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "acme-s3-owner-tag");
    assert_eq!(finding.unwrap()["title"], title);

    let (code, listed, _) = tollgate(&["rules", "--policy-dir", rego]);
    assert_eq!(code, 0);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("acme-s3-owner-tag") && l.contains(title)),
        "{listed}"
    );
    let (code, explained, _) = tollgate(&["explain", "acme-s3-owner-tag", "--policy-dir", rego]);
    assert_eq!(code, 0);
    assert!(
        explained.contains(title) && explained.contains(description),
        "{explained}"
    );
}

#[test]
fn user_guard_policies_run_beside_the_pack_with_their_severity() {
    let (code, stdout, stderr) = tollgate(&[
        "check",
        EXAMPLE,
        "--format",
        "json",
        "--engine",
        "guard",
        "--policy-dir",
        "testdata/user-policies/guard",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let user: Vec<_> = json_rules(&stdout)
        .into_iter()
        .filter(|f| f.0 == "s3-block-public-acls")
        .collect();
    let high = "high".to_string();
    assert_eq!(
        user,
        vec![
            (
                "s3-block-public-acls".into(),
                "Logs".into(),
                "/Resources/Logs".into(),
                high.clone()
            ),
            (
                "s3-block-public-acls".into(),
                "Site".into(),
                "/Resources/Site/Properties/PublicAccessBlockConfiguration/BlockPublicAcls".into(),
                high
            ),
        ]
    );
}

#[test]
fn a_user_policy_with_a_syntax_error_names_its_file_and_the_rest_still_runs() {
    let dir = tempdir();
    std::fs::write(
        dir.join("bad.rego"),
        "package tollgate.rules.cloudformation.bad\n\ndeny contains x if {\n",
    )
    .unwrap();
    let d = dir.display().to_string();
    let (code, stdout, _) = tollgate(&["check", FAIL, "--format", "json", "--policy-dir", &d]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["summary"]["findings"], 2, "the pack still ran");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("bad.rego"),
        "{stdout}"
    );
}

#[test]
fn admin_ports_option_reaches_both_engines() {
    let dir = tempdir();
    let t = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: winrm\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 5985, ToPort: 5986, CidrIp: 0.0.0.0/0}\n";
    std::fs::write(dir.join("winrm.yaml"), t).unwrap();
    let f = dir.join("winrm.yaml").display().to_string();
    for engine in ["rego", "guard"] {
        let (code, stdout, _) = tollgate(&["check", &f, "--format", "json", "--engine", engine]);
        assert_eq!(
            code, 0,
            "{engine}: 5985 is not an admin port by default: {stdout}"
        );
        let (code, stdout, _) = tollgate(&[
            "check",
            &f,
            "--format",
            "json",
            "--engine",
            engine,
            "--admin-ports",
            "22,3389,5985",
        ]);
        assert_eq!(code, 1, "{engine}: {stdout}");
        let rules: Vec<String> = json_rules(&stdout).into_iter().map(|f| f.0).collect();
        assert_eq!(rules, vec!["sg-admin-ports-world-ipv4"], "{engine}");
    }
}

#[test]
fn verbose_says_why_files_in_a_directory_were_skipped() {
    let dir = tempdir();
    std::fs::write(dir.join("config.yaml"), "name: x\n").unwrap();
    let d = dir.display().to_string();
    let (code, stdout, _) = tollgate(&["check", &d, "--verbose"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("config.yaml: no top-level AWSTemplateFormatVersion, Resources with an"),
        "{stdout}"
    );
    let (_, quiet, _) = tollgate(&["check", &d]);
    assert!(!quiet.contains("skipped"), "{quiet}");
}

#[test]
fn inspect_finds_values_of_a_plan_as_written() {
    let plan = "policies/sg-ssh-world/cases/tf-fail-basic/plan.json";
    let (code, stdout, stderr) = tollgate(&[
        "inspect",
        plan,
        "--pointer",
        "/resource_changes/0/change/after/ingress/0/cidr_blocks/0",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["value"], "0.0.0.0/0");
    assert_eq!(
        v["location"]["start"],
        serde_json::json!({"line": 1, "column": 1112})
    );
    let (code, stdout, _) =
        tollgate(&["inspect", plan, "--pointer", "/resource_changes/0/address"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("aws_security_group.web"), "{stdout}");
}

/// (code, line) of every error of a JSON report.
fn json_errors(stdout: &str) -> Vec<(String, u64)> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                text(e, "code"),
                e["location"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn every_undeclared_name_is_an_error_at_its_line_and_the_rest_is_still_checked() {
    let file = "testdata/cli/resolution/four-undeclared-names.yaml";
    for engine in ["rego", "guard"] {
        let (code, stdout, _) = tollgate(&["check", file, "--format", "json", "--engine", engine]);
        assert_eq!(code, 2, "{engine}: {stdout}");
        assert_eq!(
            json_errors(&stdout),
            vec![
                ("tollgate::resolve::sub-to-nothing".to_string(), 13),
                ("tollgate::resolve::ref-to-nothing".to_string(), 14),
                ("tollgate::resolve::missing-condition".to_string(), 22),
                ("tollgate::resolve::getatt-to-nothing".to_string(), 24),
            ],
            "{engine}"
        );
        let rules: Vec<(String, u64)> = json_findings(&stdout)
            .into_iter()
            .map(|f| (f.0, f.3))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("sg-admin-ports-world-ipv4".to_string(), 19),
                ("sg-ssh-world".to_string(), 19)
            ],
            "{engine}"
        );
    }
    // Beside the findings in every format.
    let (_, human, _) = tollgate(&["check", file]);
    for needle in [
        "four-undeclared-names.yaml:13:35: Fn::Sub variable ${Stag}",
        "four-undeclared-names.yaml:14:14: Ref to Vpc",
        "four-undeclared-names.yaml:22:16: resource Log has Condition",
        "four-undeclared-names.yaml:24:17: Fn::GetAtt names Key",
        "four-undeclared-names.yaml:19:19: [high] Security group ingress allows",
    ] {
        assert!(human.contains(needle), "{needle}\n{human}");
    }
    let (_, sarif, _) = tollgate(&["check", file, "--format", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().map(Vec::len), Some(2));
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 4, "{notes:?}");
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let (_, github, _) = tollgate(&["check", file, "--format", "github"]);
    assert_eq!(github.matches("::error file=").count(), 6, "{github}");
    let (_, junit, _) = tollgate(&["check", file, "--format", "junit"]);
    assert_eq!(junit.matches("<error ").count(), 4, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 2, "{junit}");
}

#[test]
fn preprocessor_tags_are_located_warnings_and_the_template_is_checked() {
    let file = "testdata/cli/resolution/rain-tags.yaml";
    let (code, stdout, _) = tollgate(&["check", file, "--format", "json"]);
    // A warning does not fail the run: the unencrypted volume does.
    assert_eq!(code, 1, "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with(
        "testdata/cli/resolution/rain-tags.yaml:8:18: unknown tag !Rain::Embed: a Rain preprocessor tag"
    ));
    assert!(warnings[1]
        .starts_with("testdata/cli/resolution/rain-tags.yaml:14:25: unknown tag !Rain::S3"));
    let rules: Vec<String> = json_findings(&stdout).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, vec!["ebs-unencrypted"]);
    let (_, human, _) = tollgate(&["check", file]);
    assert!(
        human.contains("⚠ rain-tags.yaml") || human.contains("unknown tag !Rain::Embed"),
        "{human}"
    );
    let (_, github, _) = tollgate(&["check", file, "--format", "github"]);
    assert!(
        github.contains("::warning file=testdata/cli/resolution/rain-tags.yaml,line=8,col=18"),
        "{github}"
    );
}

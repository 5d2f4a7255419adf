//! Selection, gating, configuration, suppressions, baseline, parameters, output and sharding:
//! each test fails when its feature is removed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{f, root, run, run_in};

const FAIL: &str = "policies/sg-ssh-world/cases/cfn-fail-param-default.yaml";
const SKIP: &str = "testdata/cli/suppress/metadata-skip.yaml";

#[test]
fn rule_and_skip_rule_select_findings() {
    let out = run(&["check", FAIL, "-f", "json", "--rule", "sg-ssh-world"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.findings(),
        vec![f("sg-ssh-world", "InstanceSecurityGroup", "")]
    );

    let out = run(&["check", FAIL, "-f", "json", "--skip-rule", "sg-ssh-world"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.findings(),
        vec![f("sg-admin-ports-world-ipv4", "InstanceSecurityGroup", "")]
    );

    let out = run(&[
        "check",
        FAIL,
        "-f",
        "json",
        "--skip-rule",
        "sg-ssh-world,sg-admin-ports-world-ipv4",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.findings().is_empty());
}

#[test]
fn an_unknown_rule_id_is_a_usage_error() {
    let out = run(&["check", FAIL, "--rule", "sg-ssh-wrld"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown rule \"sg-ssh-wrld\""),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn severity_threshold_gates_the_exit_code_but_keeps_the_report() {
    // Both findings are high.
    let out = run(&[
        "check",
        FAIL,
        "-f",
        "json",
        "--severity-threshold",
        "critical",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.findings().len(), 2);
    let out = run(&["check", FAIL, "-f", "json", "--severity-threshold", "high"]);
    assert_eq!(out.code, 1);
    // Severities are read in any letter case, as users write them (`CRITICAL`).
    let out = run(&[
        "check",
        FAIL,
        "-f",
        "json",
        "--severity-threshold",
        "CRITICAL",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn parameters_from_flags_and_both_file_forms() {
    for args in [
        vec!["--param", "SSHLocation=10.0.0.0/16"],
        vec!["--param-file", "testdata/cli/params/list.json"],
        vec!["--param-file", "testdata/cli/params/object.json"],
    ] {
        let mut all = vec!["check", FAIL, "-f", "json"];
        all.extend(&args);
        let out = run(&all);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stdout);
        assert!(out.findings().is_empty(), "{args:?}");
    }
    // --param wins over --param-file.
    let out = run(&[
        "check",
        FAIL,
        "-f",
        "json",
        "--param-file",
        "testdata/cli/params/list.json",
        "--param",
        "SSHLocation=0.0.0.0/0",
    ]);
    assert_eq!(out.code, 1);
    let out = run(&[
        "check",
        FAIL,
        "--param-file",
        "testdata/cli/params/missing.json",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("missing.json"), "{}", out.stderr);
}

#[test]
fn metadata_suppression_hides_one_rule_on_one_resource() {
    let out = run(&["check", SKIP, "-f", "json"]);
    assert_eq!(out.code, 1, "the other rule still fails");
    assert_eq!(
        out.findings(),
        vec![f("sg-admin-ports-world-ipv4", "BastionSg", "")]
    );
    assert_eq!(out.json()["summary"]["suppressed"], 1);

    let out = run(&["check", SKIP, "-f", "json", "--show-suppressed"]);
    assert_eq!(
        out.findings(),
        vec![
            f("sg-admin-ports-world-ipv4", "BastionSg", ""),
            f("sg-ssh-world", "BastionSg", "metadata"),
        ]
    );
    let v = out.json();
    let suppressed = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sg-ssh-world")
        .unwrap();
    assert_eq!(
        suppressed["suppressed"]["reason"],
        "Bastion host; access is limited by the NACL and MFA"
    );

    let out = run(&["check", SKIP, "-f", "json", "--rule", "sg-ssh-world"]);
    assert_eq!(out.code, 0, "only a suppressed finding: the run passes");
}

#[test]
fn malformed_metadata_suppressions_are_errors_with_a_location() {
    for (file, code, line) in [
        (
            "metadata-no-reason.yaml",
            "tollgate::suppress::no-reason",
            9,
        ),
        (
            "metadata-unknown-rule.yaml",
            "tollgate::suppress::unknown-rule",
            9,
        ),
    ] {
        let path = format!("testdata/cli/suppress/{file}");
        let out = run(&["check", &path, "-f", "json"]);
        assert_eq!(out.code, 2, "{file}");
        let v = out.json();
        assert_eq!(v["errors"][0]["code"], code, "{file}");
        assert_eq!(v["errors"][0]["location"]["start"]["line"], line, "{file}");
        // Nothing was suppressed by the broken entry.
        assert!(
            out.findings().contains(&f("sg-ssh-world", "BastionSg", "")),
            "{file}"
        );
    }
}

#[test]
fn tollgate_toml_is_found_and_applied() {
    let dir = root().join("testdata/cli/config");
    let out = run_in(&dir, &["check", "-f", "json", "--show-suppressed"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.findings(),
        vec![
            // Not suppressed: that suppression expired in 2020.
            f("s3-bucket-unencrypted", "Assets", ""),
            f("sg-admin-ports-world-ipv4", "LegacySg", ""),
            f("sg-ssh-world", "LegacySg", "config"),
        ]
    );
    let v = out.json();
    assert_eq!(v["summary"]["files_scanned"], 2, "vendor/** is excluded");
    let s3 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "s3-bucket-unencrypted")
        .unwrap();
    assert_eq!(s3["severity"], "critical", "the [severity] override");
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-31"),
        "{warnings:?}"
    );
}

#[test]
fn config_threshold_applies_and_flags_win() {
    // The config says severity_threshold = "medium"; the s3 finding is critical.
    let dir = root().join("testdata/cli/config");
    let out = run_in(
        &dir,
        &[
            "check",
            "templates/web.yaml",
            "--severity-threshold",
            "critical",
        ],
    );
    assert_eq!(out.code, 1);
    let out = run_in(
        &dir,
        &["check", "templates/web.yaml", "--no-config", "-f", "json"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.json()["findings"][0]["severity"],
        "low",
        "no override without config"
    );
}

fn temp_config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tollgate.toml");
    std::fs::write(&path, text).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

#[test]
fn configuration_errors_name_the_file_and_line() {
    for (text, needle, line) in [
        (
            "engine = \"rego\"\nskip_rule = [\"x\"]\n",
            "unknown field `skip_rule`",
            2,
        ),
        (
            "[[suppress]]\nrule = \"sg-ssh-world\"\n",
            "suppression of sg-ssh-world has no reason",
            1,
        ),
        (
            "[[suppress]]\nrule = \"nope\"\nreason = \"x\"\n",
            "unknown rule \"nope\"",
            2,
        ),
        ("[severity]\nnope = \"low\"\n", "unknown rule \"nope\"", 0),
    ] {
        let (_dir, config) = temp_config(text);
        let out = run(&["check", FAIL, "--config", &config]);
        assert_eq!(out.code, 2, "{text}");
        assert!(out.stderr.contains(needle), "{text}: {}", out.stderr);
        if line > 0 {
            assert!(
                out.stderr.contains(&format!("tollgate.toml:{line}:")),
                "{text}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn baseline_accepts_known_findings_across_line_moves() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("web.yaml");
    let original = std::fs::read_to_string(root().join(FAIL)).unwrap();
    std::fs::write(&template, &original).unwrap();
    let baseline = dir.path().join("baseline.json");
    let (t, b) = (
        template.display().to_string(),
        baseline.display().to_string(),
    );

    let out = run(&["check", &t, "--write-baseline", &b, "-f", "json"]);
    assert_eq!(out.code, 1, "writing a baseline still reports");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(written["findings"].as_array().unwrap().len(), 2);

    // Lines moved and the template reformatted: the same findings, still accepted.
    let moved = format!(
        "# a comment\n# another\n\n{}",
        original
            .replace("Resources:\n", "Resources:\n\n  # the group\n")
            .replace("ToPort: 22", "ToPort: \"22\"")
    );
    std::fs::write(&template, moved).unwrap();
    let out = run(&["check", &t, "--baseline", &b, "-f", "json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["summary"]["suppressed"], 2);

    // A new problem is not in the baseline: it fails the run, alone.
    let added = format!(
        "{original}  Rdp:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: sg-1\n      IpProtocol: tcp\n      FromPort: 3389\n      ToPort: 3389\n      CidrIp: 0.0.0.0/0\n"
    );
    std::fs::write(&template, added).unwrap();
    let out = run(&["check", &t, "--baseline", &b, "-f", "json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.findings(),
        vec![f("sg-admin-ports-world-ipv4", "Rdp", "")]
    );

    std::fs::write(&baseline, "{\"version\": 1, \"findings\": 3}").unwrap();
    let out = run(&["check", &t, "--baseline", &b]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a tollgate baseline"),
        "{}",
        out.stderr
    );
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.sarif");
    std::fs::write(&path, "previous report").unwrap();
    let p = path.display().to_string();
    let out = run(&["check", FAIL, "-f", "sarif", "-o", &p]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary left"
    );
}

/// The files of a JUnit report (one test suite per file).
fn junit_files(xml: &str) -> Vec<String> {
    xml.split("<testsuite name=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

#[test]
fn shards_partition_the_files_exactly() {
    let all = run(&["check", "policies/sg-ssh-world/cases", "-f", "junit"]);
    let mut all_files = junit_files(&all.stdout);
    assert!(all_files.len() > 20);
    let mut union = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = run(&[
            "check",
            "policies/sg-ssh-world/cases",
            "-f",
            "junit",
            "--shard",
            &shard,
        ]);
        let files = junit_files(&out.stdout);
        assert!(!files.is_empty(), "shard {shard} is empty");
        union.extend(files);
    }
    union.sort();
    all_files.sort();
    assert_eq!(union, all_files, "every file exactly once");

    let out = run(&["check", FAIL, "-f", "sarif", "--shard", "2/3"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["runs"][0]["automationDetails"]["id"],
        "tollgate/shard-2-of-3/"
    );
    assert_eq!(run(&["check", FAIL, "--shard", "4/3"]).code, 2);
}

#[test]
fn rules_lists_every_builtin_rule() {
    let out = run(&["rules", "-f", "json"]);
    assert_eq!(out.code, 0);
    let v = out.json();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), tollgate_policy::pack::BUILTIN.len());
    assert!(ids.contains(&"sg-ssh-world"));
    let ssh = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "sg-ssh-world")
        .unwrap();
    assert_eq!(ssh["severity"], "high");
    assert!(ssh["compliance"][0].as_str().unwrap().contains("PCI"));

    let table = run(&["rules"]);
    assert_eq!(
        table.stdout.lines().count(),
        1 + tollgate_policy::pack::BUILTIN.len(),
        "a header and one line per rule"
    );
    assert!(table.stdout.starts_with("ID "));
}

#[test]
fn explain_shows_rationale_fixes_and_examples() {
    let out = run(&["explain", "sg-ssh-world"]);
    assert_eq!(out.code, 0);
    for needle in [
        "sg-ssh-world — Security group allows SSH from the internet",
        "Why it matters",
        "Fix it (CloudFormation)",
        "Fix it (Terraform)",
        "Example (flagged, CloudFormation: policies/sg-ssh-world/cases/cfn-fail-basic.yaml)",
        "Example (passes, Terraform: policies/sg-ssh-world/cases/tf-pass-private-cidr/main.tf)",
        "CidrIp: 0.0.0.0/0",
    ] {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }
    let out = run(&["explain", "nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown rule"), "{}", out.stderr);
}

#[test]
fn test_subcommand_runs_user_policy_cases() {
    let out = run(&["test", "testdata/user-policies/rego"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("PASS"), "{}", out.stdout);
    assert!(out.stdout.contains("0 failed"), "{}", out.stdout);

    let out = run(&["test", "testdata/user-policies/guard", "--engine", "guard"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // The same policies with a wrong expectation fail, naming what differs.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("testdata/user-policies/rego")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "rego") {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(
        root().join("testdata/user-policies/example-buckets.yaml"),
        dir.path().join("buckets.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("buckets.expected.yaml"), "[]\n").unwrap();
    let out = run(&["test", &dir.path().display().to_string()]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("unexpected: acme-s3-owner-tag"),
        "{}",
        out.stdout
    );
}

#[test]
fn completions_and_man_page_are_generated() {
    let out = run(&["completions", "bash"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("--severity-threshold"));
    let out = run(&["man"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains(".TH tollgate"),
        "{}",
        &out.stdout[..200]
    );
    // Every page the top page refers to exists, and `check`'s options are in its own page.
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let top = std::fs::read_to_string(dir.path().join("tollgate.1")).unwrap();
    for sub in [
        "check",
        "rules",
        "explain",
        "test",
        "inspect",
        "completions",
        "man",
    ] {
        let page = dir.path().join(format!("tollgate-{sub}.1"));
        assert!(page.is_file(), "{} is missing", page.display());
        assert!(
            top.contains(&format!("tollgate\\-{sub}(1)")),
            "{sub} not in SEE ALSO"
        );
    }
    let check = std::fs::read_to_string(dir.path().join("tollgate-check.1")).unwrap();
    assert!(
        check.contains("severity\\-threshold"),
        "check's options are on its page"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' check policies | head -n 1",
            env!("CARGO_BIN_EXE_tollgate")
        ))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn output_order_is_the_same_on_every_run() {
    // Files are checked in parallel and rules in parallel chunks; the report must not show it.
    let first = run(&["check", "policies", "-f", "json"]);
    assert!(first.json()["summary"]["findings"].as_u64().unwrap() > 100);
    for _ in 0..2 {
        assert_eq!(
            run(&["check", "policies", "-f", "json"]).stdout,
            first.stdout
        );
    }
}

#[test]
fn colour_is_chosen_by_the_flag_then_the_environment() {
    let has_ansi = |out: &common::Out| out.stdout.contains("\u{1b}[");
    // common::run sets NO_COLOR; the flag wins over it.
    assert!(has_ansi(&run(&["check", FAIL, "--color", "always"])));
    assert!(!has_ansi(&run(&["check", FAIL, "--color", "never"])));
    assert!(!has_ansi(&run(&["check", FAIL])));
    // Not a terminal, but forced for a CI log; NO_COLOR wins over the forcing variables.
    let with_env = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tollgate"));
        cmd.args(["check", FAIL]).current_dir(common::root());
        for v in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] {
            cmd.env_remove(v);
        }
        cmd.envs(vars.iter().copied());
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).contains("\u{1b}[")
    };
    assert!(!with_env(&[]));
    assert!(with_env(&[("FORCE_COLOR", "1")]));
    assert!(with_env(&[("CLICOLOR_FORCE", "1")]));
    assert!(!with_env(&[("FORCE_COLOR", "0")]));
    assert!(!with_env(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
}

#[test]
fn the_rules_table_lines_up() {
    let out = run(&["rules"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // Where the compliance column starts in the header, every row has a column break.
    let at = lines[0].find("COMPLIANCE").unwrap();
    for line in &lines[1..] {
        let chars: Vec<char> = line.chars().collect();
        assert!(chars.len() > at, "{line}");
        assert!(
            chars[at - 2] == ' ' && chars[at] != ' ',
            "misaligned: {line}"
        );
    }
}

#[test]
fn a_report_written_to_a_file_still_tells_the_terminal_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("x.sarif");
    let sarif = sarif.to_str().unwrap();
    let broken = "testdata/errors/load/json-syntax.json";
    let out = run(&["check", FAIL, broken, "-f", "sarif", "-o", sarif]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{broken}:5:5: error tollgate::load::json-syntax ")),
        "{}",
        out.stderr
    );
    assert!(
        lines[1].starts_with("tollgate: 1 file(s) checked, 2 finding(s)"),
        "{}",
        out.stderr
    );
    assert_eq!(lines[2], format!("tollgate: report written to {sarif}"));
    // --quiet: the report and nothing else.
    let out = run(&["check", FAIL, broken, "-f", "sarif", "-o", sarif, "--quiet"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        out.stderr
    );
}

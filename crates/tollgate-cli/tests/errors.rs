//! One test per command-line and configuration error of docs/errors.md: each example gives
//! its code, exit 2, and names the file (and line, where there is one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{root, run};

const FAIL: &str = "policies/sg-ssh-world/cases/cfn-fail-basic.yaml";

/// Writes `files` into a temporary directory and runs `tollgate ARGS` there.
fn run_with(files: &[(&str, &str)], args: &[&str]) -> (common::Out, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::copy(root().join(FAIL), dir.path().join("web.yaml")).unwrap();
    (common::run_in(dir.path(), args), dir)
}

/// (code, files to write, arguments, text that must appear)
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);

/// Every catalogued code, with an input that produces it and where it must appear.
#[test]
fn every_cli_error_code_has_a_working_example() {
    let skip_not_list = "Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      tollgate:\n        skip: sg-ssh-world\n    Properties:\n      GroupDescription: x\n";
    let cases: Vec<Case> = vec![
        (
            "tollgate::config::io",
            vec![],
            vec!["check", "--config", "missing.toml"],
            "missing.toml",
        ),
        (
            "tollgate::config::invalid",
            vec![("tollgate.toml", "severity_threshold = \"severe\"\n")],
            vec!["check"],
            "tollgate.toml:1:22",
        ),
        (
            "tollgate::suppress::no-reason",
            vec![("tollgate.toml", "[[suppress]]\nrule = \"sg-ssh-world\"\n")],
            vec!["check"],
            "tollgate.toml:1:1",
        ),
        (
            "tollgate::suppress::unknown-rule",
            vec![(
                "tollgate.toml",
                "[[suppress]]\nrule = \"ssh\"\nreason = \"x\"\n",
            )],
            vec!["check"],
            "tollgate.toml:2:8",
        ),
        (
            "tollgate::suppress::invalid",
            vec![("sg.yaml", skip_not_list)],
            vec!["check", "sg.yaml", "-f", "json"],
            "sg.yaml",
        ),
        (
            "tollgate::baseline::invalid",
            vec![("b.json", "[]")],
            vec!["check", "--baseline", "b.json"],
            "b.json",
        ),
        (
            "tollgate::params::invalid",
            vec![("p.json", "{\"Foo\": 1}")],
            vec!["check", "--param-file", "p.json"],
            "p.json",
        ),
        (
            "tollgate::usage",
            vec![],
            vec!["check", "--param", "NoEquals"],
            "NoEquals",
        ),
        (
            "tollgate::usage::unknown-rule",
            vec![],
            vec!["check", "--skip-rule", "ssh"],
            "unknown rule \"ssh\"",
        ),
        (
            "tollgate::discover",
            vec![],
            vec!["check", "nowhere", "-f", "json"],
            "nowhere: no such file or directory",
        ),
        (
            "tollgate::test::no-policies",
            vec![],
            vec!["test", "."],
            "no Rego policies found",
        ),
    ];
    for (code, files, args, needle) in cases {
        let (out, _dir) = run_with(&files, &args);
        assert_eq!(out.code, 2, "{code}: {}{}", out.stdout, out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains(code), "{code} not reported: {all}");
        assert!(all.contains(needle), "{code}: no {needle:?} in {all}");
    }
}

#[test]
fn a_clap_usage_error_exits_2() {
    let out = run(&["check", "--format", "xml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("invalid value 'xml'"), "{}", out.stderr);
}

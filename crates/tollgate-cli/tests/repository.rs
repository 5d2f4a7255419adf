//! A repository as users have it: templates beside Helm charts, manifests, JSON with comments
//! and the like (`testdata/repo/`, see its README). Only the templates are checked; every
//! other file is skipped, never an error, whether found by the walk or named by a hook.
//! Standard input and files that are not regular files are read too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{root, run_in, run_with_stdin};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    root().join("testdata/repo")
}

/// `(rule, file, resource, line)` of every finding, sorted.
fn located(out: &common::Out) -> Vec<(String, String, String, u64)> {
    let v = out.json();
    let mut found: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["resource"].as_str().unwrap().to_string(),
                f["location"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn the_two_templates_findings(prefix: &str) -> Vec<(String, String, String, u64)> {
    let mut expected: Vec<_> = [
        ("ebs-unencrypted", "infra/storage.json", "DataVolume", 5),
        (
            "sg-admin-ports-world-ipv4",
            "infra/web.yaml",
            "WebSecurityGroup",
            12,
        ),
        ("sg-ssh-world", "infra/web.yaml", "WebSecurityGroup", 12),
    ]
    .into_iter()
    .map(|(r, f, res, l)| (r.to_string(), format!("{prefix}{f}"), res.to_string(), l))
    .collect();
    expected.sort();
    expected
}

/// Every file of the fixture repository, relative to it, as `git ls-files` would list them.
fn every_file(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn checking_the_repository_reports_only_the_templates_findings_and_no_error() {
    for engine in ["rego", "guard"] {
        let out = run_in(
            &repo(),
            &["check", ".", "--format", "json", "--engine", engine],
        );
        assert_eq!(out.code, 1, "{engine}: {}\n{}", out.stdout, out.stderr);
        let v = out.json();
        assert_eq!(v["errors"], serde_json::json!([]), "{engine}");
        assert_eq!(v["summary"]["files_scanned"], 2, "{engine}");
        assert_eq!(located(&out), the_two_templates_findings(""), "{engine}");
    }
}

#[test]
fn the_pre_commit_form_skips_every_other_named_file() {
    // pre-commit names every staged file its `files` pattern selects.
    let pattern = |f: &str| {
        [".yaml", ".yml", ".json", ".template", ".cfn"]
            .iter()
            .any(|e| f.ends_with(e))
    };
    let files: Vec<String> = every_file(&repo())
        .into_iter()
        .filter(|f| pattern(f))
        .collect();
    assert!(files.len() >= 15, "{files:?}");
    let mut args = vec!["check", "--skip-other-files", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let out = run_in(&repo(), &args);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["errors"], serde_json::json!([]));
    assert_eq!(located(&out), the_two_templates_findings(""));
    // Without the flag, a named file that is not a template is an error, as before.
    let out = run_in(&repo(), &["check", "k8s/app.yaml", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
}

#[test]
fn a_broken_template_in_the_repository_is_still_an_error_and_the_rest_is_checked() {
    let dir = std::env::temp_dir().join(format!("tollgate-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in every_file(&repo()) {
        let to = dir.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo().join(&f), to).unwrap();
    }
    std::fs::write(
        dir.join("infra/broken.yaml"),
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: [a\n",
    )
    .unwrap();
    let out = run_in(&dir, &["check", ".", "--format", "json"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.code, 2, "{}", out.stdout);
    let v = out.json();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "infra/broken.yaml");
    assert_eq!(errors[0]["location"]["start"]["line"], 5);
    assert_eq!(located(&out), the_two_templates_findings(""));
}

#[test]
fn standard_input_is_one_template_named_stdin_or_as_told() {
    let template = std::fs::read(repo().join("infra/web.yaml")).unwrap();
    let out = run_with_stdin(&repo(), &["check", "-", "--format", "json"], &template);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let files: Vec<String> = located(&out).into_iter().map(|f| f.1).collect();
    assert_eq!(files, ["<stdin>", "<stdin>"]);

    // --stdin-filename names it in reports and for tollgate.toml's globs.
    let dir = std::env::temp_dir().join(format!("tollgate-stdin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("tollgate.toml"),
        "[[suppress]]\nrule = \"sg-ssh-world\"\nreason = \"bastion\"\nfiles = \"stacks/*.yaml\"\n",
    )
    .unwrap();
    let args = [
        "check",
        "-",
        "--stdin-filename",
        "stacks/bastion.yaml",
        "--format",
        "json",
        "--show-suppressed",
    ];
    let out = run_with_stdin(&dir, &args, &template);
    std::fs::remove_dir_all(&dir).unwrap();
    let v = out.json();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{}", out.stdout);
    for f in findings {
        assert_eq!(f["file"], "stacks/bastion.yaml");
        let suppressed = f["rule"] == "sg-ssh-world";
        assert_eq!(f["suppressed"].is_object(), suppressed, "{f}");
    }

    // Something that is not a template on standard input: an error, or skipped if asked.
    let out = run_with_stdin(&repo(), &["check", "-"], b"apiVersion: v1\nkind: Pod\n");
    assert_eq!(out.code, 2, "{}", out.stdout);
    let out = run_with_stdin(
        &repo(),
        &["check", "-", "--skip-other-files"],
        b"kind: Pod\n",
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Named twice: one read, and an error for the second.
    let out = run_with_stdin(&repo(), &["check", "-", "-", "--format", "json"], &template);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert_eq!(located(&out).len(), 2);
}

#[test]
fn a_named_path_that_is_not_a_regular_file_is_read() {
    let template = std::fs::read(repo().join("infra/web.yaml")).unwrap();
    // /dev/stdin (a pipe here), as `tollgate check /dev/stdin < file` gives it.
    let out = run_with_stdin(
        &repo(),
        &["check", "/dev/stdin", "--format", "json"],
        &template,
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.json()["summary"]["files_scanned"], 1);
    assert_eq!(located(&out).len(), 2);

    // A named pipe, as a process substitution `<(…)` gives one.
    let fifo = std::env::temp_dir().join(format!("tollgate-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: skipped the named-pipe case: mkfifo is not available");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, template).unwrap())
    };
    let name = fifo.display().to_string();
    let out = run_in(&repo(), &["check", &name, "--format", "json"]);
    writer.join().unwrap();
    std::fs::remove_file(&fifo).unwrap();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(located(&out).len(), 2);
}

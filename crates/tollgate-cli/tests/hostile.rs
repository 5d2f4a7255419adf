//! What the file system can throw at a run: a symlink loop, an unreadable file, a missing
//! path, a file over the size limit. Each is reported with the path, exit 2, and the other
//! files are still checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{root, run};

const FAIL: &str = "policies/sg-ssh-world/cases/cfn-fail-basic.yaml";

/// A temporary directory holding one violating template.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(FAIL), dir.path().join("web.yaml")).unwrap();
    dir
}

fn error_messages(v: &serde_json::Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_symlink_loop_is_reported_and_the_walk_goes_on() {
    let dir = project();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let out = run(&["check", &dir.path().display().to_string(), "-f", "json"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["summary"]["files_scanned"], 1, "web.yaml is checked once");
    assert_eq!(v["summary"]["findings"], 2);
    let errors = error_messages(&v);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("loop"), "{errors:?}");
}

#[test]
fn an_unreadable_file_is_reported_and_the_others_checked() {
    // /proc/self/mem exists, is a regular file, and fails to read at offset 0 even for root.
    let out = run(&["check", "/proc/self/mem", FAIL, "-f", "json"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    let v = out.json();
    assert_eq!(v["summary"]["findings"], 2);
    assert_eq!(v["errors"][0]["file"], "/proc/self/mem");
    assert_eq!(v["errors"][0]["code"], "tollgate::load::io");
    assert!(error_messages(&v)[0].starts_with("cannot read"), "{v}");
}

#[test]
fn a_missing_path_is_reported_and_the_others_checked() {
    let out = run(&["check", "no/such/dir", FAIL, "-f", "json"]);
    assert_eq!(out.code, 2);
    let v = out.json();
    assert_eq!(v["summary"]["findings"], 2);
    assert_eq!(
        error_messages(&v),
        vec!["no/such/dir: no such file or directory"]
    );
}

#[test]
fn a_file_over_the_size_limit_names_the_flag_that_raises_it() {
    let dir = project();
    let big = dir.path().join("big.json");
    std::fs::write(&big, format!("{{\"x\": \"{}\"}}", "a".repeat(2000))).unwrap();
    let out = run(&[
        "check",
        &dir.path().display().to_string(),
        "--max-file-size",
        "1000",
        "-f",
        "json",
    ]);
    assert_eq!(out.code, 2);
    let v = out.json();
    assert_eq!(v["summary"]["findings"], 2, "web.yaml is under the limit");
    assert_eq!(v["errors"][0]["code"], "tollgate::load::too-large");
    assert!(
        error_messages(&v)[0].contains("--max-file-size"),
        "{:?}",
        error_messages(&v)
    );
}

#[test]
fn scanned_files_are_never_written() {
    let dir = project();
    let file = dir.path().join("web.yaml");
    let before = std::fs::read(&file).unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    let d = dir.path().display().to_string();
    let baseline = dir.path().join("b.json").display().to_string();
    run(&["check", &d, "--write-baseline", &baseline]);
    run(&[
        "check",
        &d,
        "-f",
        "sarif",
        "-o",
        &dir.path().join("r.sarif").display().to_string(),
    ]);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn every_limit_can_be_raised_from_the_command_line() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("long.yaml"),
        format!(
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: {}\n",
            "a".repeat(3000)
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("alias.yaml"),
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: &p\n      Tags: [{Key: a, Value: b}]\n  C:\n    Type: AWS::S3::Bucket\n    Properties: *p\n",
    )
    .unwrap();
    let path = d.display().to_string();
    // Lowered, each limit is an error that names the flag raising it.
    let out = run(&[
        "check",
        &path,
        "-f",
        "json",
        "--max-string-length",
        "1000",
        "--max-alias-nodes",
        "2",
    ]);
    assert_eq!(out.code, 2);
    let v = out.json();
    let mut codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "tollgate::load::alias-limit",
            "tollgate::load::string-too-long"
        ]
    );
    let human = run(&[
        "check",
        &path,
        "--max-string-length",
        "1000",
        "--max-alias-nodes",
        "2",
    ]);
    assert!(
        human.stdout.contains("--max-string-length BYTES"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("--max-alias-nodes N"),
        "{}",
        human.stdout
    );
    // At their defaults, the same files load.
    let out = run(&["check", &path, "-f", "json"]);
    assert_eq!(out.json()["errors"].as_array().unwrap().len(), 0);

    // A runaway user rule is stopped at --policy-timeout; the built-in rules still report.
    let out = run(&[
        "check",
        FAIL,
        "--policy-dir",
        "testdata/user-policies/broken/rego-runaway",
        "--policy-timeout",
        "1",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("exceeded its time (1 s) limit"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("--policy-timeout SECONDS"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("sg-ssh-world"), "{}", out.stdout);

    // Issue 15: a rule that allocates without bound is stopped at the memory limit (1 GiB by
    // default) within a second, named in the report of the file; the built-in rules report.
    let started = std::time::Instant::now();
    let out = run(&[
        "check",
        FAIL,
        "--policy-dir",
        "testdata/user-policies/broken/rego-memory",
        "-f",
        "json",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(out.code, 2);
    let report = out.json();
    let text = report.to_string();
    assert!(text.contains("exceeded its memory (1 GiB) limit"), "{text}");
    assert!(text.contains("huge_range.rego"), "{text}");
    assert!(text.contains("tollgate::policy::limit"), "{text}");
    assert!(text.contains("sg-ssh-world"), "{text}");
    let out = run(&[
        "check",
        FAIL,
        "--policy-dir",
        "testdata/user-policies/broken/rego-memory",
        "--policy-memory-limit",
        "64M",
    ]);
    assert!(
        out.stdout.contains("exceeded its memory (64 MiB) limit"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("--policy-memory-limit BYTES"),
        "{}",
        out.stdout
    );
    // The same rule without `metadata` is rejected when the policies load, at once.
    let started = std::time::Instant::now();
    let out = run(&[
        "check",
        FAIL,
        "--policy-dir",
        "testdata/user-policies/broken/rego-memory-no-metadata",
        "-f",
        "json",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(out.code, 2);
    let text = out.json().to_string();
    assert!(
        text.contains("must define a constant object `metadata"),
        "{text}"
    );
    assert!(text.contains("sg-ssh-world"), "{text}");
}

#[test]
fn policy_memory_limit_flag_and_configuration_key() {
    let out = run(&["check", FAIL, "--policy-memory-limit", "1Q"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not a byte count"), "{}", out.stderr);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tollgate.toml");
    std::fs::write(
        &config,
        "policy_memory_limit = \"32M\"\npolicy_dirs = [\"rules\"]\n",
    )
    .unwrap();
    let root = root();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy(
        root.join("testdata/user-policies/broken/rego-memory/huge_range.rego"),
        rules.join("huge_range.rego"),
    )
    .unwrap();
    let config = config.display().to_string();
    let out = run(&["check", FAIL, "--config", &config]);
    assert!(
        out.stdout.contains("exceeded its memory (32 MiB) limit"),
        "{}",
        out.stdout
    );
    std::fs::write(
        dir.path().join("tollgate.toml"),
        "policy_memory_limit = \"lots\"\n",
    )
    .unwrap();
    let out = run(&["check", FAIL, "--config", &config]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a byte count"),
        "{}{}",
        out.stdout,
        out.stderr
    );
}

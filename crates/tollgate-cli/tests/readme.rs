//! README.md, followed command by command: the set-up commands are the ones CI runs, every
//! `tollgate` command it shows exists with the flags it uses, and the bundled example prints
//! what the README shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{redact_time, root, run};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The lines of every ```sh block.
fn shell_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match (inside, line.trim_start()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, l) => out.push(l.split("  #").next().unwrap().trim().to_string()),
            _ => {}
        }
    }
    out
}

#[test]
fn the_two_setup_commands_come_first_and_ci_runs_the_test_command() {
    let lines = shell_lines(&readme());
    assert!(
        lines[0].starts_with("cargo run --release -- check "),
        "{}",
        lines[0]
    );
    let test_command = &lines[1];
    assert!(test_command.starts_with("cargo test"), "{test_command}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == test_command),
        ".ci/run must run exactly `{test_command}`"
    );
}

#[test]
fn the_bundled_example_prints_what_the_readme_shows() {
    let text = readme();
    let first = &shell_lines(&text)[0];
    let args: Vec<&str> = first
        .strip_prefix("cargo run --release -- ")
        .unwrap()
        .split_whitespace()
        .collect();
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let start = text.find("<!-- example:start").unwrap();
    let block = &text[start..];
    let block = &block[block.find("```text\n").unwrap() + 8..];
    let shown = &block[..block.find("```\n<!-- example:end").unwrap()];
    assert_eq!(redact_time(shown), redact_time(&out.stdout));
}

#[test]
fn every_tollgate_command_in_the_readme_exists_with_its_flags() {
    let mut checked = 0;
    for line in shell_lines(&readme()) {
        let Some(rest) = line.strip_prefix("tollgate ") else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let sub = words[0];
        let help = run(&[sub, "--help"]);
        assert_eq!(
            help.code, 0,
            "`tollgate {sub}` does not exist: {}",
            help.stderr
        );
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            let flag = flag.split('=').next().unwrap();
            assert!(
                help.stdout.contains(flag),
                "`tollgate {sub}` has no {flag} (README: {line})"
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} commands found");
}

#[test]
fn every_cli_test_file_is_registered_in_the_root_manifest() {
    // The CLI's package is the root manifest (for `cargo install --path .`), which lists
    // the test targets explicitly: a file left out would silently never run.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let dir = root().join("crates/tollgate-cli/tests");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            let path = format!("path = \"crates/tollgate-cli/tests/{stem}.rs\"");
            assert!(
                manifest.contains(&path),
                "{name} is not a [[test]] in Cargo.toml"
            );
        }
    }
}

#[test]
fn ci_requires_the_corpus_and_only_the_corpus_helper_reads_outside_the_repository() {
    // A fresh clone has nothing beside it: tests that need the shared corpus go through
    // `tollgate_corpus::corpus()`, which skips there and fails in CI, where .ci/run sets
    // the variable.
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines()
            .any(|l| l.trim() == "export TOLLGATE_REQUIRE_CORPUS=1"),
        ".ci/run must export TOLLGATE_REQUIRE_CORPUS=1 before the tests"
    );
    let allowed = [
        root().join("crates/tollgate-corpus/src/lib.rs"),
        root().join("crates/tollgate-cli/tests/readme.rs"), // this test names the pattern
    ];
    let mut offenders = Vec::new();
    let mut scanned = 0;
    for dir in ["crates", "fuzz", "bench"] {
        for entry in walkdir::WalkDir::new(root().join(dir))
            .into_iter()
            .filter_entry(|e| e.file_name() != "target")
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        {
            scanned += 1;
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if !allowed.iter().any(|a| a == entry.path())
                && (text.contains("../shared") || text.contains("shared/corpus"))
            {
                offenders.push(entry.path().display().to_string());
            }
        }
    }
    assert!(scanned > 50, "only {scanned} Rust files found");
    assert!(
        offenders.is_empty(),
        "these read ../shared directly; use tollgate_corpus::corpus(): {offenders:?}"
    );
}

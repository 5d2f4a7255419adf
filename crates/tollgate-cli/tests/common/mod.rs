//! Running the binary from the repository root, and reading its JSON report.
#![allow(dead_code)] // each test file uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", self.stdout, self.stderr))
    }

    /// `(rule, resource, suppressed kind or "")` of every finding in a JSON report, sorted.
    pub fn findings(&self) -> Vec<(String, String, String)> {
        let v = self.json();
        let mut out: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["resource"].as_str().unwrap().to_string(),
                    f["suppressed"]["kind"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

/// Runs `tollgate ARGS` in `dir` (default: the repository root), without colour.
pub fn run_in(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `tollgate ARGS` in `dir` with `input` on standard input.
pub fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Out {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run(args: &[&str]) -> Out {
    run_in(&root(), args)
}

pub fn f(rule: &str, resource: &str, suppressed: &str) -> (String, String, String) {
    (rule.into(), resource.into(), suppressed.into())
}

/// Replaces the run time (`in 0.05s`, `time="0.052"`) so reports can be snapshotted.
pub fn redact_time(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
        let (head, tail) = rest.split_at(i);
        let len = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        let number = &tail[..len];
        let after = &tail[len..];
        let timed = (head.ends_with("in ") && after.starts_with('s')) || head.ends_with("time=\"");
        out.push_str(head);
        out.push_str(if timed && number.contains('.') {
            "[time]"
        } else {
            number
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

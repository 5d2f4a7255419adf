//! Which files to check: paths named on the command line, and candidate files found by
//! walking directories (classified later by content).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where to read it; for standard input, the `--stdin-filename` path (matched against
    /// globs) or `<stdin>`.
    pub path: PathBuf,
    /// The path as shown in reports: as given, or found under a given directory.
    pub display: String,
    /// Named on the command line: if it is neither a template nor a plan, that is an error.
    pub explicit: bool,
    /// `-` on the command line: read standard input, not `path`.
    pub stdin: bool,
}

/// How standard input (`-`) is named in reports without `--stdin-filename`.
pub const STDIN_NAME: &str = "<stdin>";

/// File names worth reading when walking a directory.
fn is_candidate(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("yaml" | "yml" | "json" | "template" | "cfn")
    )
}

/// Directories never worth walking.
fn is_skipped_dir(name: &str) -> bool {
    matches!(
        name,
        ".git" | ".terraform" | "node_modules" | "target" | ".aws-sam" | "cdk.out"
    )
}

/// Candidates in a stable order, and errors for paths that do not exist or cannot be walked.
/// `-` is standard input, named `stdin_name` (or `<stdin>`).
pub fn discover(paths: &[PathBuf], stdin_name: Option<&Path>) -> (Vec<Candidate>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    let mut stdin_seen = false;
    for root in paths {
        if root.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_seen, true) {
                errors.push("-: standard input is named more than once".to_string());
                continue;
            }
            let path = stdin_name.map_or_else(|| PathBuf::from(STDIN_NAME), Path::to_path_buf);
            out.push(Candidate {
                display: path.display().to_string(),
                path,
                explicit: true,
                stdin: true,
            });
            continue;
        }
        let Ok(meta) = std::fs::metadata(root) else {
            errors.push(format!("{}: no such file or directory", root.display()));
            continue;
        };
        // Anything named that is not a directory is read: a file, and also a named pipe,
        // `/dev/stdin` or a process substitution (`<(terraform show -json plan.bin)`).
        if !meta.is_dir() {
            out.push(Candidate {
                path: root.clone(),
                display: root.display().to_string(),
                explicit: true,
                stdin: false,
            });
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_type().is_dir() && is_skipped_dir(&e.file_name().to_string_lossy()))
            });
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() && is_candidate(e.path()) => {
                    let display = e
                        .path()
                        .strip_prefix("./")
                        .unwrap_or(e.path())
                        .display()
                        .to_string();
                    out.push(Candidate {
                        path: e.path().to_path_buf(),
                        display,
                        explicit: false,
                        stdin: false,
                    });
                }
                Ok(_) => {}
                Err(e) => errors.push(format!(
                    "{}: {}",
                    e.path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| root.display().to_string()),
                    e
                )),
            }
        }
    }
    (out, errors)
}

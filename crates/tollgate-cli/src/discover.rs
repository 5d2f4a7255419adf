//! Which files to check: paths named on the command line, and candidate files found by
//! walking directories (classified later by content).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    /// The path as shown in reports: as given, or found under a given directory.
    pub display: String,
    /// Named on the command line: if it is neither a template nor a plan, that is an error.
    pub explicit: bool,
}

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
pub fn discover(paths: &[PathBuf]) -> (Vec<Candidate>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let defaults = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &defaults[..]
    } else {
        paths
    };
    for root in paths {
        if root.is_file() {
            out.push(Candidate {
                path: root.clone(),
                display: root.display().to_string(),
                explicit: true,
            });
            continue;
        }
        if !root.exists() {
            errors.push(format!("{}: no such file or directory", root.display()));
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

//! Finding and reading users' policy files: the paths given, and directories searched
//! recursively (in file-name order) for the files of one language.

use std::path::{Path, PathBuf};

/// A policy file that was read.
pub(crate) struct PolicyFile {
    pub path: PathBuf,
    pub text: String,
}

/// What could not be read.
pub(crate) enum ReadFailure {
    /// An entry of a directory given as a policy path (`root`) could not be listed; `path` is
    /// the entry, when known.
    Directory {
        root: PathBuf,
        path: PathBuf,
        message: String,
    },
    /// A policy file could not be read.
    File { path: PathBuf, message: String },
}

/// Reads the files at `paths`: a file is taken as given, a directory is searched for files
/// that `is_policy` accepts (symbolic links followed).
pub(crate) fn read_policy_files(
    paths: &[PathBuf],
    is_policy: fn(&Path) -> bool,
) -> (Vec<PolicyFile>, Vec<ReadFailure>) {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut failures = Vec::new();
    for root in paths {
        if !root.is_dir() {
            found.push(root.clone());
            continue;
        }
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            match entry {
                Ok(entry) => {
                    let path = entry.into_path();
                    if path.is_file() && is_policy(&path) {
                        found.push(path);
                    }
                }
                Err(err) => failures.push(ReadFailure::Directory {
                    root: root.clone(),
                    path: err.path().unwrap_or(root.as_path()).to_path_buf(),
                    message: err.to_string(),
                }),
            }
        }
    }
    let mut files = Vec::new();
    for path in found {
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push(PolicyFile { path, text }),
            Err(err) => failures.push(ReadFailure::File {
                path,
                message: err.to_string(),
            }),
        }
    }
    (files, failures)
}

//! Test support: the shared corpus (`../shared/corpus/` beside the checkout: public
//! CloudFormation templates and Terraform plans, kept outside the repository).
//!
//! A fresh clone has no corpus, and its test suite must still pass there: tests that need
//! the corpus call [`corpus`] and return early (with a printed note) when it gives `None`.
//! CI has the corpus and sets `TOLLGATE_REQUIRE_CORPUS=1`, which makes a missing corpus a
//! failure, so those tests never skip unnoticed there.
//!
//! This is the only place in the workspace that names a path outside the repository
//! (`tests/readme.rs` checks that).

use std::path::{Path, PathBuf};

/// The variable that turns a missing corpus from a skip into a failure.
pub const REQUIRE_VARIABLE: &str = "TOLLGATE_REQUIRE_CORPUS";

/// The repository's top directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The corpus directory, or `None` (after printing why) when it is absent and not required.
///
/// # Panics
/// When the corpus is absent and `TOLLGATE_REQUIRE_CORPUS` is set to anything but `0` or
/// the empty string: CI must run the corpus tests, not skip them.
#[allow(clippy::panic)] // a test-support function: failing the calling test is its job
pub fn corpus() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/corpus");
    if dir.join("MANIFEST.tsv").is_file() {
        return Some(dir);
    }
    let required = std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| !v.is_empty() && v != "0");
    if required {
        panic!(
            "{REQUIRE_VARIABLE} is set but the corpus is not at {}",
            dir.display()
        );
    }
    // Straight to stderr, not `eprintln!`: the test harness captures the print macros, and
    // this note must be seen in a passing run.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "note: skipped: the shared corpus is not at {} (set {REQUIRE_VARIABLE}=1 to fail instead)",
        dir.display()
    );
    None
}

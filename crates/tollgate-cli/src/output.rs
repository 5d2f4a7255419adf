//! Where reports go: stdout (a closed pipe ends quietly) or a file written atomically.

use miette::{miette, Result};
use std::io::Write;
use std::path::Path;

/// Writes to stdout; a closed pipe (`tollgate check | head`) ends the output quietly.
pub fn stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| miette!("cannot write the report: {e}")),
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it into place: a reader
/// (or an interrupted run) sees the old file or the new one, never half of one.
pub fn atomic(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: &dyn std::fmt::Display| miette!("cannot write {}: {e}", path.display());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tollgate-");
    // tempfile creates 0600 files; a report is an ordinary file: created as `open` would
    // (0666 less the umask), and an overwritten file keeps its mode.
    #[cfg(unix)]
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| fail(&e))?;
    #[cfg(unix)]
    if let Some(mode) = existing {
        tmp.as_file().set_permissions(mode).map_err(|e| fail(&e))?;
    }
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.sarif");
        std::fs::write(&path, "old").unwrap();
        atomic(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn atomic_writes_take_the_umask_and_keep_an_existing_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // The umask of this process, read back from a file `open` creates.
        let probe = dir.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        let fresh = dir.path().join("new.sarif");
        atomic(&fresh, "x").unwrap();
        assert_eq!(mode(&fresh), mode(&probe), "created as open(2) would");
        let kept = dir.path().join("kept.json");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        atomic(&kept, "new").unwrap();
        assert_eq!(mode(&kept), 0o640, "an overwritten file keeps its mode");
    }

    #[test]
    fn atomic_write_into_a_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let err = atomic(&dir.path().join("no/such/out.json"), "x").unwrap_err();
        assert!(err.to_string().contains("cannot write"), "{err}");
    }
}

//! `tollgate check [PATH ...]`: the pipeline. Settings → discover → per file, in parallel:
//! load, evaluate, filter, make its records (and drop the document) → report → exit code.

use crate::baseline::{self, BaselineEntry};
use crate::catalogue::RuleInfo;
use crate::cli::CheckArgs;
use crate::config;
use crate::diagnostics::{self, FileReport, RuleIndex, Run};
use crate::discover::{discover, Candidate};
use crate::report;
use crate::settings::{EngineSettings, Settings};
use crate::suppress::SuppressionKind;
use miette::Result;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;
use tollgate_policy::{check, Engine};
use tollgate_template::{load, LoadError, Outcome};

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let config = match config::load(args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(p) => return Ok(super::fail(vec![p])),
    };

    // Compile every policy once for the whole run.
    let e = EngineSettings::resolve(args, &config);
    let built = super::build_engine(e.choice, &e.policy_dirs, e.timeout, e.memory);
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette::miette!("{e}"))?;
    let rules: Vec<RuleInfo> = meta
        .into_iter()
        .map(RuleInfo::builtin)
        .chain(built.user_rules)
        .collect();
    let s = match Settings::resolve(args, config, rules) {
        Ok(s) => s,
        Err(problems) => return Ok(super::fail(problems)),
    };
    let engine = built.engine;

    let (candidates, discovery_errors) = discover(&s.paths, s.stdin_filename.as_deref());
    // Each file's path relative to tollgate.toml, once: its globs (exclude, suppressions)
    // are written relative to it.
    let relative = RelativeTo::new(&s.config.base);
    let candidates: Vec<(Candidate, PathBuf)> = candidates
        .into_iter()
        .filter(|c| {
            s.shard
                .is_none_or(|sh| in_shard(&c.display, sh.index, sh.count))
        })
        .map(|c| {
            let rel = relative.path(&c.path);
            (c, rel)
        })
        .filter(|(_, rel)| !s.exclude.is_match(rel))
        .collect();

    let rules: Vec<Arc<RuleInfo>> = s.rules.iter().cloned().map(Arc::new).collect();
    let index = RuleIndex::new(&rules);
    // Files are independent: check them on all cores; results keep discovery order. Each
    // file's document is dropped as soon as its records are made.
    let files: Vec<_> = candidates
        .par_iter()
        .map(|(c, rel)| diagnostics::of_file(check_one(c, rel, &s, engine.as_ref()), &index))
        .collect();

    let mut run = Run::new(
        s.warnings.clone(),
        files,
        built.errors,
        discovery_errors,
        rules,
    );
    run.threshold = s.filter.threshold;
    run.show_suppressed = s.output.show_suppressed;
    run.shard = s.shard.map(|sh| (sh.index, sh.count));
    run.verbose = s.output.verbose;
    run.colour = crate::colour::stdout(s.output.path.is_some());
    run.elapsed = started.elapsed();
    run.sarif_root = Some(sarif_root(s.output.sarif_root.as_deref()));

    if let Some(path) = &s.output.write_baseline {
        crate::output::atomic(path, &baseline::render(baseline_entries(&run)))?;
    }
    let text = report::render(&run, s.output.format)?;
    match &s.output.path {
        Some(path) => {
            crate::output::atomic(path, &text)?;
            if !s.output.quiet {
                // The report went to a file: the terminal still learns what happened.
                eprint!("{}", report::to_stderr_beside_a_file(&run, path));
            }
        }
        None => crate::output::stdout(&text)?,
    }
    Ok(if run.has_errors() {
        ExitCode::from(2)
    } else if run.fails() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Paths relative to a base directory (tollgate.toml's) when they lie below it. The current
/// directory is read once, not once per file.
struct RelativeTo {
    cwd: PathBuf,
    base: PathBuf,
}

impl RelativeTo {
    fn new(base: &Path) -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        let base = crate::paths::lexically_normal(&cwd.join(base));
        RelativeTo { cwd, base }
    }

    fn path(&self, path: &Path) -> PathBuf {
        let path = crate::paths::lexically_normal(&self.cwd.join(path));
        path.strip_prefix(&self.base)
            .map(Path::to_path_buf)
            .unwrap_or(path)
    }
}

/// `--sarif-root`, else the repository's top level (the nearest directory holding `.git`, a
/// directory or a worktree's file), else the current directory; absolute.
fn sarif_root(flag: Option<&Path>) -> diagnostics::SarifRoot {
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = match flag {
        Some(dir) => crate::paths::lexically_normal(&cwd.join(dir)),
        None => cwd
            .ancestors()
            .find(|d| d.join(".git").exists())
            .unwrap_or(&cwd)
            .to_path_buf(),
    };
    diagnostics::SarifRoot { root, cwd }
}

/// Stable across runs and machines: a hash of the path as reported, not of the walk order.
pub fn in_shard(display: &str, index: u32, count: u32) -> bool {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(baseline::normalize_path(display).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % u64::from(count) == u64::from(index - 1)
}

/// Loads, evaluates and filters one file.
fn check_one(c: &Candidate, relative: &Path, s: &Settings, engine: &dyn Engine) -> FileReport {
    let name = c.display.clone();
    // Read-only: nothing tollgate does writes to a scanned file.
    let bytes = match super::read_file(&name, &c.path, c.stdin, &s.load.limits) {
        Ok(b) => b,
        Err(e) => return FileReport::error(e),
    };
    let mut loaded = match load(&name, &bytes, &s.load) {
        Err(e) => return FileReport::error(e),
        Ok(Outcome::Skipped(reason)) if c.explicit && !s.skip_other_files => {
            return FileReport::error(LoadError::file(
                tollgate_template::ErrorKind::NotADocument,
                &name,
                format!("neither a CloudFormation template nor a Terraform plan: {reason}"),
            ))
        }
        Ok(Outcome::Skipped(reason)) => {
            return FileReport {
                skipped: Some(reason),
                ..FileReport::named(name)
            }
        }
        Ok(Outcome::Loaded(loaded)) => loaded,
    };
    let errors = std::mem::take(&mut loaded.errors);
    let warnings = std::mem::take(&mut loaded.warnings);
    // In source order (`check` sorts), whatever order the engine's parallel chunks finished in.
    let (findings, eval_errors) = check(engine, &loaded, &s.rule_options);
    let (findings, problems) = s.filter.apply(&name, relative, &loaded, findings);
    FileReport {
        loaded: Some(loaded),
        findings,
        eval_errors,
        errors,
        warnings,
        problems,
        ..FileReport::named(name)
    }
}

/// Every finding not suppressed by the template or the configuration: a baseline records
/// what is accepted as it stands (already-baselined findings stay in it).
fn baseline_entries(run: &Run) -> Vec<BaselineEntry> {
    run.diagnostics
        .iter()
        .filter_map(|d| Some((d.file.as_deref()?, d.finding()?)))
        .filter(|(_, f)| {
            f.suppressed
                .as_ref()
                .is_none_or(|s| s.kind == SuppressionKind::Baseline)
        })
        .map(|(file, f)| BaselineEntry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.id.clone(),
            file: baseline::normalize_path(file),
            resource: f.resource.clone(),
            path: f.pointer.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_files() {
        let names: Vec<String> = (0..500)
            .map(|i| format!("stacks/s{i}/template.yaml"))
            .collect();
        for n in 1..=5u32 {
            let mut seen = vec![0u32; names.len()];
            for k in 1..=n {
                for (i, name) in names.iter().enumerate() {
                    if in_shard(name, k, n) {
                        seen[i] += 1;
                    }
                }
            }
            assert!(
                seen.iter().all(|&c| c == 1),
                "shards of {n} overlap or miss"
            );
        }
        assert_eq!(in_shard("./a.yaml", 1, 3), in_shard("a.yaml", 1, 3));
    }

    #[test]
    fn relative_paths_ignore_dot_components() {
        let base = std::env::current_dir().unwrap();
        assert_eq!(
            RelativeTo::new(&base).path(Path::new("./a/b.yaml")),
            PathBuf::from("a/b.yaml")
        );
        assert_eq!(
            RelativeTo::new(Path::new(".")).path(Path::new("a/b.yaml")),
            PathBuf::from("a/b.yaml")
        );
    }
}

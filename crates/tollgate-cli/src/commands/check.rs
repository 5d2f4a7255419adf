//! `tollgate check [PATH ...]`: settings → discover → load and evaluate (in parallel) →
//! filter (rules, suppressions, baseline, severity) → report → exit code.

use crate::baseline::{self, BaselineEntry};
use crate::cli::{CheckArgs, EngineChoice};
use crate::config::{self, Config};
use crate::discover::{discover, Candidate};
use crate::problem::Problem;
use crate::report::{self, FileReport, Reported, RuleInfo, Run};
use crate::suppress::{self, ConfigSuppressions, Suppressed, SuppressionKind};
use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::Result;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tollgate_policy::{check, default_options, Engine, Severity};
use tollgate_template::{load, LoadError, LoadOptions, Outcome};

/// Everything decided before the first file is read.
struct Settings {
    config: Config,
    load: LoadOptions,
    rule_options: serde_json::Value,
    /// Rules whose findings are kept.
    active: BTreeSet<String>,
    known: BTreeSet<String>,
    /// Every known rule's severity, after overrides.
    severity: BTreeMap<String, Severity>,
    threshold: Severity,
    exclude: GlobSet,
    suppressions: ConfigSuppressions,
    baseline: HashSet<String>,
    warnings: Vec<String>,
    skip_other_files: bool,
}

pub fn run(args: &CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let config = match config::load(args.config.as_deref(), args.no_config) {
        Ok(c) => c,
        Err(p) => return Ok(super::fail(vec![p])),
    };

    // Compile every policy once for the whole run.
    let mut policy_dirs: Vec<PathBuf> = config
        .file
        .policy_dirs
        .iter()
        .map(|d| config.base.join(d))
        .collect();
    policy_dirs.extend(args.policy_dirs.iter().cloned());
    let engine_choice = args
        .engine
        .or(config.file.engine)
        .unwrap_or(EngineChoice::Rego);
    let timeout = args.policy_timeout.map(std::time::Duration::from_secs);
    let memory = args.policy_memory_limit.or(config
        .file
        .policy_memory_limit
        .as_ref()
        .map(|m| m.get_ref().0));
    let (engine, policy_errors) = super::build_engine(engine_choice, &policy_dirs, timeout, memory);
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette::miette!("{e}"))?;
    let user_rules = engine.user_severities();

    let settings = match settings(args, config, &meta, &user_rules) {
        Ok(s) => s,
        Err(problems) => return Ok(super::fail(problems)),
    };

    let (candidates, discovery_errors) = discover(&args.paths, args.stdin_filename.as_deref());
    // Each file's path relative to tollgate.toml, once: its globs (exclude, suppressions)
    // are written relative to it.
    let relative = RelativeTo::new(&settings.config.base);
    let candidates: Vec<(Candidate, PathBuf)> = candidates
        .into_iter()
        .filter(|c| {
            args.shard
                .is_none_or(|s| in_shard(&c.display, s.index, s.count))
        })
        .map(|c| {
            let rel = relative.path(&c.path);
            (c, rel)
        })
        .filter(|(_, rel)| !settings.exclude.is_match(rel))
        .collect();

    // Files are independent: check them on all cores; results keep discovery order.
    let files: Vec<FileReport> = candidates
        .par_iter()
        .map(|(c, rel)| check_one(c, rel, &settings, engine.as_ref()))
        .collect();

    let rules = meta
        .into_iter()
        .map(|m| (m.id.clone(), m.severity, Some(m)))
        .chain(user_rules.into_iter().map(|(id, s)| (id, s, None)))
        .filter(|(id, _, _)| settings.active.contains(id))
        .map(|(id, s, meta)| RuleInfo {
            severity: settings.severity.get(&id).copied().unwrap_or(s),
            id,
            meta,
        })
        .collect();
    let run = Run {
        files,
        policy_errors,
        discovery_errors,
        rules,
        threshold: settings.threshold,
        show_suppressed: args.show_suppressed,
        warnings: settings.warnings,
        shard: args.shard.map(|s| (s.index, s.count)),
        verbose: args.verbose,
        colour: args.output.is_none() && super::stdout_is_colour_terminal(),
        elapsed: started.elapsed(),
    };

    if let Some(path) = &args.write_baseline {
        crate::output::atomic(path, &baseline::render(baseline_entries(&run)))?;
    }
    let text = report::render(&run, args.format)?;
    match &args.output {
        Some(path) => crate::output::atomic(path, &text)?,
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

/// Merges tollgate.toml and the flags (flags win), and validates every rule id named.
fn settings(
    args: &CheckArgs,
    config: Config,
    meta: &[tollgate_policy::RuleMeta],
    user_rules: &[(String, Severity)],
) -> Result<Settings, Vec<Problem>> {
    let known: BTreeSet<String> = meta
        .iter()
        .map(|m| m.id.clone())
        .chain(user_rules.iter().map(|(id, _)| id.clone()))
        .collect();
    let mut problems = Vec::new();
    let mut check_ids = |ids: &[String], whence: &str| {
        for id in ids {
            if !known.contains(id) {
                problems.push(
                    Problem::file(
                        "tollgate::usage::unknown-rule",
                        whence,
                        format!("unknown rule {id:?}"),
                    )
                    .with_help("`tollgate rules` lists the rule ids"),
                );
            }
        }
    };
    let config_name = config.display_name().to_string();
    check_ids(&args.rules, "--rule");
    check_ids(&args.skip_rules, "--skip-rule");
    check_ids(
        config.file.rules.as_deref().unwrap_or_default(),
        &config_name,
    );
    check_ids(&config.file.skip_rules, &config_name);
    let overrides: Vec<String> = config.file.severity.keys().cloned().collect();
    check_ids(&overrides, &config_name);

    let selected: Option<&[String]> = if args.rules.is_empty() {
        config.file.rules.as_deref()
    } else {
        Some(&args.rules)
    };
    let active: BTreeSet<String> = known
        .iter()
        .filter(|id| selected.is_none_or(|s| s.contains(id)))
        .filter(|id| !args.skip_rules.contains(id) && !config.file.skip_rules.contains(id))
        .cloned()
        .collect();

    let mut exclude = GlobSetBuilder::new();
    for pattern in &config.file.exclude {
        match Glob::new(pattern) {
            Ok(g) => {
                exclude.add(g);
            }
            Err(e) => problems.push(Problem::file(
                "tollgate::config::invalid",
                &config_name,
                format!("exclude: invalid glob: {e}"),
            )),
        }
    }
    let exclude = exclude.build().unwrap_or_else(|_| GlobSet::empty());

    let mut parameters = BTreeMap::new();
    for f in &args.param_files {
        match crate::params::from_file(f) {
            Ok(p) => parameters.extend(p),
            Err(p) => problems.push(p),
        }
    }
    match crate::params::from_flags(&args.params) {
        Ok(p) => parameters.extend(p),
        Err(p) => problems.push(p),
    }

    let today = time::OffsetDateTime::now_utc().date();
    let (suppressions, warnings) = match ConfigSuppressions::new(&config, &known, today) {
        Ok(s) => s,
        Err(p) => {
            problems.extend(p);
            Default::default()
        }
    };
    let baseline = match &args.baseline {
        None => HashSet::new(),
        Some(path) => baseline::read(path).unwrap_or_else(|p| {
            problems.push(p);
            HashSet::new()
        }),
    };
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut limits = tollgate_template::Limits::default();
    if let Some(n) = args.max_file_size {
        limits.max_file_bytes = n;
    }
    if let Some(n) = args.max_depth {
        limits.max_depth = n;
    }
    if let Some(n) = args.max_resources {
        limits.max_resources = n;
    }
    if let Some(n) = args.max_string_length {
        limits.max_string_len = n;
    }
    if let Some(n) = args.max_alias_nodes {
        // The byte bound scales with the node bound (16 MiB for the default 100,000 nodes).
        limits.max_alias_nodes = n;
        limits.max_alias_bytes = n.saturating_mul(168);
    }
    let admin_ports = if args.admin_ports.is_empty() {
        config
            .file
            .admin_ports
            .clone()
            .unwrap_or_else(|| vec![22, 3389])
    } else {
        args.admin_ports.clone()
    };
    let mut rule_options = default_options();
    rule_options["admin_ports"] = serde_json::json!(admin_ports);
    // Every rule's severity: its own, or the override in tollgate.toml.
    let severity: BTreeMap<String, Severity> = meta
        .iter()
        .map(|m| (m.id.clone(), m.severity))
        .chain(user_rules.iter().cloned())
        .chain(config.file.severity.clone())
        .collect();
    let threshold = args
        .severity_threshold
        .map(Severity::from)
        .or(config.file.severity_threshold)
        .unwrap_or(Severity::Info);
    Ok(Settings {
        load: LoadOptions {
            limits,
            parameters,
            changed_only: args.changed_only,
        },
        rule_options,
        active,
        known,
        severity,
        threshold,
        exclude,
        suppressions,
        baseline,
        warnings,
        skip_other_files: args.skip_other_files,
        config,
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
        let base = without_dots(&cwd.join(base));
        RelativeTo { cwd, base }
    }

    fn path(&self, path: &Path) -> PathBuf {
        let path = without_dots(&self.cwd.join(path));
        path.strip_prefix(&self.base)
            .map(Path::to_path_buf)
            .unwrap_or(path)
    }
}

/// `./x` and `x` are the same path.
fn without_dots(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// Stable across runs and machines: a hash of the path as reported, not of the walk order.
pub fn in_shard(display: &str, index: u32, count: u32) -> bool {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(baseline::normalize_path(display).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % u64::from(count) == u64::from(index - 1)
}

/// Loads and evaluates one file, then decides what each finding means for the run.
fn check_one(c: &Candidate, relative: &Path, s: &Settings, engine: &dyn Engine) -> FileReport {
    let name = c.display.clone();
    // Read-only: nothing tollgate does writes to a scanned file.
    let bytes = match super::read_file(&name, &c.path, c.stdin, &s.load.limits) {
        Ok(b) => b,
        Err(e) => return FileReport::error(e),
    };
    let loaded = match load(&name, &bytes, &s.load) {
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
    let mut loaded = loaded;
    let errors = std::mem::take(&mut loaded.errors);
    let warnings = std::mem::take(&mut loaded.warnings);
    // In source order (`check` sorts), whatever order the engine's parallel chunks finished in.
    let (findings, eval_errors) = check(engine, &loaded, &s.rule_options);
    let (skips, problems) = suppress::metadata_skips(&loaded, &s.known);
    let findings = findings
        .into_iter()
        .filter(|f| s.active.contains(&f.rule))
        .map(|f| {
            let fingerprint = baseline::fingerprint(&f.rule, &name, &f.resource, &f.pointer);
            let suppressed = skips
                .iter()
                .find(|(id, rule, _)| *id == f.resource && *rule == f.rule)
                .map(|(_, _, reason)| Suppressed {
                    kind: SuppressionKind::Metadata,
                    reason: reason.clone(),
                })
                .or_else(|| s.suppressions.find(&f.rule, relative, &f.resource))
                .or_else(|| {
                    s.baseline.contains(&fingerprint).then(|| Suppressed {
                        kind: SuppressionKind::Baseline,
                        reason: "in the baseline".to_string(),
                    })
                });
            let severity = s.severity.get(&f.rule).copied().unwrap_or(Severity::Medium);
            Reported {
                finding: f,
                severity,
                fingerprint,
                suppressed,
            }
        })
        .collect();
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
    run.files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |r| (file, r)))
        .filter(|(_, r)| {
            r.suppressed
                .as_ref()
                .is_none_or(|s| s.kind == SuppressionKind::Baseline)
        })
        .map(|(file, r)| BaselineEntry {
            fingerprint: r.fingerprint.clone(),
            rule: r.finding.rule.clone(),
            file: baseline::normalize_path(&file.name),
            resource: r.finding.resource.clone(),
            path: r.finding.pointer.clone(),
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

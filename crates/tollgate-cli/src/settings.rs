//! Everything `tollgate check` decides before the first file is read, resolved once from the
//! flags and `tollgate.toml` (as ripgrep's `HiArgs`): a flag wins over the file, the file
//! over the default. Every rule id named anywhere is validated here, and every problem is
//! reported at once.

use crate::baseline;
use crate::catalogue::RuleInfo;
use crate::cli::{CheckArgs, EngineChoice, Format, Shard};
use crate::config::Config;
use crate::filter::Filter;
use crate::problem::Problem;
use crate::suppress::ConfigSuppressions;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::time::Duration;
use tollgate_policy::{default_options, Severity};
use tollgate_template::{Limits, LoadOptions};

/// What the engine is built from: needed before the rules (and so the settings) are known.
#[derive(Debug, PartialEq)]
pub struct EngineSettings {
    pub choice: EngineChoice,
    /// tollgate.toml's `policy_dirs` (relative to it), then `--policy-dir`s.
    pub policy_dirs: Vec<PathBuf>,
    pub timeout: Option<Duration>,
    /// Bytes; `None`: the engine's default.
    pub memory: Option<u64>,
}

impl EngineSettings {
    pub fn resolve(args: &CheckArgs, config: &Config) -> Self {
        let mut policy_dirs: Vec<PathBuf> = config
            .file
            .policy_dirs
            .iter()
            .map(|d| config.base.join(d))
            .collect();
        policy_dirs.extend(args.policy_dirs.iter().cloned());
        EngineSettings {
            choice: args
                .engine
                .or(config.file.engine)
                .unwrap_or(EngineChoice::Rego),
            policy_dirs,
            timeout: args.policy_timeout.map(Duration::from_secs),
            memory: args.policy_memory_limit.or(config
                .file
                .policy_memory_limit
                .as_ref()
                .map(|m| m.get_ref().0)),
        }
    }
}

/// How the run is reported.
#[derive(Debug)]
pub struct OutputSettings {
    pub format: Format,
    /// `--output FILE`; `None`: standard output.
    pub path: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub show_suppressed: bool,
    pub verbose: bool,
    /// `--quiet`: no errors and totals on stderr when the report goes to a file.
    pub quiet: bool,
    /// `--sarif-root`, as given.
    pub sarif_root: Option<PathBuf>,
}

/// Everything decided before the first file is read.
#[derive(Debug)]
pub struct Settings {
    pub config: Config,
    pub paths: Vec<PathBuf>,
    pub stdin_filename: Option<PathBuf>,
    pub shard: Option<Shard>,
    /// Globs (relative to tollgate.toml) of paths never checked.
    pub exclude: GlobSet,
    pub skip_other_files: bool,
    pub load: LoadOptions,
    /// The rule-options object every rule receives (`{"admin_ports": [22, 3389]}`).
    pub rule_options: serde_json::Value,
    pub filter: Filter,
    /// The rules that run, with their severities after overrides.
    pub rules: Vec<RuleInfo>,
    /// About the run itself (an expired suppression, …).
    pub warnings: Vec<String>,
    pub output: OutputSettings,
}

impl Settings {
    /// Merges tollgate.toml and the flags; `rules` are every rule the engine knows (built-in
    /// and the users'), with their own severities.
    pub fn resolve(
        args: &CheckArgs,
        config: Config,
        rules: Vec<RuleInfo>,
    ) -> Result<Settings, Vec<Problem>> {
        let known: BTreeSet<String> = rules.iter().map(|r| r.id.clone()).collect();
        let mut problems = unknown_rules(args, &config, &known);
        let active = active_rules(args, &config, &known);
        let exclude = exclude_globs(&config, &mut problems);
        let parameters = parameters(args, &mut problems);
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
        // Every rule's severity: its own, or the override in tollgate.toml.
        let severity: BTreeMap<String, Severity> = rules
            .iter()
            .map(|r| (r.id.clone(), r.severity))
            .chain(config.file.severity.clone())
            .collect();
        let rules = rules
            .into_iter()
            .filter(|r| active.contains(&r.id))
            .map(|r| RuleInfo {
                severity: severity.get(&r.id).copied().unwrap_or(r.severity),
                ..r
            })
            .collect();
        let threshold = args
            .severity_threshold
            .map(Severity::from)
            .or(config.file.severity_threshold)
            .unwrap_or(Severity::Info);
        let mut rule_options = default_options();
        rule_options["admin_ports"] = serde_json::json!(admin_ports(args, &config));
        Ok(Settings {
            paths: args.paths.clone(),
            stdin_filename: args.stdin_filename.clone(),
            shard: args.shard,
            exclude,
            skip_other_files: args.skip_other_files,
            load: LoadOptions {
                limits: limits(args),
                parameters,
                changed_only: args.changed_only,
            },
            rule_options,
            filter: Filter {
                active,
                known,
                severity,
                threshold,
                suppressions,
                baseline,
            },
            rules,
            warnings,
            output: OutputSettings {
                format: args.format,
                path: args.output.clone(),
                write_baseline: args.write_baseline.clone(),
                show_suppressed: args.show_suppressed,
                verbose: args.verbose,
                quiet: args.quiet,
                sarif_root: args.sarif_root.clone(),
            },
            config,
        })
    }
}

/// Every rule id named by a flag or in tollgate.toml that no rule has.
fn unknown_rules(args: &CheckArgs, config: &Config, known: &BTreeSet<String>) -> Vec<Problem> {
    let config_name = config.display_name();
    let overrides: Vec<String> = config.file.severity.keys().cloned().collect();
    let named: [(&[String], &str); 5] = [
        (&args.rules, "--rule"),
        (&args.skip_rules, "--skip-rule"),
        (
            config.file.rules.as_deref().unwrap_or_default(),
            config_name,
        ),
        (&config.file.skip_rules, config_name),
        (&overrides, config_name),
    ];
    named
        .iter()
        .flat_map(|(ids, whence)| ids.iter().map(move |id| (id, *whence)))
        .filter(|(id, _)| !known.contains(*id))
        .map(|(id, whence)| {
            Problem::file(
                "tollgate::usage::unknown-rule",
                whence,
                format!("unknown rule {id:?}"),
            )
            .with_help("`tollgate rules` lists the rule ids")
        })
        .collect()
}

/// `--rule` replaces `rules`; `--skip-rule` and `skip_rules` both apply.
fn active_rules(args: &CheckArgs, config: &Config, known: &BTreeSet<String>) -> BTreeSet<String> {
    let selected: Option<&[String]> = if args.rules.is_empty() {
        config.file.rules.as_deref()
    } else {
        Some(&args.rules)
    };
    known
        .iter()
        .filter(|id| selected.is_none_or(|s| s.contains(id)))
        .filter(|id| !args.skip_rules.contains(id) && !config.file.skip_rules.contains(id))
        .cloned()
        .collect()
}

fn exclude_globs(config: &Config, problems: &mut Vec<Problem>) -> GlobSet {
    let mut exclude = GlobSetBuilder::new();
    for pattern in &config.file.exclude {
        match Glob::new(pattern) {
            Ok(g) => {
                exclude.add(g);
            }
            Err(e) => problems.push(Problem::file(
                "tollgate::config::invalid",
                config.display_name(),
                format!("exclude: invalid glob: {e}"),
            )),
        }
    }
    exclude.build().unwrap_or_else(|_| GlobSet::empty())
}

/// `--param-file`s in order (later files win), then `--param`s (which win over files).
fn parameters(
    args: &CheckArgs,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, serde_json::Value> {
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
    parameters
}

fn limits(args: &CheckArgs) -> Limits {
    let mut limits = Limits::default();
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
    limits
}

fn admin_ports(args: &CheckArgs, config: &Config) -> Vec<u16> {
    if args.admin_ports.is_empty() {
        config.file.admin_ports.clone().unwrap_or_else(|| {
            let ports = tollgate_policy::DEFAULT_ADMIN_PORTS.iter();
            ports.filter_map(|&p| u16::try_from(p).ok()).collect()
        })
    } else {
        args.admin_ports.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use tollgate_template::SourceFile;

    fn args(flags: &[&str]) -> CheckArgs {
        let argv = ["tollgate", "check"].iter().chain(flags);
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Command::Check(a)) => a,
            other => panic!("not a check command: {other:?}"),
        }
    }

    fn config(text: &str) -> Config {
        Config {
            base: PathBuf::from("."),
            source: SourceFile::new("tollgate.toml", text),
            file: toml::from_str(text).unwrap(),
        }
    }

    fn rules() -> Vec<RuleInfo> {
        ["a", "b", "c"]
            .iter()
            .map(|id| RuleInfo {
                severity: Severity::Low,
                ..RuleInfo::unknown(id)
            })
            .collect()
    }

    fn resolve(flags: &[&str], toml: &str) -> Settings {
        Settings::resolve(&args(flags), config(toml), rules()).unwrap()
    }

    #[test]
    fn the_threshold_is_the_flag_then_the_file_then_info() {
        let t = |flags: &[&str], toml| resolve(flags, toml).filter.threshold;
        assert_eq!(t(&[], ""), Severity::Info);
        assert_eq!(t(&[], "severity_threshold = \"medium\""), Severity::Medium);
        let flag = ["--severity-threshold", "high"];
        assert_eq!(t(&flag, "severity_threshold = \"medium\""), Severity::High);
    }

    #[test]
    fn admin_ports_are_the_flag_then_the_file_then_22_and_3389() {
        let ports = |flags: &[&str], toml| resolve(flags, toml).rule_options["admin_ports"].clone();
        assert_eq!(ports(&[], ""), serde_json::json!([22, 3389]));
        assert_eq!(
            ports(&[], "admin_ports = [2222]"),
            serde_json::json!([2222])
        );
        let flag = ["--admin-ports", "8022"];
        assert_eq!(
            ports(&flag, "admin_ports = [2222]"),
            serde_json::json!([8022])
        );
    }

    #[test]
    fn rule_flags_replace_the_file_selection_and_skips_add_up() {
        let active = |flags: &[&str], toml| {
            let s = resolve(flags, toml);
            (
                s.filter.active.into_iter().collect::<Vec<_>>(),
                s.rules.len(),
            )
        };
        assert_eq!(
            active(&[], ""),
            (vec!["a".into(), "b".into(), "c".into()], 3)
        );
        assert_eq!(
            active(&[], "rules = [\"a\", \"b\"]"),
            (vec!["a".into(), "b".into()], 2)
        );
        assert_eq!(
            active(&["--rule", "c"], "rules = [\"a\"]"),
            (vec!["c".into()], 1)
        );
        let skips = ["--skip-rule", "a"];
        assert_eq!(
            active(&skips, "skip_rules = [\"b\"]"),
            (vec!["c".into()], 1)
        );
    }

    #[test]
    fn severity_overrides_apply_to_the_rules_of_the_run() {
        let s = resolve(&[], "[severity]\nb = \"critical\"");
        assert_eq!(s.filter.severity_of("b"), Severity::Critical);
        assert_eq!(s.filter.severity_of("a"), Severity::Low);
        let b = s.rules.iter().find(|r| r.id == "b").map(|r| r.severity);
        assert_eq!(b, Some(Severity::Critical));
    }

    #[test]
    fn the_engine_is_the_flag_then_the_file_then_rego() {
        let e = |flags: &[&str], toml| EngineSettings::resolve(&args(flags), &config(toml)).choice;
        assert_eq!(e(&[], ""), EngineChoice::Rego);
        assert_eq!(e(&[], "engine = \"guard\""), EngineChoice::Guard);
        assert_eq!(
            e(&["--engine", "rego"], "engine = \"guard\""),
            EngineChoice::Rego
        );
    }

    #[test]
    fn every_unknown_rule_id_is_a_problem() {
        let problems = Settings::resolve(
            &args(&["--rule", "x", "--skip-rule", "y"]),
            config("skip_rules = [\"z\"]"),
            rules(),
        )
        .unwrap_err();
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "unknown rule \"x\"",
                "unknown rule \"y\"",
                "unknown rule \"z\""
            ]
        );
    }
}

//! Every flag, defined once: `--help`, the man page and completions come from here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Policy-as-code for CloudFormation templates and Terraform plans: finds security
/// violations and points at the exact line, before anything is deployed.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR or
    /// CLICOLOR_FORCE force it in CI logs), always, never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: crate::colour::ColorChoice,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Check templates and plans against the policy pack (and your own policies).
    ///
    /// Exit code 0: no unsuppressed finding at or above the severity threshold; 1: at least
    /// one; 2: a usage or configuration error, or a file or policy that could not be read,
    /// parsed or evaluated (the other files are still checked and reported).
    Check(CheckArgs),
    /// List the rules: id, severity, compliance references and title.
    Rules(RulesArgs),
    /// Explain a rule: what it flags, why, how to fix it per input kind, and an example.
    Explain(ExplainArgs),
    /// Run the unit tests of your own policies: every `<input>.expected.yaml` in DIR lists
    /// the findings expected for the input file beside it (see docs/writing-rego-policies.md).
    ///
    /// Exit code 0: every case passed; 1: a case failed; 2: a policy or input could not be
    /// loaded.
    Test(TestArgs),
    /// Print the document the policies receive for FILE (the resolved template, or the
    /// plan's resource list), or with --pointer one value and its location.
    Inspect(InspectArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout: `tollgate man > tollgate.1`; with --dir, write
    /// it and one page per subcommand (`tollgate-check.1`, …) into DIR.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A CloudFormation template (YAML or JSON) or a Terraform plan (`terraform show -json`);
    /// `-` reads standard input.
    pub file: PathBuf,

    /// A JSON pointer (RFC 6901), e.g. `/Resources/Web/Properties/SecurityGroupIngress/0`.
    /// For a template it addresses the resolved document; for a plan, the plan JSON as written.
    #[arg(long, short = 'p')]
    pub pointer: Option<String>,

    /// Which variant of a template with undecided conditions to print (0-based).
    #[arg(long, default_value_t = 0)]
    pub variant: usize,

    /// Set a CloudFormation parameter, overriding its Default (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineChoice {
    /// Rego, evaluated by regorus (the faster engine, measured: see docs/performance.md).
    Rego,
    /// CloudFormation Guard, evaluated by cfn-guard.
    Guard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code frames with the offending value underlined (miette), and a summary line.
    Human,
    /// The version-1 JSON report: findings with file, line, column, pointer and fingerprint;
    /// errors; summary.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (`github/codeql-action/upload-sarif`).
    Sarif,
    /// JUnit XML: one test case per rule and file, for AWS CodeBuild test reports.
    Junit,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`): inline PR annotations.
    Github,
    /// One line per finding and per error, `path:line:col: severity rule-id message
    /// (resource)`: for grep and editors' problem matchers.
    Concise,
}

/// Severity levels, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<Level> for tollgate_policy::Severity {
    fn from(l: Level) -> Self {
        use tollgate_policy::Severity as S;
        match l {
            Level::Info => S::Info,
            Level::Low => S::Low,
            Level::Medium => S::Medium,
            Level::High => S::High,
            Level::Critical => S::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to check [default: .]. Directories are walked for .yaml, .yml,
    /// .json, .template and .cfn files, which are classified by content; other files found
    /// there are skipped. A file named here that is neither a template nor a plan is an error
    /// (unless --skip-other-files). `-` reads one template or plan from standard input; a
    /// named pipe, `/dev/stdin` or a process substitution `<(…)` is read like a file.
    pub paths: Vec<PathBuf>,

    /// The path to report standard input (`-`) as, and to match against tollgate.toml's
    /// exclude and suppression globs [default: <stdin>]. For editors and hooks that pipe a
    /// buffer in.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Read this configuration file instead of looking for `tollgate.toml` in the current
    /// directory and its parents.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read any `tollgate.toml`.
    #[arg(long)]
    pub no_config: bool,

    /// Which policy language runs the built-in pack (and which user policies are loaded)
    /// [default: `engine` in tollgate.toml, else rego].
    #[arg(long, value_enum)]
    pub engine: Option<EngineChoice>,

    /// A directory of your own policies: *.rego for --engine rego, *.guard for --engine
    /// guard (repeatable; added to `policy_dirs` in tollgate.toml). See
    /// docs/writing-rego-policies.md and docs/writing-guard-policies.md.
    #[arg(long = "policy-dir", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,

    /// Run only these rules (repeatable or comma-separated; replaces `rules` in tollgate.toml)
    /// [default: all].
    #[arg(long = "rule", value_name = "ID", value_delimiter = ',')]
    pub rules: Vec<String>,

    /// Do not run these rules (repeatable or comma-separated; added to `skip_rules` in
    /// tollgate.toml).
    #[arg(long = "skip-rule", value_name = "ID", value_delimiter = ',')]
    pub skip_rules: Vec<String>,

    /// Lowest severity that fails the run (exit 1). Findings below it are still reported
    /// [default: `severity_threshold` in tollgate.toml, else info: every finding fails].
    #[arg(long, value_enum, ignore_case = true, value_name = "LEVEL")]
    pub severity_threshold: Option<Level>,

    /// Set a CloudFormation parameter, overriding its Default (repeatable; wins over
    /// --param-file).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// CloudFormation parameter values from a JSON file: the CLI's list form
    /// (`[{"ParameterKey": "K", "ParameterValue": "V"}]`) or `{"Parameters": {"K": "V"}}`
    /// (repeatable; later files win).
    #[arg(long = "param-file", value_name = "FILE")]
    pub param_files: Vec<PathBuf>,

    /// Remote-administration ports checked by nacl-admin-ports-world and
    /// sg-admin-ports-world-* (comma-separated). CIS says "22, 3389 or other remote server
    /// administration ports for your environment" [default: `admin_ports` in tollgate.toml,
    /// else 22,3389].
    #[arg(long, value_delimiter = ',', value_name = "PORTS")]
    pub admin_ports: Vec<u16>,

    /// A file named on the command line that is neither a template nor a plan is skipped
    /// (like one found in a directory) instead of an error. For hooks that pass every staged
    /// YAML or JSON file, such as pre-commit.
    #[arg(long)]
    pub skip_other_files: bool,

    /// Terraform plans: check only resources being created, updated or replaced (not no-op
    /// or delete).
    #[arg(long)]
    pub changed_only: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// SARIF URIs are relative to DIR (`%SRCROOT%`), as code scanning expects
    /// [default: the repository's top level (the nearest directory above holding `.git`),
    /// else the current directory]. A file outside it gets an absolute `file:` URI.
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,

    /// Write the report to FILE (atomically: a temporary file renamed into place) instead of
    /// stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also show suppressed and baselined findings (with their reason) in human, JSON, JUnit
    /// and GitHub output. SARIF always carries them, as `suppressions`.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Findings recorded in this baseline file (by fingerprint) do not fail the run; only new
    /// ones do.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every current finding in FILE as the baseline (atomically), then report as usual.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Check only shard K of N (1-based, e.g. `2/4`): files are split by a stable hash of
    /// their path, so N CI jobs with K = 1..N check every file exactly once.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,

    /// Largest file read, in bytes; bigger files are an error
    /// [default: 536870912 (512 MiB)].
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<usize>,

    /// Deepest nesting of lists and maps accepted [default: 128].
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,

    /// Most resources accepted in one template or plan [default: 1000000].
    #[arg(long, value_name = "N")]
    pub max_resources: Option<usize>,

    /// Longest string value accepted, in bytes [default: 16777216 (16 MiB)].
    #[arg(long, value_name = "BYTES")]
    pub max_string_length: Option<usize>,

    /// Most nodes that YAML aliases may expand to in one file (and N × 168 bytes of text)
    /// [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_alias_nodes: Option<usize>,

    /// How long the Rego rules may run on one document (or one chunk of a large one) before
    /// they are stopped and reported as an error; Guard rules have no loops and no limit
    /// [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub policy_timeout: Option<u64>,

    /// How much memory the Rego rules may allocate while evaluating one document (or one
    /// chunk of a large one) before they are stopped and reported as an error: bytes, or with
    /// a unit (512M, 1G); 0 for no limit. Guard rules create no values and have no limit
    /// [default: 1G; tollgate.toml: policy_memory_limit].
    #[arg(long, value_name = "BYTES", value_parser = parse_memory_limit)]
    pub policy_memory_limit: Option<u64>,

    /// Also print warnings (e.g. the bound on undecided conditions was reached) and why files
    /// found in directories were skipped.
    #[arg(long, short)]
    pub verbose: bool,

    /// Print the report and nothing else: with --output, nothing at all (by default the errors
    /// and the totals line still go to stderr, so a CI log shows what happened).
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// `--shard K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

fn parse_memory_limit(s: &str) -> Result<u64, String> {
    tollgate_policy::engine::budget::parse_bytes(s)
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not K/N (e.g. 1/4)"))?;
    let index: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{k:?} is not a number"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("shard {index}/{count}: K must be between 1 and N"));
    }
    Ok(Shard { index, count })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// An aligned table.
    Table,
    /// A JSON array of rule objects.
    Json,
    /// A Markdown table linking to the rule reference (as in README.md).
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Also the rules of the user policies in DIR (repeatable), with the title, severity and
    /// description their metadata declares.
    #[arg(long = "policy-dir", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,

    /// The language of the policies in --policy-dir.
    #[arg(long, value_enum, default_value_t = EngineChoice::Rego)]
    pub engine: EngineChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// Plain text for the terminal.
    Text,
    /// The Markdown page of the rule reference (`docs/rules/RULE.md`).
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, as `tollgate rules` lists it.
    pub rule: String,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,

    /// Also the rules of the user policies in DIR (repeatable), with the title, severity and
    /// description their metadata declares.
    #[arg(long = "policy-dir", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,

    /// The language of the policies in --policy-dir.
    #[arg(long, value_enum, default_value_t = EngineChoice::Rego)]
    pub engine: EngineChoice,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// A directory holding your policies and, anywhere below it, test inputs each with an
    /// `<input>.expected.yaml` beside it.
    pub dir: PathBuf,

    /// Which policy language to load from DIR: *.rego or *.guard.
    #[arg(long, value_enum, default_value_t = EngineChoice::Rego)]
    pub engine: EngineChoice,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (`tollgate.1`, `tollgate-check.1`, …) into DIR instead of printing
    /// the top page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parses_k_of_n() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(parse_shard("0/4").is_err());
        assert!(parse_shard("5/4").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("3").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

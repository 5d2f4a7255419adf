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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check templates and plans against the policy pack (and your own policies).
    ///
    /// Exit code 0: no findings; 1: findings; 2: a file or policy could not be read, parsed
    /// or evaluated (the other files are still checked and reported).
    Check(CheckArgs),
    /// Print the document the policies receive for FILE (the resolved template, or the
    /// plan's resource list), or with --pointer one value and its location.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A CloudFormation template (YAML or JSON) or a Terraform plan (`terraform show -json`).
    pub file: PathBuf,

    /// A JSON pointer (RFC 6901), e.g. `/Resources/Web/Properties/SecurityGroupIngress/0`.
    /// For a template it addresses the resolved document; for a plan, the plan JSON as written.
    #[arg(long, short = 'p')]
    pub pointer: Option<String>,

    /// Which variant of a template with undecided conditions to print (0-based; default 0).
    #[arg(long, default_value_t = 0)]
    pub variant: usize,

    /// Set a CloudFormation parameter, overriding its Default (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// Rego, evaluated by regorus.
    Rego,
    /// CloudFormation Guard, evaluated by cfn-guard.
    Guard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code frames with the offending value underlined (miette).
    Human,
    /// The version-1 JSON report: findings with file, line, column and pointer; errors; summary.
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to check. Directories are walked for .yaml, .yml, .json,
    /// .template and .cfn files, which are classified by content; other files found there are
    /// skipped. A file named here that is neither a template nor a plan is an error.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Which policy language runs the built-in pack (and which user policies are loaded).
    #[arg(long, value_enum, default_value_t = EngineChoice::Rego)]
    pub engine: EngineChoice,

    /// A directory of your own policies: *.rego for --engine rego, *.guard for --engine
    /// guard (repeatable). See docs/writing-rego-policies.md and docs/writing-guard-policies.md.
    #[arg(long = "policy-dir", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,

    /// Set a CloudFormation parameter, overriding its Default (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// Remote-administration ports checked by nacl-admin-ports-world and
    /// sg-admin-ports-world-* (comma-separated). CIS says "22, 3389 or other remote server
    /// administration ports for your environment".
    #[arg(long, value_delimiter = ',', value_name = "PORTS", default_values_t = [22u16, 3389])]
    pub admin_ports: Vec<u16>,

    /// Terraform plans: check only resources being created, updated or replaced (not no-ops).
    #[arg(long)]
    pub changed_only: bool,

    /// Output format [default: human].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Also print warnings (e.g. the bound on undecided conditions was reached) and why files
    /// found in directories were skipped.
    #[arg(long, short)]
    pub verbose: bool,
}

//! Every flag, defined once: `--help`, the man page and completions come from here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Policy-as-code for CloudFormation templates and Terraform plans: finds security
/// violations and points at the exact line, before anything is deployed.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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

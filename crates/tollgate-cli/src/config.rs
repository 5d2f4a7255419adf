//! `tollgate.toml`: found in the current directory or a parent (or named by `--config`).
//! Unknown keys are errors with their location, so a typo never silently disables a setting.

use crate::cli::EngineChoice;
use crate::problem::Problem;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tollgate_policy::Severity;
use tollgate_template::SourceFile;

pub const FILE_NAME: &str = "tollgate.toml";

/// The file as written. Every key is optional; see `docs/configuration.md`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub engine: Option<EngineChoice>,
    /// Run only these rules.
    pub rules: Option<Vec<String>>,
    #[serde(default)]
    pub skip_rules: Vec<String>,
    pub severity_threshold: Option<Severity>,
    /// Severity overrides: `rule-id = "low"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Globs (relative to this file's directory) of paths never checked.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Directories of user policies, relative to this file's directory.
    #[serde(default)]
    pub policy_dirs: Vec<PathBuf>,
    pub admin_ports: Option<Vec<u16>>,
    /// The memory bound of one Rego evaluation: bytes, or a string with a unit (`"512M"`).
    pub policy_memory_limit: Option<toml::Spanned<ByteCount>>,
    #[serde(default)]
    pub suppress: Vec<toml::Spanned<SuppressEntry>>,
}

/// A byte count in tollgate.toml: an integer, or a string with a unit (`"512M"`, `"1G"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteCount(pub u64);

impl<'de> Deserialize<'de> for ByteCount {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("expected a byte count: 1073741824 or \"1G\""))?
        {
            Raw::Number(n) => Ok(ByteCount(n)),
            Raw::Text(t) => tollgate_policy::engine::budget::parse_bytes(&t)
                .map(ByteCount)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// One `[[suppress]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressEntry {
    pub rule: toml::Spanned<String>,
    pub reason: Option<String>,
    /// A glob of files (relative to this file's directory); default: every file.
    pub files: Option<toml::Spanned<String>>,
    /// A CloudFormation logical id or a Terraform resource address; default: every resource.
    pub resource: Option<String>,
    /// `2027-01-31` (a TOML date or a string): after this day the suppression stops working.
    pub expires: Option<toml::Spanned<toml::Value>>,
}

/// A configuration file, read and parsed.
#[derive(Debug)]
pub struct Config {
    /// Paths in the file are relative to this directory.
    pub base: PathBuf,
    /// The file's text, named as reports show it (empty when there is no file).
    pub source: SourceFile,
    pub file: ConfigFile,
}

impl Config {
    pub fn display_name(&self) -> &str {
        &self.source.name
    }

    /// A problem at a byte range of the configuration file.
    pub fn problem(
        &self,
        code: &'static str,
        range: std::ops::Range<usize>,
        label: &str,
        message: String,
    ) -> Problem {
        Problem::at(code, &self.source, range, label, message)
    }
}

/// `--config FILE`, else the nearest `tollgate.toml` from the current directory up.
pub fn load(explicit: Option<&Path>, disabled: bool) -> Result<Config, Problem> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let path = if disabled {
        None
    } else if let Some(p) = explicit {
        Some(p.to_path_buf())
    } else {
        cwd.ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file())
    };
    let Some(path) = path else {
        return Ok(Config {
            base: cwd,
            source: SourceFile::new(FILE_NAME, ""),
            file: ConfigFile::default(),
        });
    };
    // Shown relative to the current directory when it lies below it, as paths are elsewhere.
    let name = path
        .strip_prefix(&cwd)
        .unwrap_or(&path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Problem::file("tollgate::config::io", &name, format!("cannot read: {e}")))?;
    let source = SourceFile::new(name, text);
    let file: ConfigFile = toml::from_str(&source.text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        Problem::at(
            "tollgate::config::invalid",
            &source,
            range,
            "here",
            e.message().to_string(),
        )
        .with_help("the keys tollgate.toml accepts are listed in docs/configuration.md")
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Config { base, source, file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_a_location() {
        let err =
            toml::from_str::<ConfigFile>("engine = \"rego\"\nskip_rule = [\"x\"]\n").unwrap_err();
        assert!(err.message().contains("unknown field `skip_rule`"), "{err}");
        assert_eq!(err.span(), Some(16..25));
    }

    #[test]
    fn suppress_tables_parse() {
        let c: ConfigFile = toml::from_str(
            "[[suppress]]\nrule = \"sg-ssh-world\"\nreason = \"bastion\"\nresource = \"Bastion\"\nexpires = 2027-01-31\n",
        )
        .unwrap();
        assert_eq!(c.suppress.len(), 1);
        assert_eq!(c.suppress[0].get_ref().rule.get_ref(), "sg-ssh-world");
    }
}

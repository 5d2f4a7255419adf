//! The built-in policy pack: `policies/<rule-id>/` compiled into the binary, so nothing is
//! read from disk at run time. `build.rs` discovers the rule folders and writes [`BUILTIN`];
//! to add a built-in rule, create its folder (see `policies/README.md`).

/// The sources of one built-in rule, as written in `policies/<id>/`.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRule {
    pub id: &'static str,
    /// `rule.toml`: metadata shared by both languages.
    pub meta_toml: &'static str,
    pub rego_cloudformation: &'static str,
    pub rego_terraform: &'static str,
    pub guard_cloudformation: &'static str,
    pub guard_terraform: &'static str,
    /// The example files `rule.toml` names, by path relative to the rule folder.
    pub files: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// `policies/lib/tollgate.rego` (package `tollgate.lib`): the helpers every Rego rule shares —
/// value conventions, world CIDRs, protocols, port coverage, JSON pointers. Loaded into every
/// Rego engine, so users' policies can `import data.tollgate.lib` too.
pub static REGO_LIB: &str = include_str!("../../../policies/lib/tollgate.rego");

/// The file name [`REGO_LIB`] is reported under.
pub const REGO_LIB_PATH: &str = "policies/lib/tollgate.rego";

impl BuiltinRule {
    /// The rule's metadata from `rule.toml`.
    pub fn meta(&self) -> Result<crate::finding::RuleMeta, toml::de::Error> {
        toml::from_str(self.meta_toml)
    }

    /// The text of an example file named in `rule.toml` (path relative to the rule folder).
    pub fn file(&self, name: &str) -> Option<&'static str> {
        self.files
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }
}

/// The metadata of every built-in rule, in pack order.
pub fn builtin_meta() -> Result<Vec<crate::finding::RuleMeta>, String> {
    BUILTIN
        .iter()
        .map(|r| {
            r.meta()
                .map_err(|e| format!("policies/{}/rule.toml: {e}", r.id))
        })
        .collect()
}

//! The built-in policy pack: `policies/<rule-id>/` compiled into the binary, so nothing is
//! read from disk at run time. To add a built-in rule, create its folder (see
//! `docs/architecture.md`) and add one line to [`BUILTIN`].

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
}

macro_rules! builtin {
    ($id:literal) => {
        BuiltinRule {
            id: $id,
            meta_toml: include_str!(concat!("../../../policies/", $id, "/rule.toml")),
            rego_cloudformation: include_str!(concat!(
                "../../../policies/",
                $id,
                "/cloudformation.rego"
            )),
            rego_terraform: include_str!(concat!("../../../policies/", $id, "/terraform.rego")),
            guard_cloudformation: include_str!(concat!(
                "../../../policies/",
                $id,
                "/cloudformation.guard"
            )),
            guard_terraform: include_str!(concat!("../../../policies/", $id, "/terraform.guard")),
        }
    };
}

/// Every built-in rule, in the order `tollgate rules` lists them.
pub static BUILTIN: &[BuiltinRule] = &[
    builtin!("nacl-admin-ports-world"),
    builtin!("sg-admin-ports-world-ipv4"),
    builtin!("sg-admin-ports-world-ipv6"),
    builtin!("default-sg-allows-traffic"),
    builtin!("sg-ssh-world"),
    builtin!("rds-public-access"),
    builtin!("ebs-unencrypted"),
    builtin!("rds-storage-unencrypted"),
    builtin!("s3-bucket-unencrypted"),
    builtin!("efs-unencrypted"),
    builtin!("kms-rotation-disabled"),
];

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

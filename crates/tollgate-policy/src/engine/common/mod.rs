//! What both engines share: users' policy files ([`files`]), the `# tollgate:` header grammar
//! ([`header`]), cutting the input into the documents a policy file sees ([`chunk`]), `deny`
//! entries read into findings ([`deny`]) and the default rule options.

pub(crate) mod chunk;
pub(crate) mod deny;
pub(crate) mod files;
pub mod header;

pub use header::{Header, Scope};

/// The default remote-administration ports (rule option `admin_ports`): SSH and RDP.
pub const DEFAULT_ADMIN_PORTS: [i64; 2] = [22, 3389];

/// The rule options when nothing configures them.
pub fn default_options() -> serde_json::Value {
    serde_json::json!({ "admin_ports": DEFAULT_ADMIN_PORTS })
}

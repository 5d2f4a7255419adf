//! Rules and the engines that run them.
//!
//! * [`finding`]: what a rule reports ([`RawFinding`]) and the rule metadata ([`RuleMeta`]).
//! * [`engine`]: one adapter per policy language (Rego via `regorus`, Guard via `cfn-guard`).
//! * [`check`]: an engine run over a loaded file, with findings located in the source.
//! * [`pack`]: the built-in pack, compiled into the binary from `policies/`.

pub mod check;
pub mod engine;
pub mod finding;
pub mod pack;

pub use check::{check, default_options, Finding};
pub use engine::{Engine, EngineKind, EvalError};
pub use finding::{RawFinding, RelatedPointer, RuleMeta, Severity};
pub use tollgate_template::InputKind;

//! Rules and the engines that run them.
//!
//! * [`finding`]: what a rule reports ([`RawFinding`]), located findings ([`Finding`]) and the rule metadata ([`RuleMeta`]).
//! * [`engine`]: one adapter per policy language (Rego via `regorus`, Guard via `cfn-guard`).
//! * [`check`]: an engine run over a loaded file, every variant.
//! * [`locate`]: rules' pointers → places in the file (chunk and plan remaps, nearest parent,
//!   related locations, the resource type).
//! * [`pack`]: the built-in pack, compiled into the binary from `policies/`.

pub mod check;
pub mod engine;
pub mod finding;
pub mod locate;
pub mod pack;

pub use check::check;
pub use engine::common::{default_options, DEFAULT_ADMIN_PORTS};
pub use engine::{Engine, EvalError, Evaluation};
pub use finding::{Finding, RawFinding, RelatedPointer, RuleMeta, Severity};
pub use tollgate_template::InputKind;

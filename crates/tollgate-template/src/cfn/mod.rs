//! CloudFormation: resolution of parameters, intrinsics and conditions into the document the
//! policies receive, and the enumeration of variants for undecided conditions.

mod conditions;
pub mod foreach;
mod resolve;
mod validate;

pub use resolve::{resolve_variants, Resolved, Variant};

use serde_json::Value;
use std::collections::BTreeMap;

/// Pseudo parameters: known only at deploy time (`AWS::NoValue` is handled apart).
pub(crate) const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// Where a parameter's value comes from.
pub(crate) enum ParamValue {
    /// Given on the command line (`--param`, `--param-file`).
    Override(Value),
    /// The parameter's `Default`.
    Default(Value),
    /// Neither: unknown before deployment.
    Unset,
}

/// The value of parameter `name` (defined by `def`): its override, else its `Default`. For
/// list types (`CommaDelimitedList`, `List<…>`) a string value is split at commas, each item
/// trimmed, as CloudFormation does.
pub(crate) fn parameter_value(
    name: &str,
    def: &Value,
    overrides: &BTreeMap<String, Value>,
) -> ParamValue {
    let list_type = def
        .get("Type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("List<") || t == "CommaDelimitedList");
    let split = |v: &Value| match (v, list_type) {
        (Value::String(s), true) => Value::Array(
            s.split(',')
                .map(|p| Value::String(p.trim().to_string()))
                .collect(),
        ),
        _ => v.clone(),
    };
    if let Some(v) = overrides.get(name) {
        ParamValue::Override(split(v))
    } else if let Some(d) = def.get("Default") {
        ParamValue::Default(split(d))
    } else {
        ParamValue::Unset
    }
}

/// An object with exactly one key that is `Ref`, `Condition` or starts with `Fn::` — or
/// with `Rain::`, a preprocessor's function (`!Rain::Embed`), which is unknown before the
/// template is expanded.
pub fn as_intrinsic(value: &serde_json::Value) -> Option<(&str, &serde_json::Value)> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (k, v) = map.iter().next()?;
    (k == "Ref" || k == "Condition" || k.starts_with("Fn::") || k.starts_with("Rain::"))
        .then_some((k.as_str(), v))
}

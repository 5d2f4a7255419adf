//! CloudFormation: resolution of parameters, intrinsics and conditions into the document the
//! policies receive, and the enumeration of variants for undecided conditions.

mod conditions;
mod resolve;
mod validate;

pub use resolve::{resolve_variants, Resolved, Variant};

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

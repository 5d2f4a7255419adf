//! What a parsed file is, decided by its content, not its name.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    CloudFormation,
    TerraformPlan,
    /// Why it is neither (shown with `--verbose`).
    Neither(String),
}

pub fn detect(value: &Value) -> Detected {
    let Some(root) = value.as_object() else {
        return Detected::Neither(not_a_mapping(value));
    };
    if root.contains_key("format_version")
        && (root.contains_key("planned_values") || root.contains_key("resource_changes"))
    {
        return Detected::TerraformPlan;
    }
    let is_sam = match root.get("Transform") {
        Some(Value::String(t)) => t.starts_with("AWS::Serverless"),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with("AWS::Serverless"))),
        _ => false,
    };
    match root.get("Resources") {
        Some(Value::Object(res)) => {
            let typed = res.values().any(|r| {
                r.get("Type").and_then(Value::as_str).is_some_and(|t| {
                    t.starts_with("AWS::") || t.starts_with("Custom::") || t.starts_with("Alexa::")
                })
            });
            // `Fn::ForEach::Name` loops (AWS::LanguageExtensions) are resources too.
            let loops = res.keys().any(|k| k.starts_with("Fn::ForEach::"));
            if typed || is_sam || loops {
                Detected::CloudFormation
            } else {
                Detected::Neither("Resources has no entry with an AWS:: or Custom:: Type".into())
            }
        }
        Some(_) => Detected::Neither("Resources is not a mapping".into()),
        None if root.contains_key("format_version") => Detected::Neither(
            "has format_version but neither planned_values nor resource_changes".into(),
        ),
        None => Detected::Neither("no Resources section and not a Terraform plan".into()),
    }
}

/// A SAM template (`Transform: AWS::Serverless-2016-10-31`, alone or in a list).
pub fn is_sam(value: &Value) -> bool {
    match value.get("Transform") {
        Some(Value::String(t)) => t.starts_with("AWS::Serverless"),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with("AWS::Serverless"))),
        _ => false,
    }
}

/// Why a document that is not a mapping is neither a template nor a plan.
fn not_a_mapping(value: &Value) -> String {
    let what = match value {
        Value::Null => return "the document is empty (null)".into(),
        Value::Bool(_) => "a lone boolean",
        Value::Number(_) => "a lone number",
        Value::String(_) => "a lone string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    format!("the document is {what}, not a mapping with a Resources section")
}

//! Small facts about JSON values that the loaders, the resolver and the policy engines all
//! need, in one place.

use serde_json::{Map, Value};

/// A scalar as the text CloudFormation substitutes for it (`Fn::Join`, `Fn::Sub`, a loop
/// item); `None` for null, lists and mappings.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What a JSON value is, with its article, in JSON's words (for messages about plans).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What a template value is, in YAML's words (for messages about templates).
pub fn template_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// An object with one member, the long form of an intrinsic (`{"Fn::Sub": …}`).
pub fn single(key: &str, value: Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(key.to_string(), value);
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_have_text_containers_do_not() {
        assert_eq!(scalar_text(&json!("a")).as_deref(), Some("a"));
        assert_eq!(scalar_text(&json!(80)).as_deref(), Some("80"));
        assert_eq!(scalar_text(&json!(true)).as_deref(), Some("true"));
        assert_eq!(scalar_text(&json!(null)), None);
        assert_eq!(scalar_text(&json!([1])), None);
    }

    #[test]
    fn single_member_objects() {
        assert_eq!(single("Ref", json!("X")), json!({"Ref": "X"}));
    }
}

//! The rule options as Guard policies see them (`tollgate_options` in every document).

use serde_json::{Map, Value};

use crate::engine::common::DEFAULT_ADMIN_PORTS;

/// The rule options as Guard sees them (`tollgate_options`): `admin_ports` as integers.
pub(super) fn normalize_options(options: &Value) -> Value {
    let mut out = match options {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let ports: Vec<Value> = match options.get("admin_ports") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .map(Value::from)
            .collect(),
        _ => DEFAULT_ADMIN_PORTS
            .iter()
            .copied()
            .map(Value::from)
            .collect(),
    };
    out.insert("admin_ports".to_string(), Value::Array(ports));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_normalised() {
        assert_eq!(
            normalize_options(&json!({}))["admin_ports"],
            json!([22, 3389])
        );
        assert_eq!(
            normalize_options(&json!({"admin_ports": ["22", 5900, "x"]}))["admin_ports"],
            json!([22, 5900])
        );
    }
}

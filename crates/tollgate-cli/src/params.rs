//! CloudFormation parameter values: `--param KEY=VALUE` and `--param-file FILE`.

use crate::problem::Problem;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `KEY=VALUE` pairs from `--param`.
pub fn from_flags(raw: &[String]) -> Result<BTreeMap<String, Value>, Problem> {
    raw.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), Value::String(v.to_string())))
                .ok_or_else(|| {
                    Problem::file(
                        "tollgate::usage",
                        "--param",
                        format!("{p:?} is not KEY=VALUE"),
                    )
                })
        })
        .collect()
}

/// A parameter file in either form the AWS tools use:
/// `[{"ParameterKey": "K", "ParameterValue": "V"}, …]` (the AWS CLI's) or
/// `{"Parameters": {"K": "V", …}}` (CodePipeline's template configuration).
pub fn from_file(path: &Path) -> Result<BTreeMap<String, Value>, Problem> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Problem::file(
            "tollgate::params::invalid",
            &name,
            format!("cannot read: {e}"),
        )
    })?;
    let invalid = |msg: String| {
        Problem::file("tollgate::params::invalid", &name, msg).with_help(
            "expected [{\"ParameterKey\": \"K\", \"ParameterValue\": \"V\"}] or {\"Parameters\": {\"K\": \"V\"}}",
        )
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(Value::String(s.clone())),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        // A list parameter (CommaDelimitedList) may be written as a JSON list.
        Value::Array(items) => Some(Value::String(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
        )),
        _ => None,
    };
    let mut out = BTreeMap::new();
    match &value {
        Value::Array(entries) => {
            for (i, e) in entries.iter().enumerate() {
                if e.get("UsePreviousValue").and_then(Value::as_bool) == Some(true) {
                    continue; // the deployed value is unknown here: leave the Default
                }
                let key = e.get("ParameterKey").and_then(Value::as_str);
                let val = e.get("ParameterValue").and_then(scalar);
                match (key, val) {
                    (Some(k), Some(v)) => {
                        out.insert(k.to_string(), v);
                    }
                    _ => {
                        return Err(invalid(format!(
                            "entry {i} needs a string ParameterKey and a ParameterValue"
                        )))
                    }
                }
            }
        }
        Value::Object(map) if map.contains_key("Parameters") => {
            let Some(params) = map.get("Parameters").and_then(Value::as_object) else {
                return Err(invalid("`Parameters` must be an object".to_string()));
            };
            for (k, v) in params {
                let v = scalar(v)
                    .ok_or_else(|| invalid(format!("parameter {k} must be a string or number")))?;
                out.insert(k.clone(), v);
            }
        }
        _ => {
            return Err(invalid(
                "neither a parameter list nor {\"Parameters\": …}".to_string(),
            ))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("params.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn both_forms_give_the_same_parameters() {
        let (_d, list) = write(
            r#"[{"ParameterKey": "Cidr", "ParameterValue": "0.0.0.0/0"},
                {"ParameterKey": "Port", "ParameterValue": 22},
                {"ParameterKey": "Old", "UsePreviousValue": true}]"#,
        );
        let (_e, obj) = write(r#"{"Parameters": {"Cidr": "0.0.0.0/0", "Port": 22}}"#);
        let a = from_file(&list).unwrap();
        assert_eq!(a, from_file(&obj).unwrap());
        assert_eq!(a["Port"], Value::String("22".into()));
        assert!(!a.contains_key("Old"));
    }

    #[test]
    fn malformed_files_are_errors_naming_the_file() {
        let (_d, p) = write(r#"[{"ParameterValue": "x"}]"#);
        let e = from_file(&p).unwrap_err();
        assert!(e.to_string().contains("params.json"), "{e}");
        let (_d, p) = write(r#"{"Foo": 1}"#);
        assert!(from_file(&p).is_err());
        assert!(from_flags(&["novalue".into()]).is_err());
    }
}

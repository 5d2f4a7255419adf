//! A rule package's `deny` set, read into findings through `serde`.

use serde::Deserialize;
use serde_json::Value;
use tollgate_template::pointer;

use crate::finding::{RawFinding, RelatedPointer};

/// One `deny` entry as a rule writes it.
#[derive(Debug, Deserialize)]
struct DenyEntry {
    message: String,
    pointer: String,
    resource: String,
    #[serde(default)]
    related: Option<Vec<DenyRelated>>,
}

/// One `related` entry as a rule writes it.
#[derive(Debug, Deserialize)]
struct DenyRelated {
    pointer: String,
    message: String,
}

/// The shape an entry must have, for error messages.
const SHAPE: &str = r#"{"message": string, "pointer": string, "resource": string, "related": [{"pointer": string, "message": string}] (optional)}"#;

/// Turns rule `rule`'s `deny` value (a set, as a JSON array; `null` when undefined) into
/// findings; each malformed entry is one error message, the others still count.
pub(crate) fn read_deny(rule: &str, deny: &Value) -> (Vec<RawFinding>, Vec<String>) {
    let entries = match deny {
        Value::Null => return (Vec::new(), Vec::new()),
        Value::Array(entries) => entries,
        other => {
            return (
                Vec::new(),
                vec![format!("`deny` must be a set of objects, not {other}")],
            )
        }
    };
    let mut findings = Vec::with_capacity(entries.len());
    let mut errors = Vec::new();
    for entry in entries {
        match finding(rule, entry) {
            Ok(f) => findings.push(f),
            Err(message) => errors.push(message),
        }
    }
    (findings, errors)
}

fn finding(rule: &str, entry: &Value) -> Result<RawFinding, String> {
    let read = DenyEntry::deserialize(entry)
        .map_err(|e| format!("deny entry {entry} is not {SHAPE}: {e}"))?;
    let Some(pointer) = pointer::read(&read.pointer) else {
        return Err(format!(
            "deny entry {entry}: {:?} is not a JSON pointer (it must start with '/')",
            read.pointer
        ));
    };
    // A related pointer that is not one was never located, so it is left out (no error).
    let related = read
        .related
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            Some(RelatedPointer {
                pointer: pointer::read(&r.pointer)?,
                message: r.message,
            })
        })
        .collect();
    Ok(RawFinding {
        rule: rule.to_string(),
        resource: read.resource,
        pointer,
        message: read.message,
        related,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tollgate_template::PointerBuf;

    #[test]
    fn entries_become_findings_and_mistakes_errors() {
        let deny = json!([
            {"message": "m", "pointer": "/Resources/A", "resource": "A", "extra": 1,
             "related": [{"pointer": "/Parameters", "message": "here"}]},
            {"message": "m", "pointer": "", "resource": "B", "related": null},
            {"message": "no pointer", "resource": "x"},
            {"message": "m", "pointer": "Resources", "resource": "x"},
            {"message": "m", "pointer": "", "resource": "x", "related": [{"pointer": "/a"}]},
            {"message": "m", "pointer": "", "resource": "x", "related": "/a"},
            "text",
            {"message": "m", "pointer": "/Resources/A/x~2", "resource": "A",
             "related": [{"pointer": "Parameters", "message": "not a pointer"}]}
        ]);
        let (findings, errors) = read_deny("r", &deny);
        assert_eq!(findings.len(), 3);
        assert_eq!(
            findings[0].related,
            vec![RelatedPointer {
                pointer: PointerBuf::from_tokens(["Parameters"]),
                message: "here".into()
            }]
        );
        // A stray `~` is a literal `~` (the finding is kept, located as before); a related
        // pointer without its leading `/` is left out.
        assert_eq!(findings[2].pointer.as_str(), "/Resources/A/x~02");
        assert!(findings[2].related.is_empty());
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(
            errors[0].ends_with("missing field `pointer`"),
            "{}",
            errors[0]
        );
        assert!(errors[1].contains("is not a JSON pointer"), "{}", errors[1]);
        assert!(
            errors[2].ends_with("missing field `message`"),
            "{}",
            errors[2]
        );
        assert!(errors[3].contains("expected a sequence"), "{}", errors[3]);
        let (none, errors) = read_deny("r", &json!(true));
        assert!(none.is_empty());
        assert_eq!(errors, vec!["`deny` must be a set of objects, not true"]);
        assert_eq!(read_deny("r", &Value::Null).0, Vec::new());
    }
}

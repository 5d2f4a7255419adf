//! Guard's failing checks turned into findings: the path made a JSON pointer into the input,
//! the resource it lies in, the structured custom message of the built-in pack
//! (`{"message": ..., "at": ..., "missing": ..., "group": n}`) applied, checks at the same
//! place merged into one finding. The conventions are in `docs/writing-guard-policies.md`.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde_json::Value;
use tollgate_template::pointer::{self, Pointer, PointerBuf};
use tollgate_template::InputKind;

use super::report::Hit;
use super::GuardPolicy;
use crate::engine::EvalError;
use crate::finding::RawFinding;

/// Turns a Guard path (one token per segment, see [`Hit::path`]) into the pointer of the
/// value in the input, by walking the input: consecutive segments that together are a key
/// holding `/` become one token. Below a node that is not there, each segment stays a token.
pub(super) fn to_pointer(input: &Value, path: &Pointer) -> PointerBuf {
    let segments: Vec<String> = path.tokens().map(|t| t.decoded().into_owned()).collect();
    let mut pointer = PointerBuf::new();
    let mut cur = Some(input);
    let mut i = 0;
    while i < segments.len() {
        let mut matched = None;
        if let Some(node) = cur {
            match node {
                Value::Object(m) => {
                    for j in i..segments.len() {
                        let key = segments[i..=j].join("/");
                        if let Some(child) = m.get(&key) {
                            matched = Some((key, j, child));
                            break;
                        }
                    }
                }
                Value::Array(a) => {
                    if let Some(child) = segments[i].parse::<usize>().ok().and_then(|k| a.get(k)) {
                        matched = Some((segments[i].clone(), i, child));
                    }
                }
                _ => {}
            }
        }
        match matched {
            Some((key, j, child)) => {
                pointer.push_back(key);
                cur = Some(child);
                i = j + 1;
            }
            None => {
                pointer.push_back(&segments[i]);
                cur = None;
                i += 1;
            }
        }
    }
    pointer
}

fn lookup<'a>(input: &'a Value, pointer: &Pointer) -> Option<&'a Value> {
    pointer.resolve(input).ok()
}

/// An unknown value: `null`, or a single-key `Ref` / `Fn::*` object (an unresolved intrinsic).
fn is_unknown(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(v) => tollgate_template::as_intrinsic(v)
            .is_some_and(|(f, _)| f == "Ref" || f.starts_with("Fn::")),
    }
}

/// The resource a pointer lies in: its root pointer and its id (logical id or address).
fn resource_of(kind: InputKind, input: &Value, pointer: &Pointer) -> Option<(PointerBuf, String)> {
    match kind {
        InputKind::CloudFormation => {
            let (id, _) = pointer::template_resource(pointer)?;
            let id = id.decoded().into_owned();
            let root = PointerBuf::from_tokens([pointer::TEMPLATE_RESOURCES, id.as_str()]);
            Some((root, id))
        }
        InputKind::TerraformPlan => {
            let (first, rest) = pointer.split_front()?;
            let (index, _) = rest.split_front()?;
            if first.decoded() != pointer::PLAN_RESOURCES {
                return None;
            }
            let root = PointerBuf::from_tokens([first, index]);
            let address = lookup(input, &root.with_trailing_token("address"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Some((root.with_trailing_token("after"), address))
        }
    }
}

/// A built-in style custom message: `{"message": ..., "at": ..., "missing": ..., "group": n}`.
/// A built-in style custom message: `{"message": ..., "at": ..., "missing": ..., "group": n}`.
#[derive(Debug, Default, Deserialize)]
struct Spec {
    message: Option<String>,
    /// `"resource"`: the finding is about the resource, not the value.
    at: Option<String>,
    /// Where a finding about a missing value points: `"resource"`, or `"entry"` (the parent).
    missing: Option<String>,
    /// How many trailing pointer segments checks may differ in and still be one finding.
    #[serde(default)]
    group: usize,
}

/// The spec of a custom message: parsed if it is a JSON object, else the text as the message.
fn spec_of(custom: Option<&str>) -> Spec {
    let Some(text) = custom.map(str::trim).filter(|t| !t.is_empty()) else {
        return Spec::default();
    };
    if text.starts_with('{') {
        if let Ok(spec) = serde_json::from_str::<Spec>(text) {
            return spec;
        }
    }
    Spec {
        message: Some(text.to_string()),
        ..Spec::default()
    }
}

/// Checks at the same place, merged into one finding.
struct Merged {
    rule: String,
    resource: String,
    pointer: PointerBuf,
    template: String,
    value: Option<Value>,
    ports: BTreeSet<i64>,
}

pub(super) fn findings_from_hits(
    policy: &GuardPolicy,
    kind: InputKind,
    input: &Value,
    hits: Vec<Hit>,
) -> (Vec<RawFinding>, Option<EvalError>) {
    let ids: HashMap<&str, &str> = policy
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.id.as_str()))
        .collect();
    let mut groups: Vec<Merged> = Vec::new();
    let mut index: HashMap<(String, PointerBuf), usize> = HashMap::new();
    let mut error: Option<EvalError> = None;
    for hit in hits {
        let rule = ids
            .get(hit.rule.as_str())
            .map(|s| s.to_string())
            .unwrap_or_else(|| hit.rule.replace('_', "-"));
        let spec = spec_of(hit.custom.as_deref());
        let Some(path) = hit.path.as_deref() else {
            if error.is_none() {
                let why = hit.error.clone().unwrap_or_else(|| "no detail".to_string());
                error = Some(EvalError::Runtime {
                    file: policy.file.clone(),
                    message: format!(
                        "rule `{}` failed without naming a value (guard the rule with \
                         `when %x exists`?): {why}",
                        hit.rule
                    ),
                });
            }
            continue;
        };
        let mut pointer = to_pointer(input, path);
        let resource = resource_of(kind, input, &pointer);
        let unknown = hit.missing || is_unknown(lookup(input, &pointer));
        if spec.at.as_deref() == Some("resource") {
            if let Some((root, _)) = &resource {
                pointer = root.clone();
            }
        } else if unknown {
            match spec.missing.as_deref() {
                Some("resource") => {
                    if let Some((root, _)) = &resource {
                        pointer = root.clone();
                    }
                }
                Some("entry") if !hit.missing => {
                    pointer.pop_back();
                }
                _ => {}
            }
        }
        // Checks that differ only in the last `group` tokens are one finding.
        let mut place = pointer.clone();
        for _ in 0..spec.group {
            place.pop_back();
        }
        let key = (rule.clone(), place);
        let port = hit.to.as_ref().and_then(Value::as_i64);
        let slot = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key, groups.len());
                let template = spec
                    .message
                    .clone()
                    .or_else(|| hit.custom.clone().filter(|c| !c.trim().is_empty()))
                    .unwrap_or_else(|| format!("Rule {} failed", hit.rule));
                groups.push(Merged {
                    rule,
                    resource: resource.map(|(_, id)| id).unwrap_or_default(),
                    pointer: pointer.clone(),
                    template,
                    value: lookup(input, &pointer).cloned().or(hit.value.clone()),
                    ports: BTreeSet::new(),
                });
                groups.len() - 1
            }
        };
        if let (Some(p), Some(g)) = (port, groups.get_mut(slot)) {
            g.ports.insert(p);
        }
    }
    let mut findings: Vec<RawFinding> = groups
        .into_iter()
        .map(|g| RawFinding {
            message: render(&g.template, g.value.as_ref(), &g.ports),
            rule: g.rule,
            resource: g.resource,
            pointer: g.pointer,
            related: Vec::new(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    (findings, error)
}

fn render(template: &str, value: Option<&Value>, ports: &BTreeSet<i64>) -> String {
    let mut out = template.to_string();
    if out.contains("{value}") {
        let shown = match value {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        out = out.replace("{value}", &shown);
    }
    if out.contains("{ports}") {
        out = out.replace("{ports}", &describe_ports(ports));
    }
    out
}

/// "port 22", "ports 22 and 3389", "ports 22, 3389 and 5900".
fn describe_ports(ports: &BTreeSet<i64>) -> String {
    let list: Vec<String> = ports.iter().map(i64::to_string).collect();
    match list.as_slice() {
        [] => "admin ports".to_string(),
        [one] => format!("port {one}"),
        [init @ .., last] => format!("ports {} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_recovers_keys_holding_a_slash() {
        let doc = json!({"resources": [{"after": {"tags": {"kubernetes.io/cluster/x": "owned", "a~b": 1}}}]});
        let to = |path: &str| to_pointer(&doc, &super::super::report::segments(path)).to_string();
        assert_eq!(
            to("/resources/0/after/tags/kubernetes.io/cluster/x"),
            "/resources/0/after/tags/kubernetes.io~1cluster~1x"
        );
        assert_eq!(
            to("/resources/0/after/tags/a~b"),
            "/resources/0/after/tags/a~0b"
        );
        // A path below a missing node is escaped segment by segment.
        assert_eq!(
            to("/resources/0/after/none/x~y"),
            "/resources/0/after/none/x~0y"
        );
        assert_eq!(to_pointer(&doc, Pointer::root()), "");
    }

    #[test]
    fn resources_of_pointers() {
        let doc = json!({"resources": [{"address": "aws_s3_bucket.b", "after": {}}]});
        let of = |kind, p: &'static str| {
            resource_of(kind, &doc, Pointer::from_static(p))
                .map(|(root, id)| (root.to_string(), id))
        };
        let cfn = InputKind::CloudFormation;
        assert_eq!(
            of(cfn, "/Resources/a~1b/Properties"),
            Some(("/Resources/a~1b".into(), "a/b".into()))
        );
        assert_eq!(of(cfn, "/Resources"), None);
        let tf = InputKind::TerraformPlan;
        assert_eq!(
            of(tf, "/resources/0/after/x"),
            Some(("/resources/0/after".into(), "aws_s3_bucket.b".into()))
        );
        assert_eq!(of(tf, "/resources"), None);
    }
    #[test]
    fn ports_are_described_like_the_rego_pack() {
        let set = |v: &[i64]| v.iter().copied().collect::<BTreeSet<i64>>();
        assert_eq!(describe_ports(&set(&[22])), "port 22");
        assert_eq!(describe_ports(&set(&[3389, 22])), "ports 22 and 3389");
        assert_eq!(
            describe_ports(&set(&[22, 3389, 5900])),
            "ports 22, 3389 and 5900"
        );
    }
    #[test]
    fn unknown_values() {
        assert!(is_unknown(None));
        assert!(is_unknown(Some(&Value::Null)));
        assert!(is_unknown(Some(&json!({"Ref": "P"}))));
        assert!(is_unknown(Some(&json!({"Fn::GetAtt": ["A", "B"]}))));
        assert!(!is_unknown(Some(&json!({"Ref": "P", "x": 1}))));
        assert!(!is_unknown(Some(&json!(false))));
    }
}

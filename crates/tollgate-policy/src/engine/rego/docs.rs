//! The documents a group of rule packages is evaluated on, as regorus values.
//!
//! Converting a large input is a good part of evaluating it, so it is done once per piece and
//! directly from the loader's `serde_json::Value` (no intermediate copy), with object keys
//! shared: a plan with 20,000 resources has a few dozen distinct keys. Resource-scoped groups
//! get the resources in chunks, converted and evaluated in parallel; each chunk keeps the other
//! top-level keys of the document.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use regorus::Value;
use serde_json::Value as Json;
use tollgate_template::InputKind;

use super::Scope;

/// A document to evaluate, and for Terraform chunks the input's index of each of its
/// `resources`.
pub(super) struct Doc {
    pub value: Value,
    pub index: Option<Vec<usize>>,
}

/// A set of resources of the input, with the document's other top-level keys.
pub(super) struct Chunk<'a> {
    kind: InputKind,
    rest: &'a BTreeMap<Value, Value>,
    resources: Vec<(Member<'a>, &'a Json)>,
}

#[derive(Clone, Copy)]
enum Member<'a> {
    /// A CloudFormation logical id.
    Key(&'a str),
    /// A Terraform `resources` index.
    Index(usize),
}

/// The other top-level keys of a split document, converted once and shared by its chunks.
pub(super) struct Split<'a> {
    rest: BTreeMap<Value, Value>,
    kind: InputKind,
    resources: Vec<(Member<'a>, &'a Json)>,
}

/// How many resources one chunk holds.
fn chunk_len(total: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    total.div_ceil(threads * 4).clamp(64, 1024)
}

/// Splits `input` for a group: `None` when the group needs the whole document as it is (or
/// the document does not have the usual resource collection); otherwise the pieces to
/// evaluate (none when no resource is of the group's types).
pub(super) fn split<'a>(
    kind: InputKind,
    input: &'a Json,
    scope: Scope,
    types: Option<&BTreeSet<String>>,
) -> Option<Split<'a>> {
    if scope == Scope::Document && types.is_none() {
        return None;
    }
    let object = input.as_object()?;
    let (key, type_key) = match kind {
        InputKind::CloudFormation => ("Resources", "Type"),
        InputKind::TerraformPlan => ("resources", "type"),
    };
    let all: Vec<(Member<'a>, &'a Json)> = match object.get(key) {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(map)) if kind == InputKind::CloudFormation => map
            .iter()
            .map(|(k, v)| (Member::Key(k.as_str()), v))
            .collect(),
        Some(Json::Array(items)) if kind == InputKind::TerraformPlan => items
            .iter()
            .enumerate()
            .map(|(i, v)| (Member::Index(i), v))
            .collect(),
        Some(_) => return None,
    };
    let resources = match types {
        None => all,
        Some(types) => all
            .into_iter()
            .filter(|(_, r)| {
                r.get(type_key)
                    .and_then(Json::as_str)
                    .is_some_and(|t| types.contains(t))
            })
            .collect(),
    };
    let mut converter = Converter::default();
    let rest = object
        .iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (converter.key(k), converter.value(v)))
        .collect();
    Some(Split {
        rest,
        kind,
        resources,
    })
}

impl<'a> Split<'a> {
    /// The chunks to evaluate: one for a document-scoped group, several for a
    /// resource-scoped one; none when there is no resource.
    pub(super) fn chunks(&'a self, scope: Scope) -> Vec<Chunk<'a>> {
        if self.resources.is_empty() {
            return Vec::new();
        }
        let len = match scope {
            Scope::Document => self.resources.len(),
            Scope::Resource => chunk_len(self.resources.len()),
        };
        self.resources
            .chunks(len)
            .map(|resources| Chunk {
                kind: self.kind,
                rest: &self.rest,
                resources: resources.to_vec(),
            })
            .collect()
    }
}

impl Chunk<'_> {
    /// The chunk as a document.
    pub(super) fn build(&self) -> Doc {
        let mut converter = Converter::default();
        let mut doc = self.rest.clone();
        let (collection, index) = match self.kind {
            InputKind::CloudFormation => {
                let map: BTreeMap<Value, Value> = self
                    .resources
                    .iter()
                    .filter_map(|(m, r)| match m {
                        Member::Key(k) => Some((converter.key(k), converter.value(r))),
                        Member::Index(_) => None,
                    })
                    .collect();
                (("Resources", Value::from(map)), None)
            }
            InputKind::TerraformPlan => {
                let index: Vec<usize> = self
                    .resources
                    .iter()
                    .filter_map(|(m, _)| match m {
                        Member::Index(i) => Some(*i),
                        Member::Key(_) => None,
                    })
                    .collect();
                let items: Vec<Value> = self
                    .resources
                    .iter()
                    .map(|(_, r)| converter.value(r))
                    .collect();
                (("resources", Value::from(items)), Some(index))
            }
        };
        doc.insert(Value::from(collection.0), collection.1);
        Doc {
            value: Value::from(doc),
            index,
        }
    }
}

/// Converts a whole document.
pub(super) fn convert(value: &Json) -> Value {
    Converter::default().value(value)
}

/// `serde_json` → regorus, sharing repeated object keys. Gives what
/// `regorus::Value::from(serde_json::Value)` gives, without copying the input first.
#[derive(Default)]
struct Converter<'a> {
    keys: HashMap<&'a str, Value>,
}

impl<'a> Converter<'a> {
    fn key(&mut self, key: &'a str) -> Value {
        self.keys
            .entry(key)
            .or_insert_with(|| Value::from(key))
            .clone()
    }

    fn value(&mut self, value: &'a Json) -> Value {
        match value {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Value::from(u)
                } else if let Some(i) = n.as_i64() {
                    Value::from(i)
                } else {
                    // serde_json numbers are finite.
                    Value::from(n.as_f64().unwrap_or_default())
                }
            }
            Json::String(s) => Value::from(s.as_str()),
            Json::Array(items) => {
                Value::from(items.iter().map(|v| self.value(v)).collect::<Vec<_>>())
            }
            Json::Object(map) => Value::from(
                map.iter()
                    .map(|(k, v)| (self.key(k), self.value(v)))
                    .collect::<BTreeMap<_, _>>(),
            ),
        }
    }
}

/// `/resources/<j>...` of a Terraform chunk → `/resources/<index[j]>...` of the input.
pub(super) fn remap_resource_index(pointer: &mut String, index: &[usize]) {
    let Some(rest) = pointer.strip_prefix("/resources/") else {
        return;
    };
    let (j, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if let Some(i) = j.parse::<usize>().ok().and_then(|j| index.get(j)) {
        *pointer = format!("/resources/{i}{tail}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversion_matches_regorus() {
        let doc = json!({"a": [1, -2, 2.5, "x", null, true, {"b": {}, "a": []}],
                         "big": 18446744073709551615u64, "neg": -9223372036854775808i64});
        assert_eq!(convert(&doc), Value::from(doc.clone()));
    }

    #[test]
    fn terraform_pointers_map_back() {
        let mut p = "/resources/1/after/x".to_string();
        remap_resource_index(&mut p, &[7, 3]);
        assert_eq!(p, "/resources/3/after/x");
        let mut p = "/resources/0".to_string();
        remap_resource_index(&mut p, &[7, 3]);
        assert_eq!(p, "/resources/7");
        let mut p = "/format_version".to_string();
        remap_resource_index(&mut p, &[7, 3]);
        assert_eq!(p, "/format_version");
    }

    #[test]
    fn resource_chunks_keep_the_other_keys_and_filter_types() {
        let doc = json!({"format_version": "1.2", "resources": [
            {"type": "aws_vpc"}, {"type": "aws_s3_bucket"}, {"type": "aws_vpc"}]});
        let types: BTreeSet<String> = ["aws_vpc".to_string()].into();
        let pieces = split(
            InputKind::TerraformPlan,
            &doc,
            Scope::Document,
            Some(&types),
        )
        .expect("a plan splits");
        let chunks = pieces.chunks(Scope::Document);
        assert_eq!(chunks.len(), 1);
        let built = chunks[0].build();
        assert_eq!(built.index, Some(vec![0, 2]));
        assert_eq!(
            built.value,
            Value::from(json!({"format_version": "1.2",
                               "resources": [{"type": "aws_vpc"}, {"type": "aws_vpc"}]}))
        );
        assert!(split(InputKind::TerraformPlan, &doc, Scope::Document, None).is_none());
    }
}

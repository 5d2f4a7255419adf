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

use crate::engine::common::chunk::{
    chunk_map, collection_key, select, Member, Resource, Selection, Wanted,
};
use crate::engine::common::Scope;
use crate::locate::ChunkMap;

/// A document to evaluate, and how its pointers map back to the input.
pub(super) struct Doc {
    pub value: Value,
    pub map: ChunkMap,
}

/// The input's resources a group wants, with the document's other top-level keys converted
/// once and shared by its chunks.
pub(super) struct Split<'a> {
    rest: BTreeMap<Value, Value>,
    selection: Selection<'a>,
}

/// A set of resources of the input, with the document's other top-level keys.
pub(super) struct Chunk<'s, 'a> {
    kind: InputKind,
    rest: &'s BTreeMap<Value, Value>,
    resources: &'s [Resource<'a>],
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
    if scope == Scope::Document && types.is_none() || !input.is_object() {
        return None;
    }
    let wanted = Wanted {
        types,
        managed_only: false,
    };
    let selection = select(kind, input, wanted);
    if !selection.usual_shape {
        return None;
    }
    let mut converter = Converter::default();
    let rest = selection
        .rest()
        .map(|(k, v)| (converter.key(k), converter.value(v)))
        .collect();
    Some(Split { rest, selection })
}

impl<'a> Split<'a> {
    /// The chunks to evaluate: one for a document-scoped group, several for a
    /// resource-scoped one; none when there is no resource.
    pub(super) fn chunks(&self, scope: Scope) -> Vec<Chunk<'_, 'a>> {
        let resources = &self.selection.resources;
        let len = match scope {
            Scope::Document => resources.len(),
            Scope::Resource => chunk_len(resources.len()),
        };
        self.selection
            .chunks(len)
            .map(|resources| Chunk {
                kind: self.selection.kind,
                rest: &self.rest,
                resources,
            })
            .collect()
    }
}

impl Chunk<'_, '_> {
    /// The chunk as a document.
    pub(super) fn build(&self) -> Doc {
        let mut converter = Converter::default();
        let mut doc = self.rest.clone();
        let collection = match self.kind {
            InputKind::CloudFormation => {
                let map: BTreeMap<Value, Value> = self
                    .resources
                    .iter()
                    .filter_map(|(m, r)| match m {
                        Member::Key(k) => Some((converter.key(k), converter.value(r))),
                        Member::Index(_) => None,
                    })
                    .collect();
                Value::from(map)
            }
            InputKind::TerraformPlan => Value::from(
                self.resources
                    .iter()
                    .map(|(_, r)| converter.value(r))
                    .collect::<Vec<Value>>(),
            ),
        };
        doc.insert(Value::from(collection_key(self.kind)), collection);
        Doc {
            value: Value::from(doc),
            map: chunk_map(self.resources),
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
        assert_eq!(built.map, ChunkMap::Resources(vec![0, 2]));
        assert_eq!(
            built.value,
            Value::from(json!({"format_version": "1.2",
                               "resources": [{"type": "aws_vpc"}, {"type": "aws_vpc"}]}))
        );
        assert!(split(InputKind::TerraformPlan, &doc, Scope::Document, None).is_none());
    }
}

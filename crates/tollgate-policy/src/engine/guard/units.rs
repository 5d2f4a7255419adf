//! The documents one Guard policy file is evaluated on ("units"), serialized straight from the
//! input (nothing is copied), and the batches of them that go into one cfn-guard call.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use tollgate_template::InputKind;

use super::GuardPolicy;
use crate::engine::common::chunk::{chunk_map, collection_key, select, Member, Resource, Wanted};
use crate::engine::common::Scope;
use crate::locate::ChunkMap;

/// At most this many documents, and about this many bytes of them, go into one cfn-guard call.
pub(super) const MAX_BATCH_DOCS: usize = 256;
pub(super) const MAX_BATCH_BYTES: usize = 1 << 20;

/// The key under which a unit carries the rule options.
const OPTIONS_KEY: &str = "tollgate_options";

/// One document given to Guard, and how its pointers map back to the input.
pub(super) struct Unit {
    pub json: String,
    pub map: ChunkMap,
}

/// The documents `policy` is evaluated on: one per wanted resource (`scope=resource`, only the
/// resource collection), or one holding the whole input with only the wanted resources.
pub(super) fn build_units(
    policy: &GuardPolicy,
    kind: InputKind,
    input: &Value,
    options: &Value,
) -> Result<Vec<Unit>, serde_json::Error> {
    let wanted = Wanted {
        types: policy.types.as_ref(),
        managed_only: true,
    };
    let selection = select(kind, input, wanted);
    let unit = |resources: &[Resource<'_>], top| {
        let doc = UnitDoc {
            kind,
            top,
            resources,
            options,
        };
        Ok(Unit {
            json: serde_json::to_string(&doc)?,
            map: chunk_map(resources),
        })
    };
    match policy.scope {
        Scope::Resource => selection.chunks(1).map(|one| unit(one, None)).collect(),
        Scope::Document => Ok(vec![unit(&selection.resources, Some(selection.top))?]),
    }
}

/// A unit as JSON: the input's top level (if any) in order, its resource collection holding
/// `resources`, and the options.
struct UnitDoc<'s, 'a> {
    kind: InputKind,
    top: Option<&'a serde_json::Map<String, Value>>,
    resources: &'s [Resource<'a>],
    options: &'s Value,
}

/// The resources as their collection: an object by logical id, or an array.
struct Collection<'s, 'a>(InputKind, &'s [Resource<'a>]);

impl Serialize for Collection<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            InputKind::CloudFormation => {
                serializer.collect_map(self.1.iter().filter_map(|(m, r)| match m {
                    Member::Key(k) => Some((*k, *r)),
                    Member::Index(_) => None,
                }))
            }
            InputKind::TerraformPlan => serializer.collect_seq(self.1.iter().map(|(_, r)| *r)),
        }
    }
}

impl Serialize for UnitDoc<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let key = collection_key(self.kind);
        let collection = Collection(self.kind, self.resources);
        let mut map = serializer.serialize_map(None)?;
        let (mut wrote_collection, mut wrote_options) = (false, false);
        // Keys keep their place in the input; the collection and the options replace theirs.
        for (k, v) in self.top.into_iter().flatten() {
            if k == key {
                map.serialize_entry(k, &collection)?;
                wrote_collection = true;
            } else if k == OPTIONS_KEY {
                map.serialize_entry(k, self.options)?;
                wrote_options = true;
            } else {
                map.serialize_entry(k, v)?;
            }
        }
        if !wrote_collection {
            map.serialize_entry(key, &collection)?;
        }
        if !wrote_options {
            map.serialize_entry(OPTIONS_KEY, self.options)?;
        }
        map.end()
    }
}

/// Consecutive units, at most [`MAX_BATCH_DOCS`] and about [`MAX_BATCH_BYTES`] per batch.
pub(super) fn batches(units: &[Unit]) -> Vec<&[Unit]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, unit) in units.iter().enumerate() {
        if i > start && (i - start >= MAX_BATCH_DOCS || bytes + unit.json.len() > MAX_BATCH_BYTES) {
            out.push(&units[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += unit.json.len();
    }
    if start < units.len() {
        out.push(&units[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_respect_both_limits() {
        let unit = |len| Unit {
            json: "x".repeat(len),
            map: ChunkMap::Same,
        };
        let units: Vec<Unit> = (0..600).map(|_| unit(10)).collect();
        let sizes: Vec<usize> = batches(&units).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![256, 256, 88]);
        let big: Vec<Unit> = (0..3).map(|_| unit(MAX_BATCH_BYTES)).collect();
        assert_eq!(batches(&big).len(), 3);
    }

    #[test]
    fn units_keep_the_key_order_and_carry_the_options() {
        let input = json!({"format_version": "1.2", "resources": [
            {"type": "aws_vpc"}, {"type": "aws_s3_bucket"}, {"type": "aws_vpc", "mode": "data"}],
            "z": 1});
        let options = json!({"admin_ports": [22]});
        let policy = |scope| GuardPolicy {
            file: "f".into(),
            kinds: vec![InputKind::TerraformPlan],
            rules: Vec::new(),
            severity: None,
            scope,
            types: Some(["aws_vpc".to_string()].into()),
            builtin: false,
            source: String::new(),
        };
        let doc = build_units(
            &policy(Scope::Document),
            InputKind::TerraformPlan,
            &input,
            &options,
        )
        .unwrap_or_default();
        assert_eq!(doc.len(), 1);
        assert_eq!(
            doc[0].json,
            r#"{"format_version":"1.2","resources":[{"type":"aws_vpc"}],"z":1,"tollgate_options":{"admin_ports":[22]}}"#
        );
        assert_eq!(doc[0].map, ChunkMap::Resources(vec![0]));
        let cfn = json!({"Resources": {"A": {"Type": "T"}, "B": {"Type": "U"}}, "Parameters": {}});
        let mut each = policy(Scope::Resource);
        each.types = None;
        let units =
            build_units(&each, InputKind::CloudFormation, &cfn, &options).unwrap_or_default();
        let json: Vec<&str> = units.iter().map(|u| u.json.as_str()).collect();
        assert_eq!(
            json,
            [
                r#"{"Resources":{"A":{"Type":"T"}},"tollgate_options":{"admin_ports":[22]}}"#,
                r#"{"Resources":{"B":{"Type":"U"}},"tollgate_options":{"admin_ports":[22]}}"#
            ]
        );
    }
}

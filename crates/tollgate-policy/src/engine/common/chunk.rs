//! Cutting an input into the documents a policy file is evaluated on: its resources filtered
//! by the file's `types`, whole or in chunks, each chunk knowing how its pointers map back to
//! the input ([`ChunkMap`], applied by [`crate::locate`]).

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use tollgate_template::InputKind;

use crate::locate::ChunkMap;

/// How a resource is addressed in its collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Member<'a> {
    /// A CloudFormation logical id.
    Key(&'a str),
    /// A Terraform `resources` index.
    Index(usize),
}

/// A resource of the input.
pub(crate) type Resource<'a> = (Member<'a>, &'a Value);

/// The input's top level and its resources of the wanted types.
pub(crate) struct Selection<'a> {
    pub kind: InputKind,
    /// The input's top-level object (empty if the input is not an object).
    pub top: &'a Map<String, Value>,
    /// The wanted resources, in document order.
    pub resources: Vec<Resource<'a>>,
    /// The input has the usual resource collection (`Resources` object or `resources`
    /// array, or none at all).
    pub usual_shape: bool,
}

/// Which resources a policy file wants.
#[derive(Clone, Copy)]
pub(crate) struct Wanted<'a> {
    /// Only these types (`None`: all).
    pub types: Option<&'a BTreeSet<String>>,
    /// Leave out Terraform data sources (`mode = "data"`).
    pub managed_only: bool,
}

/// The key of the resource collection of `kind`.
pub(crate) fn collection_key(kind: InputKind) -> &'static str {
    match kind {
        InputKind::CloudFormation => "Resources",
        InputKind::TerraformPlan => "resources",
    }
}

fn type_key(kind: InputKind) -> &'static str {
    match kind {
        InputKind::CloudFormation => "Type",
        InputKind::TerraformPlan => "type",
    }
}

/// The resources of `input` that `wanted` selects.
pub(crate) fn select<'a>(kind: InputKind, input: &'a Value, wanted: Wanted<'_>) -> Selection<'a> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let top = input
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
    let (all, usual_shape): (Vec<Resource<'a>>, bool) = match (kind, top.get(collection_key(kind)))
    {
        (_, None | Some(Value::Null)) => (Vec::new(), true),
        (InputKind::CloudFormation, Some(Value::Object(map))) => (
            map.iter()
                .map(|(k, v)| (Member::Key(k.as_str()), v))
                .collect(),
            true,
        ),
        (InputKind::TerraformPlan, Some(Value::Array(items))) => (
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Member::Index(i), v))
                .collect(),
            true,
        ),
        (_, Some(_)) => (Vec::new(), false),
    };
    let keep = |r: &Value| {
        let managed = !(wanted.managed_only
            && kind == InputKind::TerraformPlan
            && r.get("mode").and_then(Value::as_str) == Some("data"));
        let typed = wanted.types.is_none_or(|types| {
            r.get(type_key(kind))
                .and_then(Value::as_str)
                .is_some_and(|t| types.contains(t))
        });
        managed && typed
    };
    Selection {
        kind,
        top,
        resources: all.into_iter().filter(|(_, r)| keep(r)).collect(),
        usual_shape,
    }
}

impl<'a> Selection<'a> {
    /// The top-level members other than the resource collection.
    pub(crate) fn rest(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + '_ {
        let key = collection_key(self.kind);
        self.top.iter().filter(move |(k, _)| k.as_str() != key)
    }

    /// The wanted resources in chunks of at most `len` (none when there is no resource).
    pub(crate) fn chunks(&self, len: usize) -> std::slice::Chunks<'_, Resource<'a>> {
        self.resources.chunks(len.max(1))
    }
}

/// How the pointers of a document holding `resources` (in this order) map back to the input.
pub(crate) fn chunk_map(resources: &[Resource<'_>]) -> ChunkMap {
    let index: Vec<usize> = resources
        .iter()
        .filter_map(|(m, _)| match m {
            Member::Index(i) => Some(*i),
            Member::Key(_) => None,
        })
        .collect();
    if index.is_empty() {
        ChunkMap::Same
    } else {
        ChunkMap::Resources(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_are_filtered_by_type_and_mode() {
        let doc = json!({"format_version": "1.2", "resources": [
            {"type": "aws_vpc"}, {"type": "aws_s3_bucket"}, {"type": "aws_vpc", "mode": "data"}]});
        let types: BTreeSet<String> = ["aws_vpc".to_string()].into();
        let wanted = |managed_only| Wanted {
            types: Some(&types),
            managed_only,
        };
        let all = select(InputKind::TerraformPlan, &doc, wanted(false));
        assert_eq!(chunk_map(&all.resources), ChunkMap::Resources(vec![0, 2]));
        let managed = select(InputKind::TerraformPlan, &doc, wanted(true));
        assert_eq!(chunk_map(&managed.resources), ChunkMap::Resources(vec![0]));
        assert_eq!(
            managed.rest().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["format_version"]
        );
        let odd = json!({"Resources": []});
        let odd = select(
            InputKind::CloudFormation,
            &odd,
            Wanted {
                types: None,
                managed_only: false,
            },
        );
        assert!(!odd.usual_shape && odd.resources.is_empty());
    }
}

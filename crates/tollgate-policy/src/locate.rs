//! Turning the pointers rules return into places in the file, in one place.
//!
//! Engines return pointers into the document they evaluated. When that document was a chunk
//! of the input (some of a plan's `resources`), [`ChunkMap`] maps them back to the input;
//! [`locate`] then maps a pointer into a policy input to the file (through the template
//! crate's lookup primitive `Loaded::locate`: a template variant's own index, or the plan
//! pointer of `PlanInput::plan_pointer`), falling back to the nearest existing parent;
//! [`locate_finding`] adds related locations and the resource type, read from the variant the
//! finding came from.

use serde_json::Value;
use tollgate_template::pointer::{self, Pointer, PointerBuf};
use tollgate_template::{InputKind, Loaded, Location, Related, Span};

use crate::finding::{Finding, RawFinding};

/// How the pointers of a chunk map back to the input it was cut from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ChunkMap {
    /// The chunk addresses members as the input does (CloudFormation logical ids, or the
    /// whole document).
    #[default]
    Same,
    /// A Terraform chunk: its `resources[j]` is the input's `resources[index[j]]`.
    Resources(Vec<usize>),
}

impl ChunkMap {
    /// `/resources/<j>...` of a Terraform chunk → `/resources/<index[j]>...` of the input;
    /// other pointers are the same in both.
    pub(crate) fn to_input(&self, pointer: &mut PointerBuf) {
        let ChunkMap::Resources(index) = self else {
            return;
        };
        let Some((j, tail)) = pointer::plan_resource(pointer) else {
            return;
        };
        if let Some(&i) = index.get(j) {
            let mut mapped = PointerBuf::from_tokens([pointer::PLAN_RESOURCES]);
            mapped.push_back(i);
            mapped.append(tail);
            *pointer = mapped;
        }
    }

    /// Maps a rule's finding (its pointer and related pointers) back to the input.
    pub(crate) fn finding_to_input(&self, finding: &mut RawFinding) {
        if *self == ChunkMap::Same {
            return;
        }
        self.to_input(&mut finding.pointer);
        for r in &mut finding.related {
            self.to_input(&mut r.pointer);
        }
    }
}

/// The span a finding points at: the key if there is one (a resource's logical id), else
/// the value.
fn target(location: &Location) -> Span {
    location.key.unwrap_or(location.span)
}

/// The location of `pointer`, or of its nearest existing parent when a policy names a value
/// that is not there (a missing property): a finding always has a place to point at.
pub fn locate(loaded: &Loaded, input: usize, pointer: &Pointer) -> Option<Location> {
    let mut p = pointer;
    loop {
        if let Some(l) = loaded.locate(input, p) {
            return Some(l);
        }
        p = p.parent()?;
    }
}

/// A rule's finding on `loaded.inputs[input]`, located in the file.
pub fn locate_finding(loaded: &Loaded, input: usize, raw: RawFinding) -> Finding {
    let location = locate(loaded, input, &raw.pointer);
    let span = location.as_ref().map(target).unwrap_or_default();
    let mut related = location.map(|l| l.related).unwrap_or_default();
    for r in &raw.related {
        if let Some(l) = locate(loaded, input, &r.pointer) {
            related.push(Related {
                span: target(&l),
                message: r.message.clone(),
            });
        }
    }
    let resource_type = loaded
        .inputs
        .get(input)
        .and_then(|i| resource_type(loaded.kind, i.value(), &raw.resource, &raw.pointer));
    Finding {
        rule: raw.rule,
        resource: raw.resource,
        resource_type,
        pointer: raw.pointer,
        message: raw.message,
        span,
        related,
    }
}

/// The CloudFormation `Type` or Terraform `type` of `resource` in the policy input it was
/// found in.
fn resource_type(
    kind: InputKind,
    input: &Value,
    resource: &str,
    pointer: &Pointer,
) -> Option<String> {
    let t = match kind {
        InputKind::CloudFormation => input.get("Resources")?.get(resource)?.get("Type"),
        InputKind::TerraformPlan => {
            let resources = input.get("resources")?.as_array()?;
            let is_it = |r: &&Value| r.get("address").and_then(Value::as_str) == Some(resource);
            // The pointer names the resource's index: no scan of a 20,000-resource plan.
            let by_index = pointer::plan_resource(pointer)
                .and_then(|(i, _)| resources.get(i))
                .filter(is_it);
            by_index
                .or_else(|| resources.iter().find(is_it))?
                .get("type")
        }
    };
    t.and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn terraform_chunk_pointers_map_back() {
        let map = ChunkMap::Resources(vec![7, 3]);
        let mapped = |p: &str| {
            let mut p = PointerBuf::parse(p).unwrap_or_default();
            map.to_input(&mut p);
            p.to_string()
        };
        assert_eq!(mapped("/resources/1/after/x"), "/resources/3/after/x");
        assert_eq!(mapped("/resources/0"), "/resources/7");
        assert_eq!(mapped("/resources/9"), "/resources/9");
        assert_eq!(mapped("/format_version"), "/format_version");
        assert_eq!(mapped("/resources/1/x~1y"), "/resources/3/x~1y");
        let mut same = PointerBuf::from_tokens(["resources", "1"]);
        ChunkMap::Same.to_input(&mut same);
        assert_eq!(same, "/resources/1");
    }

    #[test]
    fn resource_types_come_from_the_input() {
        let cfn = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}, "a/b": {"Type": "T"}}});
        let t = |r: &str| resource_type(InputKind::CloudFormation, &cfn, r, Pointer::root());
        assert_eq!(t("B").as_deref(), Some("AWS::S3::Bucket"));
        assert_eq!(t("a/b").as_deref(), Some("T"));
        assert_eq!(t("missing"), None);
        let tf = json!({"resources": [{"address": "a.x", "type": "a"}, {"address": "b.y", "type": "b"}]});
        let t = |r: &str, p: &'static str| {
            resource_type(InputKind::TerraformPlan, &tf, r, Pointer::from_static(p))
        };
        assert_eq!(t("b.y", "/resources/1/after").as_deref(), Some("b"));
        assert_eq!(t("b.y", "/resources/0/after").as_deref(), Some("b"));
        assert_eq!(t("c.z", ""), None);
    }

    /// Reports every resource of every input it is given.
    struct EveryResource;

    impl crate::Engine for EveryResource {
        fn evaluate(
            &self,
            _kind: InputKind,
            input: &Value,
            _options: &Value,
        ) -> (Vec<RawFinding>, Vec<crate::EvalError>) {
            let ids = input.get("Resources").and_then(Value::as_object);
            let findings = ids
                .into_iter()
                .flat_map(|m| m.keys())
                .map(|id| RawFinding {
                    rule: "every".into(),
                    resource: id.clone(),
                    pointer: PointerBuf::from_tokens(["Resources", id.as_str()]),
                    message: "m".into(),
                    related: Vec::new(),
                })
                .collect();
            (findings, Vec::new())
        }
    }

    /// A resource that exists only in the second variant still gets its type.
    #[test]
    fn the_type_comes_from_the_variant_the_finding_came_from() {
        let text = "Parameters:\n  Env:\n    Type: String\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  NotProd: !Not [!Condition IsProd]\nResources:\n  Prod:\n    Type: AWS::S3::Bucket\n    Condition: IsProd\n  Dev:\n    Type: AWS::SQS::Queue\n    Condition: NotProd\n";
        let loaded = match tollgate_template::load(
            "t.yaml",
            text.as_bytes(),
            &tollgate_template::LoadOptions::default(),
        ) {
            Ok(tollgate_template::Outcome::Loaded(l)) => l,
            other => panic!("{other:?}"),
        };
        assert_eq!(loaded.inputs.len(), 2);
        assert!(loaded.inputs[0].value()["Resources"].get("Dev").is_none());
        let (findings, _) = crate::check(&EveryResource, &loaded, &json!({}));
        let types: Vec<_> = findings
            .iter()
            .map(|f| (f.resource.as_str(), f.resource_type.as_deref()))
            .collect();
        assert_eq!(
            types,
            [
                ("Prod", Some("AWS::S3::Bucket")),
                ("Dev", Some("AWS::SQS::Queue"))
            ]
        );
    }
}

//! Terraform plans (`terraform show -json`): the resource list the policies receive, and the
//! mapping of its pointers back to the plan file. The configuration's references between
//! resources are worked out in `references`.

use crate::error::{ErrorKind, LoadError};
use crate::index::{Found, Indexed};
use crate::pointer::{self, Pointer, PointerBuf};
use crate::source::SourceFile;
use crate::value::json_type;
use crate::Limits;
use references::{config_address, config_references};
use serde_json::{Map, Value};

mod references;

/// Plan format versions this loader understands: 0.x (Terraform 0.12–0.15) and 1.x.
fn known_format(v: &str) -> bool {
    matches!(v.split('.').next(), Some("0" | "1"))
}

/// The policies' view of a plan, and where each entry came from.
#[derive(Debug)]
pub struct PlanInput {
    pub value: Value,
    /// `resources[i]` came from `resource_changes[origin[i]]`.
    pub origin: Vec<usize>,
    /// `resources[i].after` was moved out of the plan document (not copied): its node index
    /// there, to look inside it with [`Indexed::find_from`].
    pub after_nodes: Vec<usize>,
    /// The node index of `resource_changes[origin[i]]` in the plan document: pointers into a
    /// resource change are found without walking the (maybe very long) list again.
    pub change_nodes: Vec<usize>,
}

/// The plan's list of resource changes.
const RESOURCE_CHANGES: &Pointer = Pointer::from_static("/resource_changes");
/// A resource change's planned state, relative to the change.
const CHANGE_AFTER: &Pointer = Pointer::from_static("/change/after");
const FORMAT_VERSION: &Pointer = Pointer::from_static("/format_version");

impl PlanInput {
    /// Finds a pointer into the plan as written (`/resource_changes/3/change/after/…`),
    /// including inside the planned states that were moved into the policy input.
    pub fn find_in_plan<'a>(&'a self, plan: &'a Indexed, pointer: &Pointer) -> Option<Found<'a>> {
        let change = pointer
            .split_front()
            .filter(|(first, _)| first.decoded() == "resource_changes")
            .and_then(|(_, rest)| rest.split_front());
        if let Some((k, tail)) = change {
            let k: usize = k.decoded().parse().ok()?;
            if let Ok(i) = self.origin.binary_search(&k) {
                if let Some(after_rest) = below(tail, &["change", "after"]) {
                    let after = self.value.get("resources")?.get(i)?.get("after")?;
                    return plan.find_from(after, *self.after_nodes.get(i)?, after_rest);
                }
                let change = plan.value.get("resource_changes")?.get(k)?;
                return plan.find_from(change, *self.change_nodes.get(i)?, tail);
            }
        }
        plan.find(pointer)
    }

    /// Maps a pointer into the resource list to a pointer into the plan file.
    pub fn plan_pointer(&self, pointer: &Pointer) -> Option<PointerBuf> {
        let (i, tail) = pointer::plan_resource(pointer)?;
        let mut out = RESOURCE_CHANGES.with_trailing_token(*self.origin.get(i)?);
        let Some((field, deeper)) = tail.split_front() else {
            return Some(out);
        };
        match field.decoded().as_ref() {
            "after" | "after_unknown" | "actions" => {
                out.push_back("change");
                out.push_back(field);
            }
            "address" | "type" | "name" | "index" | "mode" | "module_address" => {
                out.push_back(field);
            }
            // Fields of the policy input alone (`references`, `config_address`): the change.
            _ => {}
        }
        out.append(deeper);
        Some(out)
    }
}

/// What follows `tokens` at the start of `pointer`, if it starts with them.
fn below<'p>(mut pointer: &'p Pointer, tokens: &[&str]) -> Option<&'p Pointer> {
    for expected in tokens {
        let (token, rest) = pointer.split_front()?;
        if token.decoded() != *expected {
            return None;
        }
        pointer = rest;
    }
    Some(pointer)
}

/// Builds the resource list (see `docs/input-documents.md`).
pub fn build(
    src: &SourceFile,
    plan: &mut Indexed,
    limits: &Limits,
    changed_only: bool,
) -> Result<PlanInput, LoadError> {
    let root = plan.value.as_object().ok_or_else(|| {
        LoadError::file(ErrorKind::PlanShape, &src.name, "plan is not a JSON object")
    })?;
    // Errors point at the member's key (`"resource_changes"`), or at the start of the value:
    // not at the whole value, which may be most of a 100 MB file.
    let at = |pointer: &Pointer, kind: ErrorKind, msg: String| match plan.find(pointer) {
        Some(f) => {
            let start = f.info.span.start as usize;
            let span = f.info.key.unwrap_or(crate::Span::new(start, start + 1));
            LoadError::at(kind, src, span, msg, "here")
        }
        None => LoadError::file(kind, &src.name, msg),
    };
    let version = match root.get("format_version") {
        Some(Value::String(v)) => v.as_str(),
        other => {
            let found = match other {
                Some(Value::Number(n)) => format!("the number {n}"),
                Some(v) => format!("{v}"),
                None => "nothing".into(),
            };
            return Err(at(
                FORMAT_VERSION,
                ErrorKind::UnknownPlanVersion,
                format!("plan format_version must be a string such as \"1.2\", not {found}"),
            )
            .with_help("is this the output of `terraform show -json`?"));
        }
    };
    if !known_format(version) {
        return Err(at(
            FORMAT_VERSION,
            ErrorKind::UnknownPlanVersion,
            format!(
                "plan format_version \"{version}\" is not supported (tollgate reads 0.x and 1.x)"
            ),
        )
        .with_help("tollgate reads plans of Terraform 0.12 and later (format 0.x and 1.x); a newer format needs a newer tollgate"));
    }
    let changes = match root.get("resource_changes") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            return Err(at(
                RESOURCE_CHANGES,
                ErrorKind::PlanShape,
                format!("resource_changes must be a list, not {}", json_type(other)),
            )
            .with_help("is this the output of `terraform show -json`?"))
        }
    };
    if changes.len() > limits.max_resources {
        return Err(at(
            RESOURCE_CHANGES,
            ErrorKind::TooManyResources,
            format!(
                "{} resource changes, more than the resource limit of {}",
                changes.len(),
                limits.max_resources
            ),
        )
        .with_help("raise the limit with --max-resources"));
    }
    let changes_len = changes.len();
    // Linking is bounded by the size of the file: a hostile configuration cannot make it
    // quadratic.
    let budget = src.text.len().saturating_add(1 << 16);
    let references = config_references(root.get("configuration"), budget);
    let mut resources = Vec::with_capacity(changes.len());
    let mut origin = Vec::with_capacity(changes.len());
    for (k, rc) in changes.iter().enumerate() {
        let Some(rc) = rc.as_object() else {
            return Err(at(
                &RESOURCE_CHANGES.with_trailing_token(k),
                ErrorKind::PlanShape,
                format!("a resource change must be an object, not {}", json_type(rc)),
            ));
        };
        let change = rc.get("change").and_then(Value::as_object);
        let after = change.and_then(|c| c.get("after")).unwrap_or(&Value::Null);
        if after.is_null() {
            continue; // deleted: no planned state to check
        }
        let actions: Vec<Value> = change
            .and_then(|c| c.get("actions"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let is_noop = actions.iter().all(|a| a == "no-op" || a == "read");
        if changed_only && is_noop {
            continue;
        }
        let address = rc.get("address").and_then(Value::as_str).unwrap_or("");
        let module = rc.get("module_address").and_then(Value::as_str);
        let rtype = rc.get("type").and_then(Value::as_str).unwrap_or("");
        let name = rc.get("name").and_then(Value::as_str).unwrap_or("");
        let mode = rc.get("mode").and_then(Value::as_str).unwrap_or("managed");
        let config_address = config_address(module, mode, rtype, name);
        let refs = references.get(&config_address).cloned().unwrap_or_default();
        // Built member by member: `json!` would serialize (copy) every value given to it.
        let text = |s: &str| Value::String(s.to_string());
        let mut entry = Map::with_capacity(11);
        entry.insert("address".into(), text(address));
        entry.insert("config_address".into(), Value::String(config_address));
        entry.insert("module_address".into(), module.map_or(Value::Null, text));
        entry.insert("mode".into(), text(mode));
        entry.insert("type".into(), text(rtype));
        entry.insert("name".into(), text(name));
        entry.insert(
            "index".into(),
            rc.get("index").cloned().unwrap_or(Value::Null),
        );
        entry.insert("actions".into(), Value::Array(actions));
        entry.insert("after".into(), Value::Null); // moved in below, not copied
        entry.insert(
            "after_unknown".into(),
            change
                .and_then(|c| c.get("after_unknown"))
                .cloned()
                .unwrap_or(Value::Null),
        );
        entry.insert("references".into(), Value::Object(refs));
        resources.push(Value::Object(entry));
        origin.push(k);
    }
    let version = version.to_string();
    let terraform_version = root
        .get("terraform_version")
        .cloned()
        .unwrap_or(Value::Null);
    // The node of every resource change, in one walk of the list (not one walk per change:
    // that is quadratic on plans of 100,000 resources).
    let mut node_of_change = Vec::with_capacity(changes_len);
    if let Some(list) = plan.find(RESOURCE_CHANGES) {
        node_of_change.extend(plan.children(list.idx, list.value).map(|c| c.idx));
    }
    // The planned states are the bulk of a plan: move them into the policy input.
    let mut after_nodes = Vec::with_capacity(origin.len());
    let mut change_nodes = Vec::with_capacity(origin.len());
    for (resource, k) in resources.iter_mut().zip(&origin) {
        let change_node = node_of_change.get(*k).copied().unwrap_or(usize::MAX);
        let after_node = plan
            .value
            .get("resource_changes")
            .and_then(|l| l.get(*k))
            .and_then(|rc| plan.find_from(rc, change_node, CHANGE_AFTER))
            .map_or(usize::MAX, |f| f.idx);
        let after = plan
            .value
            .get_mut("resource_changes")
            .and_then(|l| l.get_mut(*k))
            .and_then(|rc| rc.get_mut("change"))
            .and_then(|c| c.get_mut("after"))
            .map(std::mem::take)
            .unwrap_or(Value::Null);
        resource["after"] = after;
        after_nodes.push(after_node);
        change_nodes.push(change_node);
    }
    let mut value = Map::with_capacity(3);
    value.insert("format_version".into(), Value::String(version));
    value.insert("terraform_version".into(), terraform_version);
    value.insert("resources".into(), Value::Array(resources));
    let value = Value::Object(value);
    Ok(PlanInput {
        value,
        origin,
        after_nodes,
        change_nodes,
    })
}

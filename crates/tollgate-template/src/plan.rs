//! Terraform plans (`terraform show -json`): the resource list the policies receive, and the
//! mapping of its pointers back to the plan file.

use crate::error::{ErrorKind, LoadError};
use crate::index::{Found, Indexed};
use crate::source::SourceFile;
use crate::value::json_type;
use crate::Limits;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

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

impl PlanInput {
    /// Finds a pointer into the plan as written (`/resource_changes/3/change/after/…`),
    /// including inside the planned states that were moved into the policy input.
    pub fn find_in_plan<'a>(&'a self, plan: &'a Indexed, pointer: &str) -> Option<Found<'a>> {
        if let Some(rest) = pointer.strip_prefix("/resource_changes/") {
            let (k, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let k: usize = k.parse().ok()?;
            if let Ok(i) = self.origin.binary_search(&k) {
                if let Some(after_rest) = tail
                    .strip_prefix("change/after")
                    .filter(|r| r.is_empty() || r.starts_with('/'))
                {
                    let after = self.value.get("resources")?.get(i)?.get("after")?;
                    return plan.find_from(after, *self.after_nodes.get(i)?, after_rest);
                }
                let change = plan.value.get("resource_changes")?.get(k)?;
                let within = if tail.is_empty() {
                    String::new()
                } else {
                    format!("/{tail}")
                };
                return plan.find_from(change, *self.change_nodes.get(i)?, &within);
            }
        }
        plan.find(pointer)
    }

    /// Maps a pointer into the resource list to a pointer into the plan file.
    pub fn plan_pointer(&self, pointer: &str) -> Option<String> {
        let rest = pointer.strip_prefix("/resources/")?;
        let (i, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let k = *self.origin.get(i.parse::<usize>().ok()?)?;
        if tail.is_empty() {
            return Some(format!("/resource_changes/{k}"));
        }
        let (field, deeper) = tail
            .split_once('/')
            .map(|(f, d)| (f, Some(d)))
            .unwrap_or((tail, None));
        let base = match field {
            "after" => format!("/resource_changes/{k}/change/after"),
            "after_unknown" => format!("/resource_changes/{k}/change/after_unknown"),
            "actions" => format!("/resource_changes/{k}/change/actions"),
            "address" | "type" | "name" | "index" | "mode" | "module_address" => {
                format!("/resource_changes/{k}/{field}")
            }
            _ => format!("/resource_changes/{k}"),
        };
        Some(match deeper {
            Some(d) => format!("{base}/{d}"),
            None => base,
        })
    }
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
    let at = |pointer: &str, kind: ErrorKind, msg: String| match plan.find(pointer) {
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
                "/format_version",
                ErrorKind::UnknownPlanVersion,
                format!("plan format_version must be a string such as \"1.2\", not {found}"),
            )
            .with_help("is this the output of `terraform show -json`?"));
        }
    };
    if !known_format(version) {
        return Err(at(
            "/format_version",
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
                "/resource_changes",
                ErrorKind::PlanShape,
                format!("resource_changes must be a list, not {}", json_type(other)),
            )
            .with_help("is this the output of `terraform show -json`?"))
        }
    };
    if changes.len() > limits.max_resources {
        return Err(at(
            "/resource_changes",
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
                &format!("/resource_changes/{k}"),
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
    if let Some(list) = plan.find("/resource_changes") {
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
            .and_then(|rc| plan.find_from(rc, change_node, "/change/after"))
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

/// `module.a.module.b` (instance keys removed) + `aws_x.name` (data sources: `data.aws_x.name`).
fn config_address(module: Option<&str>, mode: &str, rtype: &str, name: &str) -> String {
    let local = if mode == "data" {
        format!("data.{rtype}.{name}")
    } else {
        format!("{rtype}.{name}")
    };
    match module {
        Some(m) if !m.is_empty() => format!("{}.{local}", strip_keys(m)),
        _ => local,
    }
}

/// `module.a["x"].module.b[0]` → `module.a.module.b`.
fn strip_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_str = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => in_str = !in_str,
            '[' if !in_str => depth += 1,
            ']' if !in_str => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// For every resource in the configuration: attribute → config addresses it refers to, module
/// inputs and outputs followed (see [`Resolver`]).
fn config_references(
    configuration: Option<&Value>,
    budget: usize,
) -> BTreeMap<String, Map<String, Value>> {
    let mut out = BTreeMap::new();
    let Some(root) = configuration.and_then(|c| c.get("root_module")) else {
        return out;
    };
    let mut modules = HashMap::new();
    index_modules(root, String::new(), None, &mut modules, 0);
    let mut resolver = Resolver {
        modules,
        memo: HashMap::new(),
        in_progress: HashSet::new(),
        budget,
        cuts: 0,
    };
    // Sorted, so that which resources keep their links when a hostile plan exhausts the budget
    // does not depend on hashing.
    let mut prefixes: Vec<&String> = resolver.modules.keys().collect();
    prefixes.sort();
    let prefixes: Vec<String> = prefixes.into_iter().cloned().collect();
    for prefix in &prefixes {
        let Some(module) = resolver.modules.get(prefix).map(|m| m.value) else {
            continue;
        };
        for res in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(address) = res.get("address").and_then(Value::as_str) else {
                continue;
            };
            let mut attrs = Map::new();
            if let Some(exprs) = res.get("expressions").and_then(Value::as_object) {
                for (attr, expr) in exprs {
                    let mut targets = Vec::new();
                    resolver.expression(expr, prefix, &mut targets, 0, 0);
                    if !targets.is_empty() {
                        targets.sort();
                        targets.dedup();
                        attrs.insert(
                            attr.clone(),
                            Value::Array(targets.into_iter().map(Value::String).collect()),
                        );
                    }
                }
            }
            out.insert(format!("{prefix}{address}"), attrs);
        }
    }
    out
}

/// Modules deeper than this are not read (nor are their resources linked).
const MAX_MODULE_DEPTH: usize = 64;
/// Expressions nested deeper than this are not searched for references.
const MAX_EXPRESSION_DEPTH: usize = 32;
/// Chains of module inputs and outputs longer than this are cut: valid Terraform alternates
/// between a module and its parent or child, and a chain this long means a hostile plan.
const MAX_CHAIN: usize = 256;

/// A module of the configuration: its object, and the module that calls it.
struct ModuleNode<'a> {
    value: &'a Value,
    /// The caller's prefix (`""` for the root) and the call's name.
    parent: Option<(String, &'a str)>,
}

/// Every module of the configuration by prefix: `""` (root), `module.a.`, `module.a.module.b.`.
fn index_modules<'a>(
    module: &'a Value,
    prefix: String,
    parent: Option<(String, &'a str)>,
    out: &mut HashMap<String, ModuleNode<'a>>,
    depth: usize,
) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    for (name, call) in module
        .get("module_calls")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(child) = call.get("module") {
            let child_prefix = format!("{prefix}module.{name}.");
            index_modules(
                child,
                child_prefix,
                Some((prefix.clone(), name.as_str())),
                out,
                depth + 1,
            );
        }
    }
    out.insert(
        prefix,
        ModuleNode {
            value: module,
            parent,
        },
    );
}

/// A name that a module exposes to the module next to it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Port {
    /// `var.x` inside the module: the calling module's argument expression.
    Input,
    /// `module.m.x` in the caller: the output's expression inside the module.
    Output,
    /// `module.m` alone (`module.m[each.key].x`, or the whole module passed on): every output.
    AllOutputs,
}

/// Turns configuration references into resource config addresses, following module inputs
/// (`var.x` → `module_calls.<m>.expressions.x`) and outputs (`module.m.out` →
/// `module_calls.<m>.module.outputs.out.expression`) through any depth of modules.
///
/// Each (module, port, name) is resolved once and remembered, so the work is linear in the size
/// of the configuration. A hostile plan cannot make it loop or grow: a port met again while it
/// is being resolved (a cycle, which valid Terraform cannot have) adds nothing there, chains are
/// cut at [`MAX_CHAIN`], a result that a cut may have shortened is not remembered (so resolving
/// it again from elsewhere finds the rest), and past `budget` references read and addresses
/// copied in all, nothing more is followed.
struct Resolver<'a> {
    modules: HashMap<String, ModuleNode<'a>>,
    memo: HashMap<(String, Port, String), Vec<String>>,
    in_progress: HashSet<(String, Port, String)>,
    /// References read and addresses copied from the memo, at most (with `budget` left).
    budget: usize,
    /// Ports not followed because of a cycle or the chain bound, so far.
    cuts: usize,
}

impl<'a> Resolver<'a> {
    /// Every `references` list below an expression (nested blocks included), resolved in the
    /// module at `prefix`.
    fn expression(
        &mut self,
        expr: &'a Value,
        prefix: &str,
        out: &mut Vec<String>,
        depth: usize,
        chain: usize,
    ) {
        if depth > MAX_EXPRESSION_DEPTH {
            return;
        }
        match expr {
            Value::Object(m) => {
                if let Some(Value::Array(refs)) = m.get("references") {
                    self.references(refs, prefix, out, chain);
                }
                for (k, v) in m {
                    if k != "references" {
                        self.expression(v, prefix, out, depth + 1, chain);
                    }
                }
            }
            Value::Array(a) => {
                for v in a {
                    self.expression(v, prefix, out, depth + 1, chain);
                }
            }
            _ => {}
        }
    }

    /// One `references` list. Terraform lists `module.m.out` with `module.m` beside it; the
    /// whole module counts only when no output of it is named.
    fn references(&mut self, refs: &'a [Value], prefix: &str, out: &mut Vec<String>, chain: usize) {
        let stripped: Vec<String> = refs
            .iter()
            .filter_map(Value::as_str)
            .map(strip_keys)
            .collect();
        // The module calls whose outputs the list names (a set: the list may be long).
        let named: HashSet<&str> = stripped
            .iter()
            .filter_map(|r| match r.split('.').collect::<Vec<_>>().as_slice() {
                ["module", call, _, ..] => Some(*call),
                _ => None,
            })
            .collect();
        for r in &stripped {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let mut parts = r.split('.');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("var"), Some(name), _) => {
                    self.port(prefix, Port::Input, name, out, chain);
                }
                (Some("module"), Some(call), Some(output)) => {
                    let child = format!("{prefix}module.{call}.");
                    self.port(&child, Port::Output, output, out, chain);
                }
                (Some("module"), Some(call), None) => {
                    if !named.contains(call) {
                        let child = format!("{prefix}module.{call}.");
                        self.port(&child, Port::AllOutputs, "", out, chain);
                    }
                }
                _ => {
                    if let Some(a) = resource_of_reference(r) {
                        out.push(format!("{prefix}{a}"));
                    }
                }
            }
        }
    }

    /// The resources behind a module's input or output, remembered per (module, port, name).
    fn port(&mut self, module: &str, port: Port, name: &str, out: &mut Vec<String>, chain: usize) {
        let key = (module.to_string(), port, name.to_string());
        if let Some(found) = self.memo.get(&key) {
            let n = found.len().min(self.budget);
            out.extend(found.iter().take(n).cloned());
            self.budget -= n;
            return;
        }
        if chain >= MAX_CHAIN || !self.in_progress.insert(key.clone()) {
            self.cuts += 1;
            return;
        }
        let cuts = self.cuts;
        let mut found = Vec::new();
        match port {
            Port::Input => {
                let call = self.modules.get(module).and_then(|m| m.parent.clone());
                if let Some((parent, call)) = call {
                    let expr = self
                        .modules
                        .get(&parent)
                        .and_then(|p| p.value.get("module_calls"))
                        .and_then(|c| c.get(call))
                        .and_then(|c| c.get("expressions"))
                        .and_then(|e| e.get(name));
                    if let Some(expr) = expr {
                        self.expression(expr, &parent, &mut found, 0, chain + 1);
                    }
                }
            }
            Port::Output | Port::AllOutputs => {
                let outputs = self
                    .modules
                    .get(module)
                    .and_then(|m| m.value.get("outputs"))
                    .and_then(Value::as_object);
                for (out_name, output) in outputs.into_iter().flatten() {
                    if port == Port::AllOutputs || out_name == name {
                        if let Some(expr) = output.get("expression") {
                            self.expression(expr, module, &mut found, 0, chain + 1);
                        }
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        self.in_progress.remove(&key);
        out.extend(found.iter().cloned());
        // What a cut left out would be missing from the memo for good: remembered only when
        // nothing was cut on the way (always, in valid Terraform).
        if self.cuts == cuts {
            self.memo.insert(key, found);
        }
    }
}

fn resource_of_reference(r: &str) -> Option<String> {
    let base = strip_keys(r);
    let parts: Vec<&str> = base.split('.').collect();
    match parts.as_slice() {
        ["var" | "local" | "module" | "each" | "count" | "path" | "terraform" | "self", ..] => None,
        ["data", t, n, ..] => Some(format!("data.{t}.{n}")),
        [t, n, ..] if t.contains('_') => Some(format!("{t}.{n}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_become_config_addresses() {
        assert_eq!(
            resource_of_reference("aws_s3_bucket.b.id").as_deref(),
            Some("aws_s3_bucket.b")
        );
        assert_eq!(
            resource_of_reference("aws_s3_bucket.b").as_deref(),
            Some("aws_s3_bucket.b")
        );
        assert_eq!(
            resource_of_reference("aws_vpc.v[0].id").as_deref(),
            Some("aws_vpc.v")
        );
        assert_eq!(resource_of_reference("var.x"), None);
        assert_eq!(resource_of_reference("module.m.out"), None);
    }

    #[test]
    fn instance_keys_are_stripped() {
        assert_eq!(
            strip_keys("module.a[\"x.]\"].module.b[0]"),
            "module.a.module.b"
        );
    }
}

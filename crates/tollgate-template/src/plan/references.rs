//! The configuration's references (`terraform show -json`'s `configuration` section): for
//! every resource, attribute → the config addresses of the resources it refers to, with module
//! inputs and outputs followed through any depth of modules, bounded for hostile plans.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// `module.a.module.b` (instance keys removed) + `aws_x.name` (data sources: `data.aws_x.name`).
pub(super) fn config_address(module: Option<&str>, mode: &str, rtype: &str, name: &str) -> String {
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
pub(super) fn config_references(
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

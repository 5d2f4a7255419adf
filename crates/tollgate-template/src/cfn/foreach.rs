//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform): a pre-pass that replaces every loop
//! by its expansion, as CloudFormation does, before the template is resolved.
//!
//! A loop is a mapping member `Fn::ForEach::<LoopName>: [Identifier, Collection, {OutputKey:
//! OutputValue, …}]`, allowed in `Conditions`, `Resources` (resource properties included) and
//! `Outputs`, nested in any mapping there. For each item of the collection its members are put
//! in place of the loop, with, in the keys, `${Identifier}` replaced by the item and
//! `&{Identifier}` by the item without its non-alphanumeric characters; in the values, `Ref:
//! Identifier` replaced by the item and `${Identifier}` / `&{Identifier}` replaced in `Fn::Sub`
//! strings (a `Fn::Sub` left without variables becomes its string, so `Ref: !Sub
//! 'Subnet${Name}'` becomes `Ref: SubnetA`). Nothing else is replaced: a plain string that
//! contains `${Identifier}` stays as written, as in CloudFormation.
//!
//! Every node of the expansion points at the node of the loop body it came from (a generated
//! key at the output-key template, a replaced `Ref` at the `Ref`), so findings in an expanded
//! resource land on the lines of the body. The expanded document is what the resolver reads;
//! the document as written ([`crate::Loaded::document`]) is not changed.
//!
//! A collection that cannot be decided before deployment (a `Ref` to a parameter without a
//! value, a `Fn::GetAtt`, …) gives a warning ([`ErrorKind::ForEachUndecided`]) and the body is
//! expanded once with the identifier unknown: keys keep `${Identifier}` as written, and `Ref:
//! Identifier` is left for the resolver, which treats it as a parameter without a value.

mod collection;

use super::as_intrinsic;
use crate::error::{ErrorKind, LoadError};
use crate::index::{IndexBuilder, Indexed};
use crate::source::{SourceFile, Span};
use crate::value::single;
use crate::Limits;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The start of every loop key.
pub const PREFIX: &str = "Fn::ForEach::";

/// The sections in which CloudFormation expands loops.
const SECTIONS: [&str; 3] = ["Conditions", "Resources", "Outputs"];

/// A template with its loops expanded.
#[derive(Debug)]
pub struct Expansion {
    /// The template with every loop replaced by its expansion; its index points into the
    /// template as written.
    pub doc: Indexed,
    /// One [`ErrorKind::ForEachUndecided`] per loop whose collection cannot be decided.
    pub warnings: Vec<LoadError>,
    /// The identifiers of those loops: unknown values inside their bodies.
    pub unknown_identifiers: BTreeSet<String>,
}

/// Expands the `Fn::ForEach` loops of `template`. `None` when it has none (nothing to do).
/// Collections that name parameters take the parameter's override, else its `Default`.
pub fn expand(
    src: &SourceFile,
    template: &Indexed,
    overrides: &BTreeMap<String, Value>,
    limits: &Limits,
) -> Result<Option<Expansion>, LoadError> {
    let Some(root) = template.value.as_object() else {
        return Ok(None);
    };
    if !SECTIONS.iter().any(|s| root.get(*s).is_some_and(has_loop)) {
        return Ok(None);
    }
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let empty: &'static Map<String, Value> = EMPTY.get_or_init(Map::new);
    let mut x = Expander {
        src,
        tpl: template,
        params: root
            .get("Parameters")
            .and_then(Value::as_object)
            .unwrap_or(empty),
        mappings: root
            .get("Mappings")
            .and_then(Value::as_object)
            .unwrap_or(empty),
        overrides,
        max_nodes: limits.max_expanded_nodes,
        out: IndexBuilder::with_capacity(template.node_count()),
        warnings: Vec::new(),
        warned: BTreeSet::new(),
        unknown: BTreeSet::new(),
    };
    let slot = x.open(0);
    let mut out = Map::new();
    for section in template.children(0, &template.value) {
        let name = section.key.unwrap_or_default();
        let value = if SECTIONS.contains(&name) {
            x.node(section.idx, section.value, &[])?
        } else {
            x.copy(section.idx, section.value)
        };
        out.insert(name.to_string(), value);
    }
    x.out.close(slot);
    Ok(Some(Expansion {
        doc: Indexed::new(Value::Object(out), x.out),
        warnings: x.warnings,
        unknown_identifiers: x.unknown,
    }))
}

/// Whether a loop key is anywhere below `v`.
fn has_loop(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, c)| k.starts_with(PREFIX) || has_loop(c)),
        Value::Array(a) => a.iter().any(has_loop),
        _ => false,
    }
}

/// One loop variable in scope: its value, or `None` when the collection is undecided.
#[derive(Debug, Clone)]
struct Binding {
    ident: String,
    loop_name: String,
    value: Option<String>,
}

/// The value bound to `name`: `Some(Some(v))` for a known item, `Some(None)` for an undecided
/// one, `None` when `name` is not a loop identifier in scope.
fn lookup<'s>(scope: &'s [Binding], name: &str) -> Option<Option<&'s str>> {
    scope
        .iter()
        .rev()
        .find(|b| b.ident == name)
        .map(|b| b.value.as_deref())
}

/// `${Identifier}` → the item, `&{Identifier}` → the item without non-alphanumeric characters,
/// for every identifier in scope with a known item.
fn replace(text: &str, scope: &[Binding]) -> String {
    if !text.contains("${") && !text.contains("&{") {
        return text.to_string();
    }
    let mut s = text.to_string();
    for b in scope {
        let Some(v) = &b.value else { continue };
        s = s.replace(&format!("${{{}}}", b.ident), v);
        let alnum: String = v.chars().filter(char::is_ascii_alphanumeric).collect();
        s = s.replace(&format!("&{{{}}}", b.ident), &alnum);
    }
    s
}

/// The members of the mapping being built, with where each key was written.
#[derive(Default)]
struct Members {
    map: Map<String, Value>,
    keys: HashMap<String, Span>,
}

struct Expander<'a> {
    src: &'a SourceFile,
    tpl: &'a Indexed,
    params: &'a Map<String, Value>,
    mappings: &'a Map<String, Value>,
    overrides: &'a BTreeMap<String, Value>,
    max_nodes: usize,
    out: IndexBuilder,
    warnings: Vec<LoadError>,
    /// Loops already warned about (a loop inside a loop is met once per outer item).
    warned: BTreeSet<u32>,
    unknown: BTreeSet<String>,
}

impl Expander<'_> {
    fn span(&self, idx: usize) -> Span {
        self.tpl.span(idx)
    }

    fn key_span(&self, idx: usize) -> Span {
        self.tpl.key(idx).unwrap_or_else(|| self.span(idx))
    }

    /// Opens an output node for source node `idx`: its span and key span.
    fn open(&mut self, idx: usize) -> crate::index::Slot {
        self.out.open(self.span(idx), self.tpl.key(idx))
    }

    fn leaf(&mut self, idx: usize) {
        let slot = self.open(idx);
        self.out.close(slot);
    }

    fn shape(&self, at: Span, message: String, label: &str) -> LoadError {
        LoadError::at(ErrorKind::ForEachShape, self.src, at, message, label)
    }

    /// Copies a subtree as written (sections where CloudFormation does not expand loops):
    /// the value cloned once, its index entries in one slice copy.
    fn copy(&mut self, idx: usize, v: &Value) -> Value {
        self.out.copy_subtree(self.tpl, idx, self.tpl.key(idx));
        v.clone()
    }

    /// Emits node `idx` (value `v`) with the loops below it expanded and the identifiers of
    /// `scope` replaced.
    fn node(&mut self, idx: usize, v: &Value, scope: &[Binding]) -> Result<Value, LoadError> {
        if !scope.is_empty() {
            if let Some(done) = self.substituted(idx, v, scope)? {
                return Ok(done);
            }
        }
        match v {
            Value::Object(_) => {
                let slot = self.open(idx);
                let mut members = Members::default();
                self.members(idx, v, scope, &mut members)?;
                self.out.close(slot);
                Ok(Value::Object(members.map))
            }
            Value::Array(a) => {
                let slot = self.open(idx);
                let mut out = Vec::with_capacity(a.len());
                for child in self.tpl.children(idx, v) {
                    out.push(self.node(child.idx, child.value, scope)?);
                }
                self.out.close(slot);
                Ok(Value::Array(out))
            }
            other => {
                self.leaf(idx);
                Ok(other.clone())
            }
        }
    }

    /// `Ref: Identifier` and `Fn::Sub` inside a loop body; `None` for anything else.
    fn substituted(
        &mut self,
        idx: usize,
        v: &Value,
        scope: &[Binding],
    ) -> Result<Option<Value>, LoadError> {
        let Some((f, args)) = as_intrinsic(v) else {
            return Ok(None);
        };
        let args_idx = self.tpl.children(idx, v).next().map_or(idx, |a| a.idx);
        match (f, args) {
            ("Ref", Value::String(name)) => match lookup(scope, name) {
                Some(Some(item)) => {
                    self.leaf(idx);
                    Ok(Some(Value::String(item.to_string())))
                }
                _ => Ok(None),
            },
            // `Ref: !Sub 'Subnet${Name}'` (allowed by the transform): the name is computed.
            ("Ref", Value::Object(_)) => {
                let mark = self.out.mark();
                let slot = self.open(idx);
                let name = self.node(args_idx, args, scope)?;
                self.out.close(slot);
                if let Value::String(n) = &name {
                    if let Some(Some(item)) = lookup(scope, n) {
                        self.out.truncate(mark);
                        self.leaf(idx);
                        return Ok(Some(Value::String(item.to_string())));
                    }
                }
                Ok(Some(single("Ref", name)))
            }
            ("Fn::Sub", Value::String(text)) => {
                let text = replace(text, scope);
                if text.contains("${") {
                    let slot = self.open(idx);
                    self.leaf(args_idx);
                    self.out.close(slot);
                    Ok(Some(single("Fn::Sub", Value::String(text))))
                } else {
                    self.leaf(idx);
                    Ok(Some(Value::String(text)))
                }
            }
            ("Fn::Sub", Value::Array(items)) => {
                let Some(Value::String(text)) = items.first() else {
                    return Ok(None);
                };
                let text = replace(text, scope);
                if !text.contains("${") {
                    self.leaf(idx);
                    return Ok(Some(Value::String(text)));
                }
                let slot = self.open(idx);
                let list = self.open(args_idx);
                let mut rest = self.tpl.children(args_idx, args);
                if let Some(first) = rest.next() {
                    self.leaf(first.idx);
                }
                let mut out = vec![Value::String(text)];
                for item in rest {
                    out.push(self.node(item.idx, item.value, scope)?);
                }
                self.out.close(list);
                self.out.close(slot);
                Ok(Some(single("Fn::Sub", Value::Array(out))))
            }
            _ => Ok(None),
        }
    }

    /// The members of mapping `idx` (value `map`), loops expanded in place, into `out`.
    fn members(
        &mut self,
        idx: usize,
        map: &Value,
        scope: &[Binding],
        out: &mut Members,
    ) -> Result<(), LoadError> {
        for member in self.tpl.children(idx, map) {
            let (c, k, v) = (member.idx, member.key.unwrap_or_default(), member.value);
            if let Some(name) = k.strip_prefix(PREFIX) {
                self.expand_loop(c, name, v, scope, out)?;
            } else {
                let key = if scope.is_empty() {
                    k.to_string()
                } else {
                    replace(k, scope)
                };
                let at = self.key_span(c);
                if let Some(first) = out.keys.get(&key).copied() {
                    let help = "put the loop identifier in the output key \
                                (`Name${Identifier}`), or remove the duplicate item or key";
                    if first == at {
                        return Err(self
                            .shape(
                                at,
                                format!(
                                    "Fn::ForEach generates key {key} twice from this output key \
                                     (two items of the collection give the same key)"
                                ),
                                "generated twice",
                            )
                            .with_help(help));
                    }
                    return Err(self
                        .shape(
                            at,
                            format!(
                                "Fn::ForEach generates key {key}, which the mapping already has"
                            ),
                            "second time here",
                        )
                        .with_related(first, "first time here")
                        .with_help(help));
                }
                let value = self.node(c, v, scope)?;
                out.keys.insert(key.clone(), at);
                out.map.insert(key, value);
            }
        }
        Ok(())
    }

    /// Expands the loop at node `idx` (`Fn::ForEach::<name>: value`) into `out`.
    fn expand_loop(
        &mut self,
        idx: usize,
        name: &str,
        v: &Value,
        scope: &[Binding],
        out: &mut Members,
    ) -> Result<(), LoadError> {
        let at = self.key_span(idx);
        let (ident, collection, body) = match v.as_array().map(Vec::as_slice) {
            Some([Value::String(i), c, b @ Value::Object(_)]) if !i.is_empty() => (i, c, b),
            _ => {
                return Err(self
                    .shape(
                        at,
                        format!(
                        "Fn::ForEach::{name} takes [identifier, collection, {{output key: value}}]"
                    ),
                        "this loop",
                    )
                    .with_help(
                        "e.g. `Fn::ForEach::Buckets: [Name, [a, b], {'Bucket${Name}': {Type: \
                         AWS::S3::Bucket}}]`",
                    ))
            }
        };
        let mut args = self.tpl.children(idx, v).map(|a| a.idx);
        let mut arg = || args.next().unwrap_or(idx);
        let (ident_idx, coll_idx, body_idx) = (arg(), arg(), arg());
        if let Some(outer) = scope.iter().find(|b| b.ident == *ident) {
            return Err(self
                .shape(
                    self.span(ident_idx),
                    format!(
                        "loop {name} uses identifier {ident}, which is already the identifier \
                         of the enclosing loop {}",
                        outer.loop_name
                    ),
                    "identifier in use",
                )
                .with_help("give the inner loop an identifier of its own"));
        }
        let items = self.collection(coll_idx, collection, scope, name)?;
        let mut scope = scope.to_vec();
        scope.push(Binding {
            ident: ident.clone(),
            loop_name: name.to_string(),
            value: None,
        });
        match items {
            Ok(items) => {
                for item in items {
                    if let Some(last) = scope.last_mut() {
                        last.value = Some(item);
                    }
                    self.members(body_idx, body, &scope, out)?;
                    if self.out.mark() > self.max_nodes {
                        return Err(self.too_many_nodes(at, name));
                    }
                }
            }
            Err(reason) => {
                if self.warned.insert(at.start) {
                    self.warnings.push(LoadError::at(
                        ErrorKind::ForEachUndecided,
                        self.src,
                        at,
                        format!(
                            "the collection of loop {name} is not known before deployment \
                             ({reason}): its body is checked once, with {ident} unknown"
                        ),
                        "this loop",
                    ));
                }
                self.unknown.insert(ident.clone());
                self.members(body_idx, body, &scope, out)?;
            }
        }
        Ok(())
    }

    fn too_many_nodes(&self, at: Span, name: &str) -> LoadError {
        LoadError::at(
            ErrorKind::ForEachLimit,
            self.src,
            at,
            format!(
                "expanding loop {name} creates more than {} nodes, the expansion limit",
                self.max_nodes
            ),
            "this loop",
        )
        .with_help(
            "CloudFormation limits a transformed template to 1 MB: check the collections of \
             nested loops",
        )
    }
}

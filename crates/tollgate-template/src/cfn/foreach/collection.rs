//! The collection of a loop: a list written in place, a `Ref` to a list parameter, or a
//! `Fn::FindInMap` entry; its items as text, or why they cannot be known before deployment.

use super::super::{as_intrinsic, parameter_value, ParamValue};
use super::{lookup, replace, Binding, Expander};
use crate::error::LoadError;
use crate::value::{scalar_text, template_type};
use serde_json::Value;

/// What a collection gives: its items, or why they cannot be known before deployment.
pub(super) type Items = Result<Vec<String>, String>;

impl Expander<'_> {
    /// The items of the collection at node `idx`.
    pub(super) fn collection(
        &self,
        idx: usize,
        v: &Value,
        scope: &[Binding],
        name: &str,
    ) -> Result<Items, LoadError> {
        let not_a_list = |what: &str| {
            self.shape(
                self.span(idx),
                format!(
                    "the collection of loop {name} is {what}, not a list: write a list or a Ref \
                     to a CommaDelimitedList or List<…> parameter"
                ),
                "not a list",
            )
        };
        match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (n, child) in self.tpl.children(idx, v).enumerate() {
                    let (c, item) = (child.idx, child.value);
                    match self.scalar(item, scope) {
                        Some(Ok(s)) => out.push(s),
                        Some(Err(reason)) => return Ok(Err(format!("item {}: {reason}", n + 1))),
                        None => {
                            return Err(self.shape(
                                self.span(c),
                                format!(
                                    "item {} of the collection of loop {name} is a {}; items \
                                     are strings",
                                    n + 1,
                                    template_type(item)
                                ),
                                "not a string",
                            ))
                        }
                    }
                }
                Ok(Ok(out))
            }
            Value::Object(_) => match as_intrinsic(v) {
                Some(("Ref", Value::String(p))) => self.ref_collection(idx, p, scope, name),
                Some(("Fn::FindInMap", Value::Array(args))) => {
                    let found = match self.find_in_map(args, scope) {
                        Ok(found) => found,
                        Err(reason) => return Ok(Err(reason)),
                    };
                    match found {
                        Value::Array(items) => Ok(self.texts(&items, "the mapping entry")),
                        other => Err(not_a_list(&format!(
                            "a mapping entry that is a {}",
                            template_type(&other)
                        ))),
                    }
                }
                Some((f, _)) => Ok(Err(format!("{f} is not known before deployment"))),
                None => Err(not_a_list("a mapping")),
            },
            other => Err(not_a_list(&format!("a {}", template_type(other)))),
        }
    }

    fn ref_collection(
        &self,
        idx: usize,
        p: &str,
        scope: &[Binding],
        name: &str,
    ) -> Result<Items, LoadError> {
        if lookup(scope, p).is_some() {
            return Err(self.shape(
                self.span(idx),
                format!(
                    "the collection of loop {name} is Ref {p}, the identifier of an enclosing \
                     loop (one item, not a list)"
                ),
                "not a list",
            ));
        }
        let Some(def) = self.params.get(p) else {
            return Ok(Err(format!("Ref {p} is not known before deployment")));
        };
        match parameter_value(p, def, self.overrides) {
            ParamValue::Override(Value::Array(items))
            | ParamValue::Default(Value::Array(items)) => {
                Ok(self.texts(&items, &format!("parameter {p}")))
            }
            ParamValue::Unset => Ok(Err(format!(
                "parameter {p} has no Default and no --param value"
            ))),
            ParamValue::Override(_) | ParamValue::Default(_) => {
                let ty = def.get("Type").and_then(Value::as_str).unwrap_or("String");
                Err(self.shape(
                    self.span(idx),
                    format!(
                        "the collection of loop {name} is parameter {p}, of type {ty}: a Ref \
                         collection names a CommaDelimitedList or List<…> parameter"
                    ),
                    "not a list parameter",
                ))
            }
        }
    }

    /// The items of a list from a parameter or a mapping, as strings.
    fn texts(&self, items: &[Value], what: &str) -> Items {
        items
            .iter()
            .map(|i| scalar_text(i).ok_or_else(|| format!("{what} holds a {}", template_type(i))))
            .collect()
    }

    /// An item or argument: `Some(Ok(text))` when known, `Some(Err(why))` when not known
    /// before deployment, `None` when it is not a scalar at all.
    fn scalar(&self, v: &Value, scope: &[Binding]) -> Option<Result<String, String>> {
        if let Some(t) = scalar_text(v) {
            return Some(Ok(t));
        }
        match as_intrinsic(v) {
            Some(("Ref", Value::String(n))) => Some(match lookup(scope, n) {
                Some(Some(item)) => Ok(item.to_string()),
                Some(None) => Err(format!("{n} is the identifier of an undecided loop")),
                None => match self.params.get(n.as_str()) {
                    Some(def) => match parameter_value(n, def, self.overrides) {
                        ParamValue::Override(x) | ParamValue::Default(x) => {
                            scalar_text(&x).ok_or_else(|| format!("parameter {n} is a list"))
                        }
                        ParamValue::Unset => {
                            Err(format!("parameter {n} has no Default and no --param value"))
                        }
                    },
                    None => Err(format!("Ref {n} is not known before deployment")),
                },
            }),
            Some(("Fn::Sub", Value::String(text))) => {
                let text = replace(text, scope);
                Some(if text.contains("${") {
                    Err(format!("Fn::Sub {text} is not known before deployment"))
                } else {
                    Ok(text)
                })
            }
            Some((f, _)) => Some(Err(format!("{f} is not known before deployment"))),
            None => None,
        }
    }

    /// `Fn::FindInMap [map, top, second, {DefaultValue: …}]` with known keys.
    fn find_in_map(&self, args: &[Value], scope: &[Binding]) -> Result<Value, String> {
        let key = |i: usize| -> Result<String, String> {
            match args.get(i).and_then(|a| self.scalar(a, scope)) {
                Some(r) => r,
                None => Err("Fn::FindInMap takes names".to_string()),
            }
        };
        let (m, top, second) = (key(0)?, key(1)?, key(2)?);
        let found = self
            .mappings
            .get(&m)
            .and_then(|x| x.get(&top))
            .and_then(|x| x.get(&second));
        match (found, args.get(3).and_then(|d| d.get("DefaultValue"))) {
            (Some(v), _) | (None, Some(v)) => Ok(v.clone()),
            (None, None) => Err(format!("mapping {m} has no entry {top}.{second}")),
        }
    }
}

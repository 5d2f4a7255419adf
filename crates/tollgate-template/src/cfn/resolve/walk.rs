//! One resolution pass under one assignment of undecided conditions: the walk over the
//! template that emits the resolved document and, node by node, its index (each resolved
//! node points at the site that produced it).

use super::super::as_intrinsic;
use super::super::conditions::{CondError, ConditionEval, Tri};
use super::context::Context;
use super::eval::Eval;
use crate::error::LoadError;
use crate::index::{IndexBuilder, Indexed, Related};
use crate::source::Span;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub(super) struct Run<'c, 'a> {
    pub ctx: &'c Context<'a>,
    pub conds: ConditionEval<'c>,
    /// Undecided conditions met in this pass, in the order they were met.
    pub undecided: Vec<String>,
    out: IndexBuilder,
    /// Conditions that could not be evaluated (a malformed condition function): each makes
    /// its condition true, not the template unreadable.
    pub errors: Vec<LoadError>,
}

impl<'c, 'a> Run<'c, 'a> {
    pub fn new(ctx: &'c Context<'a>, forced: &'c HashMap<String, bool>) -> Self {
        Run {
            ctx,
            conds: ConditionEval::new(&ctx.conditions, forced, ctx.max_depth),
            undecided: Vec::new(),
            out: IndexBuilder::with_capacity(ctx.template.node_count()),
            errors: Vec::new(),
        }
    }

    pub fn document(&mut self) -> Indexed {
        let tpl = self.ctx.template;
        if !tpl.value.is_object() {
            // `Context::new` rejects a template that is not a mapping.
            return Indexed::default();
        }
        let slot = self.out.open(self.ctx.span(0), None);
        let mut out = Map::new();
        for section in tpl.children(0, &tpl.value) {
            let name = section.key.unwrap_or_default();
            let key = tpl.key(section.idx);
            let value = if name == "Resources" {
                self.resources(section.idx, section.value, key)
            } else {
                self.copy(section.idx, section.value, key)
            };
            out.insert(name.to_string(), value);
        }
        self.out.close(slot);
        let builder = std::mem::take(&mut self.out);
        Indexed::new(Value::Object(out), builder)
    }

    fn resources(&mut self, idx: usize, v: &Value, key: Option<Span>) -> Value {
        let tpl = self.ctx.template;
        if !v.is_object() {
            return self.copy(idx, v, key);
        }
        let slot = self.out.open(self.ctx.span(idx), key);
        let mut out = Map::new();
        for resource in tpl.children(idx, v) {
            let (c, res) = (resource.idx, resource.value);
            let include = match res.get("Condition").and_then(Value::as_str) {
                Some(cond) => {
                    // Errors point at the resource's `Condition: …` value.
                    let at = tpl.member(c, res, "Condition").map_or(c, |m| m.idx);
                    // An undefined condition (reported before resolution): the resource is
                    // checked as if it held.
                    !self.conds.exists(cond) || self.decide(cond, at)
                }
                None => true,
            };
            if include {
                let mark = self.out.mark();
                match self.resolve(c, res, tpl.key(c)) {
                    Some(r) => {
                        out.insert(resource.key.unwrap_or_default().to_string(), r);
                    }
                    None => self.out.truncate(mark),
                }
            }
        }
        self.out.close(slot);
        Value::Object(out)
    }

    /// Decides a named condition under this variant (undecided ones are recorded). One that
    /// cannot be evaluated is true, with an error; a cycle or an undefined name was reported
    /// before resolution.
    pub fn decide(&mut self, name: &str, at: usize) -> bool {
        let ctx = self.ctx;
        let mut value_of = |v: &Value| -> Tri {
            match Self::eval_pure(ctx, v) {
                Eval::Known(x, _) => Tri::Known(x),
                _ => Tri::Unknown,
            }
        };
        match self.conds.condition(name, &mut value_of) {
            Ok(Some(b)) => b,
            Ok(None) => {
                if !self.undecided.iter().any(|n| n == name) {
                    self.undecided.push(name.to_string());
                }
                // Under the variant bound the enumeration fixes it; past it, true is assumed.
                true
            }
            Err(CondError::Cycle(_) | CondError::Missing(_)) => true,
            Err(e) => {
                let e = e.into_load_error(|kind, msg| ctx.error(kind, at, msg, "used here"));
                self.errors.push(e);
                true
            }
        }
    }

    /// Copies source nodes as they are (sections the policies see unresolved): the value is
    /// cloned once, at the top, and the index entries of the subtree in one slice copy.
    fn copy(&mut self, idx: usize, v: &Value, key: Option<Span>) -> Value {
        self.out.copy_subtree(self.ctx.template, idx, key);
        v.clone()
    }

    /// Emits a computed value: every node gets the site's span; the root gets `related`.
    fn emit(&mut self, v: &Value, span: Span, key: Option<Span>, related: Vec<Related>) {
        let slot = self.out.open(span, key);
        self.out.set_related(slot, related);
        match v {
            Value::Object(m) => m
                .values()
                .for_each(|c| self.emit(c, span, Some(span), Vec::new())),
            Value::Array(a) => a.iter().for_each(|c| self.emit(c, span, None, Vec::new())),
            _ => {}
        }
        self.out.close(slot);
    }

    /// Resolves the node at `idx`; `None` when it resolves to `AWS::NoValue`.
    fn resolve(&mut self, idx: usize, v: &Value, key: Option<Span>) -> Option<Value> {
        let tpl = self.ctx.template;
        if let Some((f, args)) = as_intrinsic(v) {
            let site = self.ctx.span(idx);
            if f == "Fn::If" {
                return self.resolve_if(idx, v, args, key);
            }
            return match self.eval(idx, v) {
                Eval::NoValue => None,
                Eval::Known(val, related) => {
                    self.emit(&val, site, key, related);
                    Some(val)
                }
                Eval::Unknown(val) => {
                    self.emit(&val, site, key, Vec::new());
                    Some(val)
                }
            };
        }
        let slot = self.out.open(self.ctx.span(idx), key);
        let out = match v {
            Value::Object(_) => {
                let mut out = Map::new();
                for child in tpl.children(idx, v) {
                    let mark = self.out.mark();
                    match self.resolve(child.idx, child.value, tpl.key(child.idx)) {
                        Some(r) => {
                            out.insert(child.key.unwrap_or_default().to_string(), r);
                        }
                        None => self.out.truncate(mark),
                    }
                }
                Value::Object(out)
            }
            Value::Array(_) => {
                let mut out = Vec::new();
                for child in tpl.children(idx, v) {
                    let mark = self.out.mark();
                    match self.resolve(child.idx, child.value, None) {
                        Some(r) => out.push(r),
                        None => self.out.truncate(mark),
                    }
                }
                Value::Array(out)
            }
            other => other.clone(),
        };
        self.out.close(slot);
        Some(out)
    }

    /// `Fn::If`: the chosen branch keeps its own spans below the top, which points at the
    /// `!If` node with a related location at the branch. A malformed one, or one naming an
    /// undefined condition (reported before resolution), is an unknown value.
    fn resolve_if(
        &mut self,
        idx: usize,
        v: &Value,
        args: &Value,
        key: Option<Span>,
    ) -> Option<Value> {
        let Some((cond, branches)) = self.if_args(args) else {
            return Some(self.copy(idx, v, key));
        };
        let chosen = self.decide(&cond, idx);
        let c = self.if_branch(idx, v, chosen);
        let branch = if chosen { &branches[0] } else { &branches[1] };
        let mark = self.out.mark();
        let resolved = self.resolve(c, branch, key);
        if resolved.is_some() {
            let slot_span = self.ctx.span(idx);
            let branch_span = self.ctx.span(c);
            self.out.retarget(mark, slot_span);
            self.out.add_related_at(
                mark,
                Related {
                    span: branch_span,
                    message: format!("chosen because condition {cond} is {chosen}"),
                },
            );
        }
        resolved
    }

    /// The node index of the branch a well-formed `Fn::If` (node `idx`, value `v`) takes: the
    /// second or third item of its argument list.
    pub fn if_branch(&self, idx: usize, v: &Value, chosen: bool) -> usize {
        let tpl = self.ctx.template;
        tpl.children(idx, v)
            .next()
            .and_then(|args| tpl.nth_child(args.idx, args.value, if chosen { 1 } else { 2 }))
            .map_or(idx, |branch| branch.idx)
    }

    /// The condition and the two branches of a well-formed `Fn::If` naming a defined condition.
    pub fn if_args<'v>(&self, args: &'v Value) -> Option<(String, [&'v Value; 2])> {
        match args.as_array().map(Vec::as_slice) {
            Some([Value::String(c), a, b]) if self.conds.exists(c) => Some((c.clone(), [a, b])),
            _ => None,
        }
    }
}

//! Evaluation of intrinsics during a pass: the arguments are walked with their node indices
//! (so that the chosen `Fn::If` branch and a `Fn::FindInMap` default keep their own sites),
//! and the function itself is computed by `intrinsics`.

use super::super::as_intrinsic;
use super::context::{Context, Param};
use super::intrinsics::{compute, map_entry};
use super::walk::Run;
use crate::index::Related;
use crate::value::{scalar_text, single};
use serde_json::{Map, Value};

/// Result of an evaluation: a value known before deployment, an unknown one (kept as the
/// intrinsic, with its arguments resolved), or `AWS::NoValue`.
#[derive(Debug, Clone)]
pub(super) enum Eval {
    Known(Value, Vec<Related>),
    Unknown(Value),
    NoValue,
}

impl Run<'_, '_> {
    /// Evaluates an intrinsic (or a plain value containing intrinsics) without emitting nodes.
    pub(super) fn eval(&mut self, idx: usize, v: &Value) -> Eval {
        let tpl = self.ctx.template;
        let Some((f, args)) = as_intrinsic(v) else {
            return self.eval_children(idx, v);
        };
        let args_idx = tpl.children(idx, v).next().map_or(idx, |a| a.idx);
        match f {
            "Ref" => self.eval_ref(args_idx, v, args),
            "Fn::Length" if args.is_array() => self.eval_length(args_idx, args),
            "Fn::FindInMap" if args.is_array() => self.eval_find_in_map(args_idx, v, args),
            "Fn::If" => {
                let Some((cond, branches)) = self.if_args(args) else {
                    return Eval::Unknown(v.clone());
                };
                let chosen = self.decide(&cond, idx);
                let c = self.if_branch(idx, v, chosen);
                self.eval(c, if chosen { branches[0] } else { branches[1] })
            }
            _ => {
                let evaluated = self.eval(args_idx, args);
                let (args_v, related) = match evaluated {
                    Eval::Known(x, r) => (x, r),
                    Eval::Unknown(x) => return Eval::Unknown(single(f, x)),
                    Eval::NoValue => return Eval::Unknown(v.clone()),
                };
                match compute(f, &args_v, self.ctx) {
                    Some((x, more)) => {
                        let mut related = related;
                        related.extend(more);
                        Eval::Known(x, related)
                    }
                    None => Eval::Unknown(single(f, args_v)),
                }
            }
        }
    }

    /// A plain container: its children evaluated (`AWS::NoValue` members and items dropped).
    fn eval_children(&mut self, idx: usize, v: &Value) -> Eval {
        let tpl = self.ctx.template;
        let mut related = Vec::new();
        let mut unknown = false;
        let mut keep = |e: Eval| match e {
            Eval::Known(x, r) => {
                related.extend(r);
                Some(x)
            }
            Eval::Unknown(x) => {
                unknown = true;
                Some(x)
            }
            Eval::NoValue => None,
        };
        let out = match v {
            Value::Object(_) => {
                let mut out = Map::new();
                for child in tpl.children(idx, v) {
                    if let Some(x) = keep(self.eval(child.idx, child.value)) {
                        out.insert(child.key.unwrap_or_default().to_string(), x);
                    }
                }
                Value::Object(out)
            }
            Value::Array(_) => {
                let mut out = Vec::new();
                for child in tpl.children(idx, v) {
                    if let Some(x) = keep(self.eval(child.idx, child.value)) {
                        out.push(x);
                    }
                }
                Value::Array(out)
            }
            other => other.clone(),
        };
        if unknown {
            Eval::Unknown(out)
        } else {
            Eval::Known(out, related)
        }
    }

    /// `Fn::Length` of a list written in place (node `args_idx`): its length even when items
    /// are unknown (`AWS::NoValue` items do not count).
    fn eval_length(&mut self, args_idx: usize, args: &Value) -> Eval {
        let tpl = self.ctx.template;
        let mut n = 0u64;
        let mut related = Vec::new();
        for item in tpl.children(args_idx, args) {
            match self.eval(item.idx, item.value) {
                Eval::Known(_, r) => {
                    related.extend(r);
                    n += 1;
                }
                Eval::Unknown(_) => n += 1,
                Eval::NoValue => {}
            }
        }
        Eval::Known(Value::from(n), related)
    }

    /// `Fn::FindInMap [map, top, second, {DefaultValue: …}]` (arguments at node `args_idx`):
    /// the names may be intrinsics (`AWS::LanguageExtensions`); the default is taken when the
    /// map, the top-level key or the second-level key is missing, and may be `AWS::NoValue`.
    fn eval_find_in_map(&mut self, args_idx: usize, v: &Value, args: &Value) -> Eval {
        let tpl = self.ctx.template;
        let mut keys = Vec::with_capacity(3);
        let mut related = Vec::new();
        let mut default = None;
        for (i, item) in tpl.children(args_idx, args).enumerate() {
            if i < 3 {
                match self.eval(item.idx, item.value) {
                    Eval::Known(x, r) => {
                        related.extend(r);
                        keys.push(scalar_text(&x));
                    }
                    _ => keys.push(None),
                }
            } else if i == 3 {
                default = tpl.member(item.idx, item.value, "DefaultValue");
            }
        }
        // A name unknown before deployment: the function as written, arguments resolved.
        let as_written = |run: &mut Self| match run.eval(args_idx, args) {
            Eval::Known(x, _) | Eval::Unknown(x) => Eval::Unknown(single("Fn::FindInMap", x)),
            Eval::NoValue => Eval::Unknown(v.clone()),
        };
        let Some((m, top, second)) = (match keys.as_slice() {
            [Some(m), Some(top), Some(second)] => Some((m, top, second)),
            _ => None,
        }) else {
            return as_written(self);
        };
        if let Some((found, r)) = map_entry(self.ctx, m, top, second) {
            related.push(r);
            return Eval::Known(found.clone(), related);
        }
        match default {
            Some(d) => self.eval(d.idx, d.value),
            None => as_written(self),
        }
    }

    /// A parameter's value (the name at node `args_idx`); anything else (a resource, a pseudo
    /// parameter, a malformed or undeclared `Ref`, which were reported before resolution) is
    /// unknown.
    fn eval_ref(&mut self, args_idx: usize, v: &Value, args: &Value) -> Eval {
        // `Ref: !Sub 'Subnet${Name}'`: the `AWS::LanguageExtensions` transform computes the
        // name; unknown when the name is.
        if as_intrinsic(args).is_some() {
            return match self.eval(args_idx, args) {
                Eval::Known(Value::String(name), _) => {
                    self.eval_ref(args_idx, v, &Value::String(name))
                }
                Eval::Known(x, _) | Eval::Unknown(x) => Eval::Unknown(single("Ref", x)),
                Eval::NoValue => Eval::Unknown(single("Ref", args.clone())),
            };
        }
        let Some(name) = args.as_str() else {
            return Eval::Unknown(v.clone());
        };
        if name == "AWS::NoValue" {
            return Eval::NoValue;
        }
        match self.ctx.params.get(name) {
            Some(Param {
                value: Some(x),
                related,
            }) => Eval::Known(x.clone(), related.clone()),
            _ => Eval::Unknown(single("Ref", Value::String(name.to_string()))),
        }
    }

    /// Evaluation used inside conditions (no spans, no errors: anything odd is unknown).
    pub(super) fn eval_pure(ctx: &Context<'_>, v: &Value) -> Eval {
        match as_intrinsic(v) {
            Some(("Ref", Value::String(name))) => match ctx.params.get(name.as_str()) {
                Some(Param { value: Some(x), .. }) => Eval::Known(x.clone(), Vec::new()),
                _ => Eval::Unknown(v.clone()),
            },
            Some((f, args)) => {
                let a = match Self::eval_pure(ctx, args) {
                    Eval::Known(x, _) => x,
                    _ => return Eval::Unknown(v.clone()),
                };
                match compute(f, &a, ctx) {
                    Some((x, _)) => Eval::Known(x, Vec::new()),
                    _ => Eval::Unknown(v.clone()),
                }
            }
            None => match v {
                Value::Array(items) => {
                    let mut out = Vec::new();
                    for i in items {
                        match Self::eval_pure(ctx, i) {
                            Eval::Known(x, _) => out.push(x),
                            _ => return Eval::Unknown(v.clone()),
                        }
                    }
                    Eval::Known(Value::Array(out), Vec::new())
                }
                other => Eval::Known(other.clone(), Vec::new()),
            },
        }
    }
}

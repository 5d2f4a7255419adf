//! Resolution of a template into the document the policies see, with an origin index
//! (resolved pointer → source site, plus related spans such as a parameter's `Default`).

use super::conditions::{cycle_message, CondError, ConditionEval, Tri};
use super::foreach;
use super::{as_intrinsic, parameter_value, ParamValue};
use crate::error::{ErrorKind, LoadError};
use crate::index::{IndexBuilder, Indexed, Related};
use crate::source::{SourceFile, Span};
use crate::Limits;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One resolved document. Templates with undecided conditions have several.
#[derive(Debug)]
pub struct Variant {
    pub doc: Indexed,
    /// The conditions this variant fixed (empty when every condition was decided).
    pub assumptions: BTreeMap<String, bool>,
}

/// Result of an evaluation: a value known before deployment, an unknown one (kept as the
/// intrinsic, with its arguments resolved), or `AWS::NoValue`.
#[derive(Debug, Clone)]
enum Eval {
    Known(Value, Vec<Related>),
    Unknown(Value),
    NoValue,
}

struct Param {
    value: Option<Value>,
    related: Vec<Related>,
}

/// A resolved template: its variants, and what resolution found wrong or assumed.
#[derive(Debug)]
pub struct Resolved {
    pub variants: Vec<Variant>,
    /// Each costs a value, not the template (an undeclared name, a malformed intrinsic): the
    /// value is unknown to the policies, and the rest of the template is still checked.
    pub errors: Vec<LoadError>,
    pub warnings: Vec<LoadError>,
}

/// Resolves `template` once per assignment of the undecided conditions that matter, after
/// expanding its `Fn::ForEach` loops ([`super::foreach::expand`]).
/// Only what stops the whole template (too many resources, a loop expanding past the bound)
/// is an `Err`.
pub fn resolve_variants(
    src: &SourceFile,
    template: &Indexed,
    overrides: &BTreeMap<String, Value>,
    limits: &Limits,
) -> Result<Resolved, LoadError> {
    let expansion = foreach::expand(src, template, overrides, limits)?;
    let no_identifiers = BTreeSet::new();
    let (template, loop_identifiers, mut warnings) = match expansion {
        Some(e) => (
            std::borrow::Cow::Owned(e.doc),
            e.unknown_identifiers,
            e.warnings,
        ),
        None => (
            std::borrow::Cow::Borrowed(template),
            no_identifiers,
            Vec::new(),
        ),
    };
    let ctx = Context::new(src, &template, overrides, &loop_identifiers, limits)?;
    let mut variants = Vec::new();
    let mut errors = ctx.errors.clone();
    let mut stack = vec![HashMap::<String, bool>::new()];
    let mut capped: Vec<String> = Vec::new();
    while let Some(forced) = stack.pop() {
        let mut run = Run::new(&ctx, &forced);
        let doc = run.document();
        // Variants meet the same malformed nodes: each is reported once.
        for e in run.errors.drain(..) {
            if !errors
                .iter()
                .any(|x| x.kind == e.kind && x.span() == e.span() && x.message() == e.message())
            {
                errors.push(e);
            }
        }
        let first_undecided = run
            .undecided
            .iter()
            .find(|c| !forced.contains_key(*c))
            .cloned();
        match first_undecided {
            Some(cond) if forced.len() < limits.max_undecided_conditions => {
                // Branch on it; the false branch is evaluated last so true comes first.
                for b in [false, true] {
                    let mut next = forced.clone();
                    next.insert(cond.clone(), b);
                    stack.push(next);
                }
            }
            Some(_) => {
                for c in &run.undecided {
                    if !forced.contains_key(c) && !capped.contains(c) {
                        capped.push(c.clone());
                    }
                }
                variants.push(Variant {
                    doc,
                    assumptions: forced.into_iter().collect(),
                });
            }
            None => variants.push(Variant {
                doc,
                assumptions: forced.into_iter().collect(),
            }),
        }
    }
    if !capped.is_empty() {
        warnings.push(LoadError::file(
            ErrorKind::VariantLimit,
            &src.name,
            format!(
                "more than {} undecided conditions: {} assumed true (checking every combination \
                 would take more than {} variants); give parameter values with --param to decide them",
                limits.max_undecided_conditions,
                capped.join(", "),
                1u64.checked_shl(u32::try_from(limits.max_undecided_conditions).unwrap_or(u32::MAX))
                    .unwrap_or(u64::MAX)
            ),
        ));
    }
    // In document order, whichever check found them.
    errors.sort_by_key(|e| e.span().map(|s| s.start));
    Ok(Resolved {
        variants,
        errors,
        warnings,
    })
}

struct Context<'a> {
    src: &'a SourceFile,
    template: &'a Indexed,
    params: HashMap<String, Param>,
    resources: &'a Map<String, Value>,
    mappings: Option<(&'a Map<String, Value>, usize)>,
    conditions: Map<String, Value>,
    is_sam: bool,
    max_depth: usize,
    /// Found before resolution: undeclared names, condition cycles.
    errors: Vec<LoadError>,
}

/// The `Condition` references below the node at `idx` (value `v`): (name, node index).
fn condition_refs<'v>(tpl: &Indexed, idx: usize, v: &'v Value, out: &mut Vec<(&'v str, usize)>) {
    if let Some(("Condition", Value::String(name))) = as_intrinsic(v) {
        out.push((name.as_str(), idx));
        return;
    }
    let mut c = idx + 1;
    match v {
        Value::Object(m) => {
            for child in m.values() {
                condition_refs(tpl, c, child, out);
                c = tpl.next_sibling(c);
            }
        }
        Value::Array(a) => {
            for child in a {
                condition_refs(tpl, c, child, out);
                c = tpl.next_sibling(c);
            }
        }
        _ => {}
    }
}

/// Index of the member `key` of the object at pre-order index `idx`.
fn child_idx(doc: &Indexed, idx: usize, obj: &Map<String, Value>, key: &str) -> Option<usize> {
    let mut c = idx + 1;
    for k in obj.keys() {
        if k == key {
            return Some(c);
        }
        c = doc.info(c)?.next();
    }
    None
}

impl<'a> Context<'a> {
    fn new(
        src: &'a SourceFile,
        template: &'a Indexed,
        overrides: &BTreeMap<String, Value>,
        loop_identifiers: &BTreeSet<String>,
        limits: &'a Limits,
    ) -> Result<Self, LoadError> {
        let root = template.value.as_object().ok_or_else(|| {
            LoadError::file(
                ErrorKind::NotADocument,
                &src.name,
                "template is not a mapping",
            )
        })?;
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let empty: &'static Map<String, Value> = EMPTY.get_or_init(Map::new);
        let resources = root
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(empty);
        if resources.len() > limits.max_resources {
            let span = child_idx(template, 0, root, "Resources")
                .and_then(|i| template.info(i))
                .and_then(|n| n.key)
                .unwrap_or_default();
            return Err(LoadError::at(
                ErrorKind::TooManyResources,
                src,
                span,
                format!(
                    "{} resources, more than the resource limit of {}",
                    resources.len(),
                    limits.max_resources
                ),
                "these resources",
            )
            .with_help("raise the limit with --max-resources"));
        }
        let mut params = HashMap::new();
        if let Some(Value::Object(defs)) = root.get("Parameters") {
            let pidx = child_idx(template, 0, root, "Parameters").unwrap_or(0);
            for (name, def) in defs {
                let didx = child_idx(template, pidx, defs, name).unwrap_or(0);
                let param = match parameter_value(name, def, overrides) {
                    ParamValue::Override(v) => Param {
                        value: Some(v),
                        related: Vec::new(),
                    },
                    ParamValue::Default(v) => {
                        let written = def.get("Default").unwrap_or(&v);
                        let span = def
                            .as_object()
                            .and_then(|o| child_idx(template, didx, o, "Default"))
                            .and_then(|i| template.info(i))
                            .map(|n| n.span)
                            .unwrap_or_default();
                        let message =
                            format!("{} is the default of parameter {name}", short(written));
                        Param {
                            value: Some(v),
                            related: vec![Related { span, message }],
                        }
                    }
                    ParamValue::Unset => Param {
                        value: None,
                        related: Vec::new(),
                    },
                };
                params.insert(name.clone(), param);
            }
        }
        // Identifiers of loops whose collection is undecided: unknown values, like a parameter
        // without a value (a parameter of the same name keeps its value).
        for ident in loop_identifiers {
            params.entry(ident.clone()).or_insert(Param {
                value: None,
                related: Vec::new(),
            });
        }
        let mappings = match root.get("Mappings") {
            Some(Value::Object(m)) => {
                Some((m, child_idx(template, 0, root, "Mappings").unwrap_or(0)))
            }
            _ => None,
        };
        let conditions = root
            .get("Conditions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut ctx = Context {
            src,
            template,
            params,
            resources,
            mappings,
            conditions,
            is_sam: crate::detect::is_sam(&template.value),
            max_depth: limits.max_depth,
            errors: Vec::new(),
        };
        if let Some(Value::Object(defs)) = root.get("Conditions") {
            let idx = child_idx(template, 0, root, "Conditions").unwrap_or(0);
            ctx.errors = ctx.check_conditions(idx, defs);
        }
        let is_parameter = |name: &str| ctx.params.contains_key(name);
        let declared = super::validate::Declared {
            parameters: &is_parameter,
            parameter_names: ctx.params.keys().map(String::as_str).collect(),
            resources: ctx.resources,
            conditions: &ctx.conditions,
            is_sam: ctx.is_sam,
        };
        let undeclared = super::validate::undeclared_names(src, template, &declared);
        ctx.errors.extend(undeclared);
        Ok(ctx)
    }

    /// Every condition a condition names exists, and no condition depends on itself: checked
    /// for all conditions (CloudFormation rejects the template even when no resource uses
    /// them), with an error at the `Condition` reference at fault.
    fn check_conditions(&self, idx: usize, defs: &Map<String, Value>) -> Vec<LoadError> {
        let tpl = self.template;
        let mut errors = Vec::new();
        // For each condition: the conditions it names, with the node that names them.
        let names: Vec<&String> = defs.keys().collect();
        let position: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut edges: Vec<Vec<(usize, usize)>> = Vec::with_capacity(names.len());
        let mut c = idx + 1;
        for (name, def) in defs {
            let mut refs = Vec::new();
            condition_refs(tpl, c, def, &mut refs);
            let mut out = Vec::with_capacity(refs.len());
            for (target, at) in refs {
                match position.get(target) {
                    Some(t) => out.push((*t, at)),
                    None => errors.push(self.error(
                        ErrorKind::MissingCondition,
                        at,
                        format!(
                            "condition {name} names condition {target}, which is not defined in Conditions"
                        ),
                        "unknown condition",
                    )),
                }
            }
            edges.push(out);
            c = tpl.next_sibling(c);
        }
        // Depth-first search without recursion: 0 unvisited, 1 on the path, 2 done.
        let mut state = vec![0u8; names.len()];
        for startpoint in 0..names.len() {
            if state[startpoint] != 0 {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(startpoint, 0)];
            state[startpoint] = 1;
            while let Some(top) = path.last_mut() {
                let node = top.0;
                let edge = edges[node].get(top.1).copied();
                top.1 += 1;
                let Some((target, at)) = edge else {
                    state[node] = 2;
                    path.pop();
                    continue;
                };
                match state[target] {
                    1 => {
                        let from = path.iter().position(|(n, _)| *n == target).unwrap_or(0);
                        let mut cycle: Vec<String> = path[from..]
                            .iter()
                            .map(|(n, _)| names[*n].clone())
                            .collect();
                        cycle.push(names[target].clone());
                        errors.push(
                            self.error(
                                ErrorKind::ConditionCycle,
                                at,
                                cycle_message(&cycle),
                                "here",
                            )
                            .with_help(
                                "a condition cannot depend on itself, directly or through others",
                            ),
                        );
                    }
                    0 => {
                        if path.len() >= self.max_depth {
                            errors.push(
                                self.error(
                                    ErrorKind::TooDeep,
                                    at,
                                    format!(
                                        "conditions name conditions more than {} levels deep",
                                        self.max_depth
                                    ),
                                    "too deep",
                                )
                                .with_help(
                                    "raise the limit with --max-depth if this template is genuine",
                                ),
                            );
                            return errors;
                        }
                        state[target] = 1;
                        path.push((target, 0));
                    }
                    _ => {}
                }
            }
        }
        errors
    }

    fn span(&self, idx: usize) -> Span {
        self.template.info(idx).map(|n| n.span).unwrap_or_default()
    }

    fn error(
        &self,
        kind: ErrorKind,
        idx: usize,
        message: impl Into<String>,
        label: &str,
    ) -> LoadError {
        let error = LoadError::at(kind, self.src, self.span(idx), message, label);
        if kind != ErrorKind::MissingCondition {
            return error;
        }
        error.with_help(super::validate::missing_condition_help(&self.conditions))
    }
}

/// A value for messages: short and on one line.
fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// One resolution pass under one assignment of undecided conditions.
struct Run<'c, 'a> {
    ctx: &'c Context<'a>,
    conds: ConditionEval<'c>,
    /// Undecided conditions met in this pass, in the order they were met.
    undecided: Vec<String>,
    out: IndexBuilder,
    /// Conditions that could not be evaluated (a malformed condition function): each makes
    /// its condition true, not the template unreadable.
    errors: Vec<LoadError>,
}

impl<'c, 'a> Run<'c, 'a> {
    fn new(ctx: &'c Context<'a>, forced: &'c HashMap<String, bool>) -> Self {
        Run {
            ctx,
            conds: ConditionEval::new(&ctx.conditions, forced, ctx.max_depth),
            undecided: Vec::new(),
            out: IndexBuilder::with_capacity(ctx.template.node_count()),
            errors: Vec::new(),
        }
    }

    fn document(&mut self) -> Indexed {
        let tpl = self.ctx.template;
        let Some(root) = tpl.value.as_object() else {
            // `Context::new` rejects a template that is not a mapping.
            return Indexed::default();
        };
        let slot = self.out.open(self.ctx.span(0), None);
        let mut out = Map::new();
        let mut c = 1usize;
        for (k, v) in root {
            let key = tpl.info(c).and_then(|n| n.key);
            if k == "Resources" {
                out.insert(k.clone(), self.resources(c, v, key));
            } else {
                out.insert(k.clone(), self.copy(c, v, key));
            }
            c = tpl.next_sibling(c);
        }
        self.out.close(slot);
        let builder = std::mem::take(&mut self.out);
        Indexed::new(Value::Object(out), builder)
    }

    fn resources(&mut self, idx: usize, v: &Value, key: Option<Span>) -> Value {
        let tpl = self.ctx.template;
        let Some(map) = v.as_object() else {
            return self.copy(idx, v, key);
        };
        let slot = self.out.open(self.ctx.span(idx), key);
        let mut out = Map::new();
        let mut c = idx + 1;
        for (name, res) in map {
            let rkey = tpl.info(c).and_then(|n| n.key);
            let include = match res.get("Condition").and_then(Value::as_str) {
                Some(cond) => {
                    // Errors point at the resource's `Condition: …` value.
                    let at = res
                        .as_object()
                        .and_then(|o| child_idx(tpl, c, o, "Condition"))
                        .unwrap_or(c);
                    // An undefined condition (reported before resolution): the resource is
                    // checked as if it held.
                    !self.conds.exists(cond) || self.decide(cond, at)
                }
                None => true,
            };
            if include {
                let mark = self.out.mark();
                match self.resolve(c, res, rkey) {
                    Some(r) => {
                        out.insert(name.clone(), r);
                    }
                    None => self.out.truncate(mark),
                }
            }
            c = tpl.next_sibling(c);
        }
        self.out.close(slot);
        Value::Object(out)
    }

    /// Decides a named condition under this variant (undecided ones are recorded). One that
    /// cannot be evaluated is true, with an error; a cycle or an undefined name was reported
    /// before resolution.
    fn decide(&mut self, name: &str, at: usize) -> bool {
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
    /// cloned once, at the top; the index is written node by node.
    fn copy(&mut self, idx: usize, v: &Value, key: Option<Span>) -> Value {
        self.index_as_written(idx, v, key);
        v.clone()
    }

    /// The index entries of a subtree copied as written (each node keeps its own span).
    fn index_as_written(&mut self, idx: usize, v: &Value, key: Option<Span>) {
        let tpl = self.ctx.template;
        let slot = self.out.open(self.ctx.span(idx), key);
        let mut c = idx + 1;
        match v {
            Value::Object(m) => {
                for (_, child) in m {
                    let k = tpl.info(c).and_then(|n| n.key);
                    self.index_as_written(c, child, k);
                    c = tpl.next_sibling(c);
                }
            }
            Value::Array(a) => {
                for child in a {
                    self.index_as_written(c, child, None);
                    c = tpl.next_sibling(c);
                }
            }
            _ => {}
        }
        self.out.close(slot);
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
        let mut c = idx + 1;
        let out = match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, child) in m {
                    let ck = tpl.info(c).and_then(|n| n.key);
                    let mark = self.out.mark();
                    match self.resolve(c, child, ck) {
                        Some(r) => {
                            out.insert(k.clone(), r);
                        }
                        None => self.out.truncate(mark),
                    }
                    c = tpl.next_sibling(c);
                }
                Value::Object(out)
            }
            Value::Array(a) => {
                let mut out = Vec::new();
                for child in a {
                    let mark = self.out.mark();
                    match self.resolve(c, child, None) {
                        Some(r) => out.push(r),
                        None => self.out.truncate(mark),
                    }
                    c = tpl.next_sibling(c);
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
        let c = self.if_branch(idx, chosen);
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

    /// The node index of the branch `Fn::If` (at `idx`) takes: its argument list is at
    /// `idx + 1`, the condition name at `idx + 2`, then the two branches.
    fn if_branch(&self, idx: usize, chosen: bool) -> usize {
        let tpl = self.ctx.template;
        let when_true = tpl.next_sibling(idx + 2);
        if chosen {
            when_true
        } else {
            tpl.next_sibling(when_true)
        }
    }

    /// The condition and the two branches of a well-formed `Fn::If` naming a defined condition.
    fn if_args<'v>(&self, args: &'v Value) -> Option<(String, [&'v Value; 2])> {
        match args.as_array().map(Vec::as_slice) {
            Some([Value::String(c), a, b]) if self.conds.exists(c) => Some((c.clone(), [a, b])),
            _ => None,
        }
    }

    /// Evaluates an intrinsic (or a plain value containing intrinsics) without emitting nodes.
    fn eval(&mut self, idx: usize, v: &Value) -> Eval {
        let tpl = self.ctx.template;
        let Some((f, args)) = as_intrinsic(v) else {
            // A plain container: evaluate its children.
            let mut c = idx + 1;
            let mut related = Vec::new();
            let mut unknown = false;
            let out = match v {
                Value::Object(m) => {
                    let mut out = Map::new();
                    for (k, child) in m {
                        match self.eval(c, child) {
                            Eval::Known(x, r) => {
                                related.extend(r);
                                out.insert(k.clone(), x);
                            }
                            Eval::Unknown(x) => {
                                unknown = true;
                                out.insert(k.clone(), x);
                            }
                            Eval::NoValue => {}
                        }
                        c = tpl.next_sibling(c);
                    }
                    Value::Object(out)
                }
                Value::Array(a) => {
                    let mut out = Vec::new();
                    for child in a {
                        match self.eval(c, child) {
                            Eval::Known(x, r) => {
                                related.extend(r);
                                out.push(x);
                            }
                            Eval::Unknown(x) => {
                                unknown = true;
                                out.push(x);
                            }
                            Eval::NoValue => {}
                        }
                        c = tpl.next_sibling(c);
                    }
                    Value::Array(out)
                }
                other => other.clone(),
            };
            return if unknown {
                Eval::Unknown(out)
            } else {
                Eval::Known(out, related)
            };
        };
        let args_idx = idx + 1;
        match f {
            "Ref" => self.eval_ref(idx, v, args),
            "Fn::Length" if args.is_array() => self.eval_length(args_idx, args),
            "Fn::FindInMap" if args.is_array() => self.eval_find_in_map(idx, v, args),
            "Fn::If" => {
                let Some((cond, branches)) = self.if_args(args) else {
                    return Eval::Unknown(v.clone());
                };
                let chosen = self.decide(&cond, idx);
                let c = self.if_branch(idx, chosen);
                self.eval(c, if chosen { branches[0] } else { branches[1] })
            }
            _ => {
                let evaluated = self.eval(args_idx, args);
                let (args_v, related) = match evaluated {
                    Eval::Known(x, r) => (x, r),
                    Eval::Unknown(x) => return Eval::Unknown(wrap(f, x)),
                    Eval::NoValue => return Eval::Unknown(v.clone()),
                };
                match compute(f, &args_v, self.ctx) {
                    Some((x, more)) => {
                        let mut related = related;
                        related.extend(more);
                        Eval::Known(x, related)
                    }
                    None => Eval::Unknown(wrap(f, args_v)),
                }
            }
        }
    }

    /// `Fn::Length` of a list written in place: its length even when items are unknown
    /// (`AWS::NoValue` items do not count).
    fn eval_length(&mut self, idx: usize, args: &Value) -> Eval {
        let tpl = self.ctx.template;
        let mut n = 0u64;
        let mut related = Vec::new();
        let mut c = idx + 1;
        for item in args.as_array().map(Vec::as_slice).unwrap_or(&[]) {
            match self.eval(c, item) {
                Eval::Known(_, r) => {
                    related.extend(r);
                    n += 1;
                }
                Eval::Unknown(_) => n += 1,
                Eval::NoValue => {}
            }
            c = tpl.next_sibling(c);
        }
        Eval::Known(Value::from(n), related)
    }

    /// `Fn::FindInMap [map, top, second, {DefaultValue: …}]`: the names may be intrinsics
    /// (`AWS::LanguageExtensions`); the default is taken when the map, the top-level key or the
    /// second-level key is missing, and may be `AWS::NoValue`.
    fn eval_find_in_map(&mut self, idx: usize, v: &Value, args: &Value) -> Eval {
        let tpl = self.ctx.template;
        let items = args.as_array().map(Vec::as_slice).unwrap_or(&[]);
        let mut keys = Vec::with_capacity(3);
        let mut related = Vec::new();
        let mut c = idx + 2;
        let mut default = None;
        for (i, item) in items.iter().enumerate() {
            if i < 3 {
                match self.eval(c, item) {
                    Eval::Known(x, r) => {
                        related.extend(r);
                        keys.push(scalar_text(&x));
                    }
                    _ => keys.push(None),
                }
            } else if i == 3 {
                default = item.as_object().and_then(|o| {
                    Some((
                        child_idx(tpl, c, o, "DefaultValue")?,
                        o.get("DefaultValue")?,
                    ))
                });
            }
            c = tpl.next_sibling(c);
        }
        let names = match keys.as_slice() {
            [Some(m), Some(top), Some(second)] => Some((m, top, second)),
            _ => None,
        };
        let Some((m, top, second)) = names else {
            // A name unknown before deployment: the function as written, arguments resolved.
            return match self.eval(idx + 1, args) {
                Eval::Known(x, _) | Eval::Unknown(x) => Eval::Unknown(wrap("Fn::FindInMap", x)),
                Eval::NoValue => Eval::Unknown(v.clone()),
            };
        };
        if let Some((found, r)) = map_entry(self.ctx, m, top, second) {
            related.push(r);
            return Eval::Known(found.clone(), related);
        }
        match default {
            Some((didx, d)) => self.eval(didx, d),
            None => match self.eval(idx + 1, args) {
                Eval::Known(x, _) | Eval::Unknown(x) => Eval::Unknown(wrap("Fn::FindInMap", x)),
                Eval::NoValue => Eval::Unknown(v.clone()),
            },
        }
    }

    /// A parameter's value; anything else (a resource, a pseudo parameter, a malformed or
    /// undeclared `Ref`, which were reported before resolution) is unknown.
    fn eval_ref(&mut self, idx: usize, v: &Value, args: &Value) -> Eval {
        // `Ref: !Sub 'Subnet${Name}'`: the `AWS::LanguageExtensions` transform computes the
        // name; unknown when the name is.
        if as_intrinsic(args).is_some() {
            return match self.eval(idx + 1, args) {
                Eval::Known(Value::String(name), _) => self.eval_ref(idx, v, &Value::String(name)),
                Eval::Known(x, _) | Eval::Unknown(x) => Eval::Unknown(wrap("Ref", x)),
                Eval::NoValue => Eval::Unknown(wrap("Ref", args.clone())),
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
            _ => Eval::Unknown(wrap("Ref", Value::String(name.to_string()))),
        }
    }

    /// Evaluation used inside conditions (no spans, no errors: anything odd is unknown).
    fn eval_pure(ctx: &Context<'_>, v: &Value) -> Eval {
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

fn wrap(f: &str, args: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(f.to_string(), args);
    Value::Object(m)
}

/// A computed value and where its parts were defined (a mapping entry, a parameter default).
type Computed = (Value, Vec<Related>);

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Computes an intrinsic whose arguments are all known; `None` when it cannot be known
/// before deployment (or its arguments have the wrong shape).
fn compute(f: &str, args: &Value, ctx: &Context<'_>) -> Option<Computed> {
    let plain = |v: Value| Some((v, Vec::new()));
    match f {
        "Fn::Join" => {
            let [delim, list] = args.as_array()?.as_slice() else {
                return None;
            };
            let delim = delim.as_str()?;
            let parts: Option<Vec<String>> = list.as_array()?.iter().map(scalar_text).collect();
            plain(Value::String(parts?.join(delim)))
        }
        "Fn::Select" => {
            let [i, list] = args.as_array()?.as_slice() else {
                return None;
            };
            let i: usize = scalar_text(i)?.parse().ok()?;
            plain(list.as_array()?.get(i)?.clone())
        }
        "Fn::Split" => {
            let [delim, s] = args.as_array()?.as_slice() else {
                return None;
            };
            let parts = s.as_str()?.split(delim.as_str()?);
            plain(Value::Array(
                parts.map(|p| Value::String(p.to_string())).collect(),
            ))
        }
        "Fn::Base64" => plain(Value::String(
            base64::engine::general_purpose::STANDARD.encode(scalar_text(args)?),
        )),
        "Fn::Sub" => {
            let (text, vars) = match args {
                Value::String(s) => (s.as_str(), None),
                Value::Array(a) => match a.as_slice() {
                    [Value::String(s)] => (s.as_str(), None),
                    [Value::String(s), Value::Object(v)] => (s.as_str(), Some(v)),
                    _ => return None,
                },
                _ => return None,
            };
            substitute(text, vars, ctx).map(|(s, related)| (Value::String(s), related))
        }
        "Fn::FindInMap" => {
            let a = args.as_array()?;
            let (m, top, second) = (
                scalar_text(a.first()?)?,
                scalar_text(a.get(1)?)?,
                scalar_text(a.get(2)?)?,
            );
            match map_entry(ctx, &m, &top, &second) {
                Some((v, related)) => Some((v.clone(), vec![related])),
                None => a
                    .get(3)
                    .and_then(|d| d.get("DefaultValue"))
                    .map(|d| (d.clone(), Vec::new())),
            }
        }
        "Fn::Length" => plain(Value::from(args.as_array()?.len())),
        // Compact JSON, members in the order written, as CloudFormation writes it.
        "Fn::ToJsonString" if args.is_object() || args.is_array() => {
            plain(Value::String(serde_json::to_string(args).ok()?))
        }
        _ => None,
    }
}

/// The entry `m.top.second` of the template's `Mappings`, with its location as related.
fn map_entry<'c>(
    ctx: &Context<'c>,
    m: &str,
    top: &str,
    second: &str,
) -> Option<(&'c Value, Related)> {
    let (maps, midx) = ctx.mappings?;
    let found = maps.get(m)?.get(top)?.get(second)?;
    let tpl = ctx.template;
    let span = child_idx(tpl, midx, maps, m)
        .and_then(|i| {
            let mo = maps.get(m)?.as_object()?;
            let t = child_idx(tpl, i, mo, top)?;
            child_idx(tpl, t, mo.get(top)?.as_object()?, second)
        })
        .and_then(|i| tpl.info(i))
        .map(|n| n.span)
        .unwrap_or_default();
    let message = format!("{} comes from mapping {m}.{top}.{second}", short(found));
    Some((found, Related { span, message }))
}

/// `Fn::Sub` substitution; `None` when any variable is unknown before deployment.
fn substitute(
    text: &str,
    vars: Option<&Map<String, Value>>,
    ctx: &Context<'_>,
) -> Option<(String, Vec<Related>)> {
    let mut out = String::with_capacity(text.len());
    let mut related = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(v) = vars.and_then(|v| v.get(name)) {
            out.push_str(&scalar_text(v)?);
        } else if let Some(Param {
            value: Some(v),
            related: r,
        }) = ctx.params.get(name)
        {
            out.push_str(&scalar_text(v)?);
            related.extend(r.iter().cloned());
        } else {
            return None;
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some((out, related))
}

//! What one resolution reads from the template, once for every variant: parameter values
//! (overrides, defaults, loop identifiers of undecided loops), resources, mappings and
//! conditions, and the errors found before resolution.

use super::super::validate;
use super::super::{parameter_value, ParamValue};
use crate::error::{ErrorKind, LoadError};
use crate::index::{Indexed, Related};
use crate::source::{SourceFile, Span};
use crate::Limits;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A parameter's value (`None`: unknown before deployment) and where it was defined.
pub(super) struct Param {
    pub value: Option<Value>,
    pub related: Vec<Related>,
}

impl Param {
    fn unknown() -> Self {
        Param {
            value: None,
            related: Vec::new(),
        }
    }
}

pub(super) struct Context<'a> {
    pub src: &'a SourceFile,
    pub template: &'a Indexed,
    pub params: HashMap<String, Param>,
    pub resources: &'a Map<String, Value>,
    /// The `Mappings` section (a mapping) and its node index.
    pub mappings: Option<(&'a Value, usize)>,
    pub conditions: Map<String, Value>,
    pub is_sam: bool,
    pub max_depth: usize,
    /// Found before resolution: undeclared names, condition cycles.
    pub errors: Vec<LoadError>,
}

impl<'a> Context<'a> {
    pub fn new(
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
        let section = |name: &str| template.member(0, &template.value, name);
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let empty: &'static Map<String, Value> = EMPTY.get_or_init(Map::new);
        let resources = root
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or(empty);
        if resources.len() > limits.max_resources {
            let span = section("Resources")
                .and_then(|r| template.key(r.idx))
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
        let mut params = parameters(template, overrides);
        // Identifiers of loops whose collection is undecided: unknown values, like a parameter
        // without a value (a parameter of the same name keeps its value).
        for ident in loop_identifiers {
            params.entry(ident.clone()).or_insert_with(Param::unknown);
        }
        let mappings = section("Mappings")
            .filter(|m| m.value.is_object())
            .map(|m| (m.value, m.idx));
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
        if let Some(defs) = section("Conditions").filter(|c| c.value.is_object()) {
            ctx.errors = ctx.check_conditions(defs.idx, defs.value);
        }
        let is_parameter = |name: &str| ctx.params.contains_key(name);
        let declared = validate::Declared {
            parameters: &is_parameter,
            parameter_names: ctx.params.keys().map(String::as_str).collect(),
            resources: ctx.resources,
            conditions: &ctx.conditions,
            is_sam: ctx.is_sam,
        };
        let undeclared = validate::undeclared_names(src, template, &declared);
        ctx.errors.extend(undeclared);
        Ok(ctx)
    }

    pub fn span(&self, idx: usize) -> Span {
        self.template.span(idx)
    }

    pub fn error(
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
        error.with_help(validate::missing_condition_help(&self.conditions))
    }
}

/// Every parameter's value: its override, else its `Default` (related: where the default is
/// written), else unknown.
fn parameters(template: &Indexed, overrides: &BTreeMap<String, Value>) -> HashMap<String, Param> {
    let mut params = HashMap::new();
    let Some(section) = template.member(0, &template.value, "Parameters") else {
        return params;
    };
    if !section.value.is_object() {
        return params;
    }
    for p in template.children(section.idx, section.value) {
        let (name, def) = (p.key.unwrap_or_default(), p.value);
        let param = match parameter_value(name, def, overrides) {
            ParamValue::Override(v) => Param {
                value: Some(v),
                related: Vec::new(),
            },
            ParamValue::Default(v) => {
                let written = def.get("Default").unwrap_or(&v);
                let span = template
                    .member(p.idx, def, "Default")
                    .map(|d| template.span(d.idx))
                    .unwrap_or_default();
                let message = format!("{} is the default of parameter {name}", short(written));
                Param {
                    value: Some(v),
                    related: vec![Related { span, message }],
                }
            }
            ParamValue::Unset => Param::unknown(),
        };
        params.insert(name.to_string(), param);
    }
    params
}

/// A value for messages: short and on one line.
pub(super) fn short(v: &Value) -> String {
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

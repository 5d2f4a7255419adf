//! Names a template uses that it does not declare: every `Ref`, `Fn::GetAtt` target,
//! `Fn::Sub` variable and condition name, each reported at its own location (as cfn-lint
//! does), in one pass over the template as written — not once per variant, and also in the
//! sections tollgate does not resolve (`Outputs`). None of them stops the template from being
//! checked: the resolver makes each offending value unknown.

use super::{as_intrinsic, PSEUDO_PARAMETERS};
use crate::error::{ErrorKind, LoadError};
use crate::index::Indexed;
use crate::source::{SourceFile, Span};
use serde_json::{Map, Value};

/// What a template declares.
pub(crate) struct Declared<'a> {
    pub parameters: &'a dyn Fn(&str) -> bool,
    /// The parameters' names, for suggestions.
    pub parameter_names: Vec<&'a str>,
    pub resources: &'a Map<String, Value>,
    pub conditions: &'a Map<String, Value>,
    /// SAM creates resources of its own (`ServerlessRestApi`, `<Function>Role` …): names
    /// that are not declared may still exist, so `Ref`, `GetAtt` and `Sub` are not checked.
    pub is_sam: bool,
}

/// Top-level sections whose values hold no intrinsic functions to check.
const UNCHECKED_SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Transform",
];

/// Every undeclared name the template uses, in document order.
pub(crate) fn undeclared_names(
    src: &SourceFile,
    template: &Indexed,
    declared: &Declared<'_>,
) -> Vec<LoadError> {
    let mut walk = Walk {
        src,
        template,
        declared,
        errors: Vec::new(),
    };
    for section in template.children(0, &template.value) {
        let name = section.key.unwrap_or_default();
        if !UNCHECKED_SECTIONS.contains(&name) {
            if name == "Resources" || name == "Outputs" {
                walk.entry_conditions(name, section.idx, section.value);
            }
            walk.node(section.idx, section.value);
        }
    }
    walk.errors
}

/// Help for a condition name that is not defined: the conditions that are.
pub(crate) fn missing_condition_help(conditions: &Map<String, Value>) -> String {
    let mut defined: Vec<&str> = conditions.keys().map(String::as_str).collect();
    match defined.len() {
        0 => "the template has no Conditions section: define the condition there".to_string(),
        n => {
            defined.truncate(10);
            let more = if n > 10 { ", …" } else { "" };
            format!(
                "define it under Conditions, or use one that is defined: {}{more}",
                defined.join(", ")
            )
        }
    }
}

struct Walk<'a> {
    src: &'a SourceFile,
    template: &'a Indexed,
    declared: &'a Declared<'a>,
    errors: Vec<LoadError>,
}

impl Walk<'_> {
    fn span(&self, idx: usize) -> Span {
        self.template.span(idx)
    }

    /// An error of `kind` at node `idx`.
    fn error(
        &self,
        kind: ErrorKind,
        idx: usize,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> LoadError {
        LoadError::at(kind, self.src, self.span(idx), message, label)
    }

    fn push(&mut self, error: LoadError) {
        self.errors.push(error);
    }

    /// The `Condition` of each resource and output names a defined condition.
    fn entry_conditions(&mut self, section: &str, idx: usize, value: &Value) {
        if !value.is_object() {
            return;
        }
        let what = if section == "Resources" {
            "resource"
        } else {
            "output"
        };
        for entry in self.template.children(idx, value) {
            let name = entry.key.unwrap_or_default();
            for field in self.template.children(entry.idx, entry.value) {
                if let (Some("Condition"), Value::String(cond)) = (field.key, field.value) {
                    if !self.declared.conditions.contains_key(cond) {
                        let e = LoadError::at(
                            ErrorKind::MissingCondition,
                            self.src,
                            self.span(field.idx),
                            format!(
                                "{what} {name} has Condition {cond}, which is not defined in Conditions"
                            ),
                            "unknown condition",
                        )
                        .with_help(missing_condition_help(self.declared.conditions));
                        self.push(e);
                    }
                }
            }
        }
    }

    fn node(&mut self, idx: usize, value: &Value) {
        if let Some((f, args)) = as_intrinsic(value) {
            let args_idx = self
                .template
                .children(idx, value)
                .next()
                .map_or(idx, |a| a.idx);
            self.intrinsic(idx, f, args, args_idx);
        }
        for child in self.template.children(idx, value) {
            // Loops not expanded (their identifiers are not declared names), and what a
            // macro receives, are not checked.
            let key = child.key.unwrap_or_default();
            if !(key.starts_with("Fn::ForEach::") || key == "Fn::Transform") {
                self.node(child.idx, child.value);
            }
        }
    }

    /// The intrinsic `f` at node `idx`, its arguments `args` at node `args_idx`.
    fn intrinsic(&mut self, idx: usize, f: &str, args: &Value, args_idx: usize) {
        let declared = self.declared;
        match f {
            "Ref" => match args {
                Value::String(name) => {
                    if !declared.is_sam && !self.is_named_value(name) {
                        let e = self.error(
                            ErrorKind::RefToNothing,
                            idx,
                            format!(
                                "Ref to {name}, which is neither a parameter, a resource nor a pseudo parameter"
                            ),
                            "refers to nothing",
                        )
                        .with_help(self.did_you_mean(name, true).unwrap_or_else(|| {
                            format!(
                                "declare a parameter or a resource named {name}, or correct the name"
                            )
                        }));
                        self.push(e);
                    }
                }
                _ => {
                    let e = self.error(
                        ErrorKind::IntrinsicShape,
                        idx,
                        "Ref takes a name",
                        "expected a string",
                    );
                    self.push(e);
                }
            },
            "Fn::GetAtt" => {
                let target = match args {
                    Value::Array(a) => a.first().and_then(Value::as_str),
                    Value::String(s) => s.split('.').next(),
                    _ => None,
                };
                if let Some(target) = target {
                    if !declared.is_sam && !self.is_resource(target) {
                        let span = self.span(idx);
                        let e = LoadError::at(
                            ErrorKind::GetAttToNothing,
                            self.src,
                            span,
                            format!("Fn::GetAtt names {target}, which is not a resource of this template"),
                            "no such resource",
                        )
                        .with_help(self.did_you_mean(target, false).unwrap_or_else(|| {
                            format!("declare a resource named {target}, or correct the name")
                        }));
                        self.push(e);
                    }
                }
            }
            "Fn::Sub" if !declared.is_sam => {
                let first = self.template.nth_child(args_idx, args, 0);
                let first_idx = first.map_or(args_idx, |c| c.idx);
                let (text, vars, text_idx) = match args {
                    Value::String(s) => (s.as_str(), None, args_idx),
                    Value::Array(a) => match a.as_slice() {
                        [Value::String(s)] => (s.as_str(), None, first_idx),
                        [Value::String(s), Value::Object(v)] => (s.as_str(), Some(v), first_idx),
                        _ => return,
                    },
                    _ => return,
                };
                self.sub_variables(text, vars, text_idx);
            }
            "Fn::If" => match args.as_array().map(Vec::as_slice) {
                Some([Value::String(cond), _, _]) => {
                    if !declared.conditions.contains_key(cond) {
                        let e = self
                            .error(
                                ErrorKind::MissingCondition,
                                idx,
                                format!(
                                "Fn::If names condition {cond}, which is not defined in Conditions"
                            ),
                                "unknown condition",
                            )
                            .with_help(missing_condition_help(declared.conditions));
                        self.push(e);
                    }
                }
                _ => {
                    let e = self
                        .error(
                            ErrorKind::IntrinsicShape,
                            idx,
                            "Fn::If takes [condition name, value if true, value if false]",
                            "wrong arguments",
                        )
                        .with_help("e.g. `!If [IsProd, m5.large, t3.micro]`");
                    self.push(e);
                }
            },
            _ => {}
        }
    }

    /// `did you mean BucketName?`: the declared name closest to a misspelt one (resources, and
    /// parameters too where a parameter would do), when it is close enough to be a typo.
    fn did_you_mean(&self, name: &str, parameters_too: bool) -> Option<String> {
        let resources = self.declared.resources.keys().map(String::as_str);
        let parameters = self
            .declared
            .parameter_names
            .iter()
            .copied()
            .filter(|_| parameters_too);
        resources
            .chain(parameters)
            .map(|c| (strsim::jaro_winkler(name, c), c))
            .filter(|(score, _)| *score > 0.85)
            // Ties go to the name that sorts first: the same suggestion on every run.
            .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
            .map(|(_, c)| format!("did you mean {c}?"))
    }

    /// A parameter, a resource or a pseudo parameter.
    fn is_named_value(&self, name: &str) -> bool {
        (self.declared.parameters)(name)
            || self.is_resource(name)
            || PSEUDO_PARAMETERS.contains(&name)
    }

    /// A resource of the template, or one a module of it makes: a resource of type
    /// `…::MODULE` named `Net` makes resources named `Net<Name>`.
    fn is_resource(&self, name: &str) -> bool {
        let resources = self.declared.resources;
        resources.contains_key(name)
            || resources.iter().any(|(id, r)| {
                name.starts_with(id.as_str())
                    && r.get("Type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.ends_with("::MODULE"))
            })
    }

    /// Each `${Name}` and `${Resource.Attribute}` of an `Fn::Sub` string names a variable of
    /// its map, a parameter, a resource or a pseudo parameter; `${!Literal}` is text.
    fn sub_variables(&mut self, text: &str, vars: Option<&Map<String, Value>>, text_idx: usize) {
        let node = self.span(text_idx);
        let written = self.src.slice(node).to_string();
        // Where to look for the next `${…}` in the node as written (to point at it).
        let mut cursor = 0usize;
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                break;
            };
            let name = after[..end].trim();
            rest = &after[end + 1..];
            if name.starts_with('!') {
                continue;
            }
            let needle = format!("${{{}}}", &after[..end]);
            let span = match written.get(cursor..).and_then(|w| w.find(&needle)) {
                Some(at) => {
                    let from = node.start as usize + cursor + at;
                    cursor += at + needle.len();
                    Span::new(from, from + needle.len())
                }
                None => node,
            };
            let in_map = vars.is_some_and(|v| v.contains_key(name));
            if in_map || self.is_named_value(name) {
                continue;
            }
            if let Some((resource, _)) = name.split_once('.') {
                if self.is_resource(resource) {
                    continue;
                }
                let e = LoadError::at(
                    ErrorKind::SubToNothing,
                    self.src,
                    span,
                    format!("Fn::Sub variable ${{{name}}} names {resource}, which is not a resource of this template"),
                    "no such resource",
                )
                .with_help(self.did_you_mean(resource, false).unwrap_or_else(|| {
                    format!("declare a resource named {resource}, or correct the name")
                }));
                self.push(e);
                continue;
            }
            let e = LoadError::at(
                ErrorKind::SubToNothing,
                self.src,
                span,
                format!(
                    "Fn::Sub variable ${{{name}}} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"
                ),
                "not declared",
            )
            .with_help(
                self.did_you_mean(name, true)
                    .map(|d| format!("{d} (or write ${{!{name}}} for the literal text ${{{name}}})"))
                    .unwrap_or_else(|| format!(
                        "declare {name}, give it in the Fn::Sub variable map, or write ${{!{name}}} for the literal text ${{{name}}}"
                    )),
            );
            self.push(e);
        }
    }
}

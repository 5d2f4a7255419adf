//! Evaluation of the template's `Conditions` in three-valued logic: a condition that depends
//! on a value unknown before deployment (a pseudo parameter, a parameter without a value) is
//! *undecided* unless the variant being evaluated fixes it.

use super::as_intrinsic;
use crate::error::{ErrorKind, LoadError};
use serde_json::Value;
use std::collections::HashMap;

/// Outcome of evaluating a value inside a condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tri {
    Known(Value),
    Unknown,
}

pub(crate) struct ConditionEval<'a> {
    pub defs: &'a serde_json::Map<String, Value>,
    /// Conditions fixed by the variant being evaluated.
    pub forced: &'a HashMap<String, bool>,
    memo: HashMap<String, Option<bool>>,
    in_progress: Vec<String>,
    /// Expressions being evaluated, nested (conditions naming conditions included), and its
    /// bound: deep recursion is an error, not a stack overflow.
    depth: usize,
    max_depth: usize,
}

/// Why a condition could not be evaluated.
pub(crate) enum CondError {
    /// The conditions of the cycle, the first one repeated at the end.
    Cycle(Vec<String>),
    Missing(String),
    Shape(String),
    TooDeep(usize),
}

impl<'a> ConditionEval<'a> {
    pub fn new(
        defs: &'a serde_json::Map<String, Value>,
        forced: &'a HashMap<String, bool>,
        max_depth: usize,
    ) -> Self {
        ConditionEval {
            defs,
            forced,
            memo: HashMap::new(),
            in_progress: Vec::new(),
            depth: 0,
            max_depth,
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        self.defs.contains_key(name)
    }

    /// `Some(b)` when decided, `None` when undecided.
    pub fn condition(
        &mut self,
        name: &str,
        value_of: &mut dyn FnMut(&Value) -> Tri,
    ) -> Result<Option<bool>, CondError> {
        if let Some(b) = self.forced.get(name) {
            return Ok(Some(*b));
        }
        if let Some(v) = self.memo.get(name) {
            return Ok(*v);
        }
        if let Some(at) = self.in_progress.iter().position(|n| n == name) {
            let mut cycle = self.in_progress[at..].to_vec();
            cycle.push(name.to_string());
            return Err(CondError::Cycle(cycle));
        }
        let Some(def) = self.defs.get(name) else {
            return Err(CondError::Missing(name.to_string()));
        };
        self.in_progress.push(name.to_string());
        let result = self.expr(def, value_of);
        self.in_progress.pop();
        let result = result?;
        self.memo.insert(name.to_string(), result);
        Ok(result)
    }

    fn expr(
        &mut self,
        e: &Value,
        value_of: &mut dyn FnMut(&Value) -> Tri,
    ) -> Result<Option<bool>, CondError> {
        if self.depth >= self.max_depth {
            return Err(CondError::TooDeep(self.max_depth));
        }
        self.depth += 1;
        let result = self.expr_inner(e, value_of);
        self.depth -= 1;
        result
    }

    fn expr_inner(
        &mut self,
        e: &Value,
        value_of: &mut dyn FnMut(&Value) -> Tri,
    ) -> Result<Option<bool>, CondError> {
        let Some((f, args)) = as_intrinsic(e) else {
            return match e {
                Value::Bool(b) => Ok(Some(*b)),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
                _ => Err(CondError::Shape(
                    "a condition must be a condition function".into(),
                )),
            };
        };
        let list = |n: Option<usize>| -> Result<&Vec<Value>, CondError> {
            match args.as_array() {
                Some(a) if n.is_none_or(|n| a.len() == n) => Ok(a),
                _ => Err(CondError::Shape(format!("{f} has the wrong arguments"))),
            }
        };
        match f {
            "Condition" => {
                let name = args
                    .as_str()
                    .ok_or_else(|| CondError::Shape("Condition takes a name".into()))?;
                self.condition(name, value_of)
            }
            "Fn::Not" => Ok(self.expr(&list(Some(1))?[0], value_of)?.map(|b| !b)),
            "Fn::And" | "Fn::Or" => {
                let is_and = f == "Fn::And";
                let mut undecided = false;
                for item in list(None)? {
                    match self.expr(item, value_of)? {
                        Some(b) if b != is_and => return Ok(Some(b)),
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                Ok(if undecided { None } else { Some(is_and) })
            }
            "Fn::Equals" => {
                let a = list(Some(2))?;
                match (value_of(&a[0]), value_of(&a[1])) {
                    (Tri::Known(x), Tri::Known(y)) => Ok(Some(loosely_equal(&x, &y))),
                    _ => Ok(None),
                }
            }
            other => Err(CondError::Shape(format!(
                "{other} is not a condition function"
            ))),
        }
    }
}

/// CloudFormation compares values as strings: `!Equals [!Ref Port, 22]` with Port "22" is true.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match (text(a), text(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

impl CondError {
    pub(crate) fn into_load_error(
        self,
        at: impl FnOnce(ErrorKind, String) -> LoadError,
    ) -> LoadError {
        match self {
            CondError::Cycle(names) => at(ErrorKind::ConditionCycle, cycle_message(&names)),
            CondError::TooDeep(n) => at(
                ErrorKind::TooDeep,
                format!("conditions nest (through Condition references) deeper than {n} levels"),
            )
            .with_help("raise the limit with --max-depth if this template is genuine"),
            CondError::Missing(n) => at(
                ErrorKind::MissingCondition,
                format!("condition {n} is not defined in Conditions"),
            ),
            CondError::Shape(m) => at(ErrorKind::IntrinsicShape, m),
        }
    }
}

/// `condition A refers to itself`, or `conditions A → B → A refer to each other in a cycle`.
pub(crate) fn cycle_message(names: &[String]) -> String {
    match names {
        [one, _] => format!("condition {one} refers to itself"),
        _ => format!(
            "conditions {} refer to each other in a cycle",
            names.join(" → ")
        ),
    }
}

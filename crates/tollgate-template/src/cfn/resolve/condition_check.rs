//! Conditions checked before resolution, for every condition (CloudFormation rejects the
//! template even when no resource uses them): each name a condition names is defined, and no
//! condition depends on itself.

use super::super::as_intrinsic;
use super::super::conditions::cycle_message;
use super::context::Context;
use crate::error::{ErrorKind, LoadError};
use crate::index::Indexed;
use serde_json::Value;
use std::collections::HashMap;

/// The `Condition` references below the node at `idx` (value `v`): (name, node index).
fn condition_refs<'v>(tpl: &Indexed, idx: usize, v: &'v Value, out: &mut Vec<(&'v str, usize)>) {
    if let Some(("Condition", Value::String(name))) = as_intrinsic(v) {
        out.push((name.as_str(), idx));
        return;
    }
    for child in tpl.children(idx, v) {
        condition_refs(tpl, child.idx, child.value, out);
    }
}

impl Context<'_> {
    /// Every condition a condition names exists, and no condition depends on itself: checked
    /// for all conditions (CloudFormation rejects the template even when no resource uses
    /// them), with an error at the `Condition` reference at fault.
    pub(super) fn check_conditions(&self, idx: usize, defs: &Value) -> Vec<LoadError> {
        let tpl = self.template;
        let mut errors = Vec::new();
        // For each condition: the conditions it names, with the node that names them.
        let names: Vec<&str> = tpl
            .children(idx, defs)
            .map(|c| c.key.unwrap_or_default())
            .collect();
        let position: HashMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut edges: Vec<Vec<(usize, usize)>> = Vec::with_capacity(names.len());
        for def in tpl.children(idx, defs) {
            let name = def.key.unwrap_or_default();
            let mut refs = Vec::new();
            condition_refs(tpl, def.idx, def.value, &mut refs);
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
                            .map(|(n, _)| names[*n].to_string())
                            .collect();
                        cycle.push(names[target].to_string());
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
}

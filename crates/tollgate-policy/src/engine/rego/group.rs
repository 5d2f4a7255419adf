//! Rule packages grouped by what they need to see (their `# tollgate:` header), each group
//! with its own prepared engine, and the engine with the run's options merged in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use super::compile::{new_regorus, KindEngine, Package};
use super::errors::error_text;
use super::PolicySource;
use crate::engine::budget::{self, DEFAULT_MEMORY_LIMIT};
use crate::engine::common::{Header, Scope};
use crate::engine::EvalError;

/// Rule packages evaluated together, on the same documents.
pub(super) struct Group {
    /// What the packages need to see (see [`Scope`]).
    pub scope: Scope,
    /// Only resources of these types are given to the packages (`None`: all).
    pub types: Option<BTreeSet<String>>,
    /// Modules loaded and analysed; no options yet.
    pub base: regorus::Engine,
    /// Rule packages by their last package component.
    pub packages: BTreeMap<String, Package>,
    /// `base` with the options of the last evaluation merged in and analysed again.
    pub with_options: Mutex<Option<(serde_json::Value, regorus::Engine)>>,
    /// The memory bound of one evaluation (`None`: unbounded); see [`budget`].
    pub memory_limit: Option<u64>,
    /// Packages once stopped at the memory limit: suspects, never run again for an overrun.
    pub over_memory: Mutex<BTreeSet<String>>,
}

impl KindEngine {
    /// Splits the packages into a group of built-in resource-scoped packages, evaluated on
    /// chunks of resources, and a group of the others (each with its own prepared engine).
    /// Keeps one group when there is nothing to split or a split engine does not analyse.
    /// A built-in file's malformed `# tollgate:` header is an error in `errors` (the file's
    /// package then sees the whole document).
    pub(super) fn group(
        modules: &[(&PolicySource, Option<String>)],
        combined: regorus::Engine,
        packages: BTreeMap<String, Package>,
        errors: &mut Vec<EvalError>,
    ) -> Vec<Group> {
        // A package's scope and types: from its modules' headers, built-in modules only.
        let mut header: BTreeMap<&str, (Scope, Option<BTreeSet<String>>)> = BTreeMap::new();
        for name in packages.keys() {
            let files: Vec<&PolicySource> = modules
                .iter()
                .filter(|(_, n)| n.as_deref() == Some(name.as_str()))
                .map(|(s, _)| *s)
                .collect();
            let builtin = !files.is_empty() && files.iter().all(|s| s.builtin);
            let read = |s: &&PolicySource| match Header::read(&s.file, &s.text) {
                Ok(h) => (h.scope.unwrap_or(Scope::Document), h.types),
                Err(e) => {
                    errors.push(e);
                    (Scope::Document, None)
                }
            };
            let (scope, types) = if builtin {
                let headers: Vec<_> = files.iter().map(read).collect();
                let scope = if headers.iter().all(|(s, _)| *s == Scope::Resource) {
                    Scope::Resource
                } else {
                    Scope::Document
                };
                let types = headers
                    .into_iter()
                    .map(|(_, t)| t)
                    .reduce(|a, b| match (a, b) {
                        (Some(mut a), Some(b)) => {
                            a.extend(b);
                            Some(a)
                        }
                        _ => None,
                    })
                    .flatten();
                (scope, types)
            } else {
                (Scope::Document, None)
            };
            header.insert(name, (scope, types));
        }
        let union = |names: &[&String]| -> Option<BTreeSet<String>> {
            let mut all = BTreeSet::new();
            for name in names {
                all.extend(header.get(name.as_str())?.1.clone()?);
            }
            Some(all)
        };
        let (resource, document): (Vec<&String>, Vec<&String>) = packages
            .keys()
            .partition(|name| header.get(name.as_str()).map(|h| h.0) == Some(Scope::Resource));
        let single = |scope: Scope, types: Option<BTreeSet<String>>, base| Group {
            scope,
            types,
            base,
            packages: packages.clone(),
            with_options: Mutex::new(None),
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            over_memory: Mutex::new(BTreeSet::new()),
        };
        if resource.is_empty() || document.is_empty() {
            let names: Vec<&String> = packages.keys().collect();
            let scope = if document.is_empty() && !resource.is_empty() {
                Scope::Resource
            } else {
                Scope::Document
            };
            return vec![single(scope, union(&names), combined)];
        }
        let mut groups = Vec::new();
        for (scope, names) in [(Scope::Resource, &resource), (Scope::Document, &document)] {
            let mut engine = new_regorus();
            for (source, name) in modules {
                let wanted = match name {
                    None => true,
                    // Modules of packages that did not load stay with the document group.
                    Some(n) => match packages.contains_key(n) {
                        true => names.contains(&n),
                        false => scope == Scope::Document,
                    },
                };
                if wanted
                    && engine
                        .add_policy(source.file.clone(), source.text.clone())
                        .is_err()
                {
                    return vec![single(Scope::Document, None, combined)];
                }
            }
            if engine.eval_query("true".to_string(), false).is_err() {
                return vec![single(Scope::Document, None, combined)];
            }
            groups.push(Group {
                scope,
                types: union(names),
                base: engine,
                packages: packages
                    .iter()
                    .filter(|(n, _)| names.contains(n))
                    .map(|(n, p)| (n.clone(), p.clone()))
                    .collect(),
                with_options: Mutex::new(None),
                memory_limit: Some(DEFAULT_MEMORY_LIMIT),
                over_memory: Mutex::new(BTreeSet::new()),
            });
        }
        groups
    }
}

impl Group {
    /// A clone of the prepared engine with `options` as `data.tollgate.options`.
    pub(super) fn engine_with(
        &self,
        options: &serde_json::Value,
    ) -> Result<regorus::Engine, EvalError> {
        let mut cache = self
            .with_options
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((cached, engine)) = cache.as_ref() {
            if cached == options {
                return Ok(engine.clone());
            }
        }
        let mut engine = self.base.clone();
        let options_error = |err: &anyhow::Error| EvalError::Runtime {
            file: "<options>".to_string(),
            message: format!("rule options cannot be used: {}", error_text(err)),
        };
        let options_value = if options.is_null() {
            serde_json::json!({})
        } else {
            options.clone()
        };
        let data = serde_json::json!({"tollgate": {"options": options_value}});
        // Bounded like an evaluation: while another thread's runaway rule holds the shared
        // ceiling, this is stopped too, and runs again (see `budget`).
        budget::bounded(self.memory_limit, false, || {
            let mut attempt = engine.clone();
            attempt.add_data(regorus::Value::from(data.clone()))?;
            // Analyse once with the options in place, so clones start prepared.
            attempt.eval_query("true".to_string(), false)?;
            engine = attempt;
            Ok(())
        })
        .map_err(|e| options_error(&e))?;
        *cache = Some((options.clone(), engine.clone()));
        Ok(engine)
    }
}

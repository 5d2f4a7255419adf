//! Compiling Rego policies: each module parsed once to learn where it goes, the modules of
//! one input kind analysed together (a module that breaks the analysis left out and the rest
//! analysed again), and each rule package's `metadata` read.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;
use tollgate_template::InputKind;

use super::errors::{error_text, limit_error, syntax_error};
use super::group::Group;
use super::{extensions, PolicySource, RegoRule, DEFAULT_TIME_LIMIT};
use crate::engine::budget::{self, DEFAULT_MEMORY_LIMIT};
use crate::engine::common::files::{self, ReadFailure};
use crate::engine::EvalError;
use crate::finding::Severity;
use crate::pack::{BUILTIN, REGO_LIB, REGO_LIB_PATH};

/// The package prefix under which rule packages live.
const RULES_ROOT: [&str; 2] = ["tollgate", "rules"];

/// The prepared engines for one input kind: one per [`Group`] of rule packages.
pub(super) struct KindEngine {
    pub kind: InputKind,
    pub groups: Vec<Group>,
}

/// A rule package: the rule id its findings carry and the files that define it.
#[derive(Debug, Clone)]
pub(super) struct Package {
    pub id: String,
    pub files: Vec<String>,
}

/// Parses each module once, to check it and to learn where it goes.
pub(super) fn place(
    sources: Vec<PolicySource>,
    errors: &mut Vec<EvalError>,
) -> Vec<(PolicySource, Placement)> {
    let mut placed = Vec::new();
    for source in sources {
        let mut scratch = new_regorus();
        match scratch.add_policy(source.file.clone(), source.text.clone()) {
            Ok(package) => match placement(&package) {
                Ok(p) => placed.push((source, p)),
                Err(message) => errors.push(EvalError::Syntax {
                    line: package_line(&source.text),
                    column: 1,
                    file: source.file,
                    message,
                }),
            },
            Err(err) => errors.push(syntax_error(&source.file, &err)),
        }
    }
    placed
}

/// A module after its first parse: where it goes.
pub(super) enum Placement {
    /// Helper library: loaded for both kinds.
    Library,
    /// A rule package of one kind, with its name (the last package component).
    Rule(InputKind, String),
}

impl KindEngine {
    /// Loads the library modules and this kind's rule modules, analyses them, and reads each
    /// rule's metadata. Modules that fail are reported and left out.
    pub(super) fn build(
        kind: InputKind,
        placed: &[(PolicySource, Placement)],
        rules: &mut Vec<RegoRule>,
        errors: &mut Vec<EvalError>,
    ) -> Self {
        let mut modules: Vec<(&PolicySource, Option<String>)> = placed
            .iter()
            .filter_map(|(source, placement)| match placement {
                Placement::Library => Some((source, None)),
                Placement::Rule(k, name) if *k == kind => Some((source, Some(name.clone()))),
                Placement::Rule(..) => None,
            })
            .collect();

        // Analyse; on an error that names a file, leave that file out and try again.
        let base = loop {
            let mut engine = new_regorus();
            for (source, _) in &modules {
                // Every module parsed before, so this cannot fail; if it does, report it.
                if let Err(err) = engine.add_policy(source.file.clone(), source.text.clone()) {
                    errors.push(syntax_error(&source.file, &err));
                }
            }
            match engine.eval_query("true".to_string(), false) {
                Ok(_) => break engine,
                Err(err) => {
                    let error = syntax_error("<policies>", &err);
                    let culprit = match &error {
                        EvalError::Syntax { file, .. } => {
                            modules.iter().position(|(s, _)| s.file == *file)
                        }
                        _ => None,
                    };
                    errors.push(error);
                    match culprit {
                        Some(index) => {
                            modules.remove(index);
                        }
                        None => {
                            // Not attributable: keep only the built-in pack.
                            let before = modules.len();
                            modules.retain(|(s, _)| s.builtin);
                            if modules.len() == before {
                                break new_regorus();
                            }
                        }
                    }
                }
            }
        };

        // Group rule modules by package and read each package's metadata.
        let mut by_name: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
        for (source, name) in &modules {
            if let Some(name) = name {
                let entry = by_name.entry(name.clone()).or_default();
                entry.0.push(source.file.clone());
                entry.1 |= source.builtin;
            }
        }
        let mut packages = BTreeMap::new();
        let mut ids: BTreeSet<String> = BTreeSet::new();
        let mut engine = base;
        // Built-in rules first: a user rule that reuses a built-in id is the one reported.
        let mut by_name: Vec<_> = by_name.into_iter().collect();
        by_name.sort_by_key(|(name, (_, builtin))| (!*builtin, name.clone()));
        for (name, (files, builtin)) in by_name {
            let package = format!("tollgate.rules.{}.{name}", kind_segment(kind));
            let first_file = files.first().cloned().unwrap_or_default();
            let first_text = modules
                .iter()
                .find(|(s, _)| s.file == first_file)
                .map(|(s, _)| s.text.as_str())
                .unwrap_or_default();
            let load_error = |message: String| EvalError::Syntax {
                file: first_file.clone(),
                line: package_line(first_text),
                column: 1,
                message,
            };
            // The `metadata` rule alone (and what it refers to), never the whole package: a
            // query of `data.<package>.metadata` would evaluate every rule of the package.
            let metadata = match read_metadata(&mut engine, &package, &files) {
                Ok(metadata) => metadata,
                Err(MetadataError::Missing) => None,
                Err(MetadataError::Failed(error)) => {
                    errors.push(match error {
                        EvalError::Runtime { message, .. } => load_error(message),
                        other => other,
                    });
                    continue;
                }
            };
            let meta = match metadata.as_ref().and_then(|m| m.as_object()) {
                Some(meta) => meta,
                None => {
                    errors.push(load_error(format!(
                        "rule package {package} must define a constant object `metadata := {{\"id\": ...}}`"
                    )));
                    continue;
                }
            };
            let Some(id) = meta.get("id").and_then(|v| v.as_str()).map(str::to_string) else {
                errors.push(load_error(format!(
                    "`metadata.id` of {package} must be a string (the rule id findings carry)"
                )));
                continue;
            };
            let severity = match meta.get("severity") {
                None => None,
                Some(value) => match serde_json::from_value::<Severity>(value.clone()) {
                    Ok(s) => Some(s),
                    Err(_) => {
                        errors.push(load_error(format!(
                            "`metadata.severity` of {package} must be one of info, low, medium, high, critical"
                        )));
                        continue;
                    }
                },
            };
            if !ids.insert(id.clone()) {
                errors.push(load_error(format!(
                    "rule id {id:?} of {package} is already used by another {} rule",
                    kind_segment(kind)
                )));
                continue;
            }
            let text = |key: &str| meta.get(key).and_then(|v| v.as_str()).map(str::to_string);
            rules.push(RegoRule {
                id: id.clone(),
                kind,
                package: package.clone(),
                files: files.clone(),
                builtin,
                title: text("title"),
                severity,
                description: text("description"),
            });
            packages.insert(name, Package { id, files });
        }

        let groups = Self::group(&modules, engine, packages, errors);
        Self { kind, groups }
    }
}

enum MetadataError {
    /// The package has no `metadata` rule.
    Missing,
    Failed(EvalError),
}

/// Evaluates the `metadata` rule of `package` on its own (with the default memory bound).
fn read_metadata(
    engine: &mut regorus::Engine,
    package: &str,
    files: &[String],
) -> Result<Option<serde_json::Value>, MetadataError> {
    let declared = files.iter().any(|file| {
        engine
            .has_declared_rule_rooted_at(file, "metadata")
            .unwrap_or(false)
    });
    if !declared {
        return Err(MetadataError::Missing);
    }
    let path = format!("data.{package}.metadata");
    let label = files.join(", ");
    match budget::bounded(Some(DEFAULT_MEMORY_LIMIT), false, || {
        engine.eval_rule(path.clone())
    }) {
        Ok(regorus::Value::Undefined) => Ok(None),
        Ok(value) => Ok(serde_json::to_value(&value).ok()),
        Err(err) => Err(MetadataError::Failed(
            limit_error(label.clone(), &err, Some(DEFAULT_MEMORY_LIMIT)).unwrap_or_else(|| {
                EvalError::Runtime {
                    file: label,
                    message: format!("reading metadata of {package}: {}", error_text(&err)),
                }
            }),
        )),
    }
}

/// A regorus engine set up the way tollgate uses it.
pub(super) fn new_regorus() -> regorus::Engine {
    let mut engine = regorus::Engine::new();
    // OPA semantics: a builtin given bad arguments is undefined, not an error.
    engine.set_strict_builtin_errors(false);
    engine.set_execution_timer_config(timer(DEFAULT_TIME_LIMIT));
    // The `tollgate.*` helpers in Rust. A fresh engine has no extension, so registering cannot
    // clash; a failure would surface as "could not find function" when a policy calls one.
    if extensions::register(&mut engine).is_err() {
        debug_assert!(false, "registering the tollgate.* helpers failed");
    }
    engine
}

pub(super) fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::MIN.saturating_add(999),
    }
}

pub(super) fn kind_segment(kind: InputKind) -> &'static str {
    match kind {
        InputKind::CloudFormation => "cloudformation",
        InputKind::TerraformPlan => "terraform",
    }
}

/// Where a module with package `data.<package>` goes.
pub(super) fn placement(package: &str) -> Result<Placement, String> {
    let path = package.strip_prefix("data.").unwrap_or(package);
    let parts: Vec<&str> = path.split('.').collect();
    if !parts.starts_with(&RULES_ROOT) {
        return Ok(Placement::Library);
    }
    match parts.as_slice() {
        [_, _, "cloudformation", name] => {
            Ok(Placement::Rule(InputKind::CloudFormation, (*name).to_string()))
        }
        [_, _, "terraform", name] => Ok(Placement::Rule(InputKind::TerraformPlan, (*name).to_string())),
        _ => Err(format!(
            "package {path} is not a rule package: rules are `package tollgate.rules.cloudformation.<name>` \
             or `package tollgate.rules.terraform.<name>`; put helpers in a package outside tollgate.rules"
        )),
    }
}

/// The helper library, and the built-in rules if `rules` (empty files are skipped).
pub(super) fn builtin_sources(rules: bool) -> Vec<PolicySource> {
    let mut sources = vec![PolicySource {
        file: REGO_LIB_PATH.to_string(),
        text: REGO_LIB.to_string(),
        builtin: true,
    }];
    for rule in BUILTIN.iter().filter(|_| rules) {
        for (name, text) in [
            ("cloudformation.rego", rule.rego_cloudformation),
            ("terraform.rego", rule.rego_terraform),
        ] {
            if !text.trim().is_empty() {
                sources.push(PolicySource {
                    file: format!("policies/{}/{name}", rule.id),
                    text: text.to_string(),
                    builtin: true,
                });
            }
        }
    }
    sources
}

/// Reads `.rego` files and directories of them.
pub(super) fn read_policy_files(paths: &[PathBuf]) -> (Vec<PolicySource>, Vec<EvalError>) {
    let (found, failures) = files::read_policy_files(paths, is_policy_file);
    let sources = found
        .into_iter()
        .map(|f| PolicySource {
            file: f.path.display().to_string(),
            text: f.text,
            builtin: false,
        })
        .collect();
    let errors = failures
        .iter()
        .map(|failure| match failure {
            ReadFailure::Directory { path, message, .. } | ReadFailure::File { path, message } => {
                read_error(path, message)
            }
        })
        .collect();
    (sources, errors)
}

/// `.rego` files, except `*_test.rego` (policy unit tests).
fn is_policy_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with(".rego") && !name.ends_with("_test.rego")
}

fn read_error(path: &Path, message: &str) -> EvalError {
    EvalError::Syntax {
        file: path.display().to_string(),
        line: 1,
        column: 1,
        message: format!("cannot be read: {message}"),
    }
}

/// The 1-based line of the `package` declaration (1 if there is none).
fn package_line(text: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with("package "))
        .map_or(1, |i| i.saturating_add(1))
}

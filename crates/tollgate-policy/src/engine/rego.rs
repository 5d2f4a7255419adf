//! The Rego engine (regorus).
//!
//! # How rules are found and what they must produce
//!
//! (The user-facing version of this is `docs/writing-rego-policies.md`.)
//!
//! * A rule is a package `tollgate.rules.cloudformation.<name>` or
//!   `tollgate.rules.terraform.<name>`: the package path says which documents it receives, and
//!   rules for the other kind of document are never evaluated. Any other package is a helper
//!   library, loaded beside the rules of both kinds (`policies/lib/tollgate.rego`, package
//!   `tollgate.lib`, is always loaded).
//! * A rule package defines `metadata := {"id": ...}` (a constant object; `title`, `severity`
//!   and `description` are optional and used for users' rules) and a partial set
//!   `deny contains {"message": m, "pointer": p, "resource": r}` — optionally with
//!   `"related": [{"pointer": ..., "message": ...}]`.
//! * Options reach rules as `data.tollgate.options` (e.g. `data.tollgate.options.admin_ports`).
//!
//! # How it runs
//!
//! Every module is parsed and analysed once, when the engine is built: one prepared
//! `regorus::Engine` per input kind. Evaluating a document clones the prepared engine (cheap:
//! modules and analysis are shared), sets the input and queries
//! `data.tollgate.rules.<kind>` once. When that query fails (a rule that errors at run time,
//! or one that exceeds the time limit), each rule package is queried on its own, so the
//! failing rule is named and the others still report.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rayon::prelude::*;
use regorus::utils::limits::ExecutionTimerConfig;
use tollgate_template::InputKind;

use crate::engine::budget::{self, DEFAULT_MEMORY_LIMIT};
use crate::engine::{Engine, EvalError};
use crate::finding::{RawFinding, RelatedPointer, Severity};
use crate::pack::{BUILTIN, REGO_LIB, REGO_LIB_PATH};

mod docs;
mod extensions;

use docs::{remap_resource_index, split, Doc};

/// How long the rules of one kind may run on one document before they are stopped.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The package prefix under which rule packages live.
const RULES_ROOT: [&str; 2] = ["tollgate", "rules"];

/// One Rego source file to load.
#[derive(Debug, Clone)]
pub struct PolicySource {
    /// The name errors and findings use for the file (a path as given, or `policies/<id>/…`).
    pub file: String,
    pub text: String,
    /// Part of the built-in pack.
    pub builtin: bool,
}

/// A rule a [`RegoEngine`] runs, read from its package and its `metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoRule {
    /// `metadata.id`: the rule id findings carry.
    pub id: String,
    pub kind: InputKind,
    /// The full package path, e.g. `tollgate.rules.terraform.sg_ssh_world`.
    pub package: String,
    /// The files that define the package.
    pub files: Vec<String>,
    pub builtin: bool,
    /// `metadata.title`, if given.
    pub title: Option<String>,
    /// `metadata.severity`, if given (`info`, `low`, `medium`, `high`, `critical`).
    pub severity: Option<Severity>,
    /// `metadata.description`, if given.
    pub description: Option<String>,
}

/// The Rego engine: every built-in and user policy compiled once, evaluated per document.
pub struct RegoEngine {
    cloudformation: KindEngine,
    terraform: KindEngine,
    rules: Vec<RegoRule>,
}

impl std::fmt::Debug for RegoEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoEngine")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// The prepared engines for one input kind: one per [`Group`] of rule packages.
struct KindEngine {
    kind: InputKind,
    groups: Vec<Group>,
}

/// Rule packages evaluated together, on the same documents.
struct Group {
    /// What the packages need to see (see [`Scope`]).
    scope: Scope,
    /// Only resources of these types are given to the packages (`None`: all).
    types: Option<BTreeSet<String>>,
    /// Modules loaded and analysed; no options yet.
    base: regorus::Engine,
    /// Rule packages by their last package component.
    packages: BTreeMap<String, Package>,
    /// `base` with the options of the last evaluation merged in and analysed again.
    with_options: Mutex<Option<(serde_json::Value, regorus::Engine)>>,
    /// The memory bound of one evaluation (`None`: unbounded); see [`budget`].
    memory_limit: Option<u64>,
    /// Packages once stopped at the memory limit: suspects, never run again for an overrun.
    over_memory: Mutex<BTreeSet<String>>,
}

/// What a rule package needs to see. Built-in rule files declare it in a header comment
/// (`# tollgate: scope=resource`, `# tollgate: types=aws_vpc,...`); users' rules always see the
/// whole document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The whole document (its resources possibly filtered by type): rules that join
    /// resources, and every user rule.
    Document,
    /// Any subset of the resources (with the other top-level keys): a finding about a
    /// resource depends on that resource alone, so the resources are evaluated in chunks, in
    /// parallel.
    Resource,
}

/// The `# tollgate:` header of a built-in rule file: its scope and resource types (`types=*`
/// or no `types`: any type). Every resource-scoped built-in file lists its types, so the
/// chunks hold only resources some rule of the group looks at (filtered before they are
/// converted); `tests::type_lists_cover_what_the_rules_look_at` checks the lists.
fn read_header(text: &str) -> (Scope, Option<BTreeSet<String>>) {
    let mut scope = Scope::Document;
    let mut types = None;
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("tollgate:") else {
            continue;
        };
        for item in rest.split_whitespace() {
            match item.split_once('=') {
                Some(("scope", "resource")) => scope = Scope::Resource,
                Some(("scope", _)) => scope = Scope::Document,
                // `*`: resources of any type.
                Some(("types", "*")) => types = None,
                Some(("types", list)) => {
                    types = Some(list.split(',').map(str::to_string).collect());
                }
                _ => {}
            }
        }
    }
    (scope, types)
}

#[derive(Debug, Clone)]
struct Package {
    id: String,
    files: Vec<String>,
}

impl Package {
    fn file_label(&self) -> String {
        self.files.join(", ")
    }
}

/// A module after its first parse: where it goes.
enum Placement {
    /// Helper library: loaded for both kinds.
    Library,
    /// A rule package of one kind, with its name (the last package component).
    Rule(InputKind, String),
}

impl RegoEngine {
    /// The built-in pack only.
    pub fn builtin() -> Result<Self, Vec<EvalError>> {
        let (engine, errors) = Self::from_sources(Vec::new(), true);
        if errors.is_empty() {
            Ok(engine)
        } else {
            Err(errors)
        }
    }

    /// The built-in pack plus users' policies: `.rego` files, and directories searched
    /// recursively for `.rego` files (files named `*_test.rego` hold policy unit tests and are
    /// skipped). A file that cannot be read or does not compile is reported and left out; the
    /// rest is loaded.
    pub fn with_user_policies(paths: &[PathBuf]) -> (Self, Vec<EvalError>) {
        let (sources, mut errors) = read_policy_files(paths);
        let (engine, more) = Self::from_sources(sources, true);
        errors.extend(more);
        (engine, errors)
    }

    /// Policies given as text, with the built-in rules if `include_builtin` (the helper library
    /// `tollgate.lib` is always loaded).
    pub fn from_sources(
        sources: Vec<PolicySource>,
        include_builtin: bool,
    ) -> (Self, Vec<EvalError>) {
        let mut all = builtin_sources(include_builtin);
        all.extend(sources);
        let mut errors = Vec::new();

        // Parse each module once to check it and to learn where it goes.
        let mut placed: Vec<(PolicySource, Placement)> = Vec::new();
        for source in all {
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

        let mut rules = Vec::new();
        let cloudformation =
            KindEngine::build(InputKind::CloudFormation, &placed, &mut rules, &mut errors);
        let terraform =
            KindEngine::build(InputKind::TerraformPlan, &placed, &mut rules, &mut errors);
        dedup_errors(&mut errors);
        (
            Self {
                cloudformation,
                terraform,
                rules,
            },
            errors,
        )
    }

    /// The rules this engine runs, with what their `metadata` says.
    pub fn rules(&self) -> &[RegoRule] {
        &self.rules
    }

    /// Changes how long the rules of one kind may run on one document (default
    /// [`DEFAULT_TIME_LIMIT`]).
    pub fn set_time_limit(&mut self, limit: Duration) {
        for kind in [&mut self.cloudformation, &mut self.terraform] {
            for group in &mut kind.groups {
                group.base.set_execution_timer_config(timer(limit));
                *group
                    .with_options
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
        }
    }

    /// Changes how much memory one evaluation of the rules of one kind on one document may
    /// allocate before it is stopped (default [`DEFAULT_MEMORY_LIMIT`]; `None` or 0: no
    /// bound).
    pub fn set_memory_limit(&mut self, limit: Option<u64>) {
        let limit = limit.filter(|l| *l > 0);
        for kind in [&mut self.cloudformation, &mut self.terraform] {
            for group in &mut kind.groups {
                group.memory_limit = limit;
            }
        }
    }

    fn for_kind(&self, kind: InputKind) -> &KindEngine {
        match kind {
            InputKind::CloudFormation => &self.cloudformation,
            InputKind::TerraformPlan => &self.terraform,
        }
    }
}

impl Engine for RegoEngine {
    fn user_severities(&self) -> Vec<(String, Severity)> {
        self.rules
            .iter()
            .filter(|r| !r.builtin)
            .map(|r| (r.id.clone(), r.severity.unwrap_or(Severity::Medium)))
            .collect()
    }

    fn evaluate(
        &self,
        kind: InputKind,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        self.for_kind(kind).evaluate(input, options)
    }
}

impl KindEngine {
    /// Loads the library modules and this kind's rule modules, analyses them, and reads each
    /// rule's metadata. Modules that fail are reported and left out.
    fn build(
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

        let groups = Self::group(&modules, engine, packages);
        Self { kind, groups }
    }

    /// Splits the packages into a group of built-in resource-scoped packages, evaluated on
    /// chunks of resources, and a group of the others (each with its own prepared engine).
    /// Keeps one group when there is nothing to split or a split engine does not analyse.
    fn group(
        modules: &[(&PolicySource, Option<String>)],
        combined: regorus::Engine,
        packages: BTreeMap<String, Package>,
    ) -> Vec<Group> {
        // A package's scope and types: from its modules' headers, built-in modules only.
        let mut header: BTreeMap<&str, (Scope, Option<BTreeSet<String>>)> = BTreeMap::new();
        for name in packages.keys() {
            let files: Vec<&PolicySource> = modules
                .iter()
                .filter(|(_, n)| n.as_deref() == Some(name.as_str()))
                .map(|(s, _)| *s)
                .collect();
            let (scope, types) = if !files.is_empty() && files.iter().all(|s| s.builtin) {
                let headers: Vec<_> = files.iter().map(|s| read_header(&s.text)).collect();
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

    fn evaluate(
        &self,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for group in self.groups.iter().filter(|g| !g.packages.is_empty()) {
            let (f, e) = group.evaluate(self.kind, input, options);
            findings.extend(f);
            errors.extend(e);
        }
        findings.sort();
        findings.dedup();
        dedup_errors(&mut errors);
        (findings, errors)
    }
}

impl Group {
    /// Evaluates the group's packages on `input`: the whole document, the document with only
    /// the resources of the group's types, or chunks of those resources in parallel.
    fn evaluate(
        &self,
        kind: InputKind,
        input: &serde_json::Value,
        options: &serde_json::Value,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        let engine = match self.engine_with(options) {
            Ok(engine) => engine,
            Err(error) => return (Vec::new(), vec![error]),
        };
        let pieces = match split(kind, input, self.scope, self.types.as_ref()) {
            Some(pieces) => pieces,
            None => {
                // Not the usual shape (no resource collection): the whole document.
                let doc = Doc {
                    value: docs::convert(input),
                    index: None,
                };
                return self.evaluate_doc(kind, engine, doc);
            }
        };
        let results: Vec<(Vec<RawFinding>, Vec<EvalError>)> = pieces
            .chunks(self.scope)
            .into_par_iter()
            .map(|chunk| {
                let doc = chunk.build();
                self.evaluate_doc(kind, engine.clone(), doc)
            })
            .collect();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (f, e) in results {
            findings.extend(f);
            errors.extend(e);
        }
        (findings, errors)
    }

    /// Runs the packages on one document and maps its pointers back to the input's.
    fn evaluate_doc(
        &self,
        kind: InputKind,
        mut engine: regorus::Engine,
        doc: Doc,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        engine.set_input(doc.value);
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let all = format!("data.tollgate.rules.{}", kind_segment(kind));
        let any_suspect = !self
            .over_memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        match budget::bounded(self.memory_limit, any_suspect, || {
            engine.eval_query(all.clone(), false)
        }) {
            Ok(results) => {
                let value = first_value(&results).unwrap_or(serde_json::Value::Null);
                for (name, package) in &self.packages {
                    let deny = value
                        .get(name)
                        .and_then(|p| p.get("deny"))
                        .unwrap_or(&serde_json::Value::Null);
                    convert(package, deny, &mut findings, &mut errors);
                }
            }
            Err(_) => {
                // Find the failing rules; the others still report.
                for (name, package) in &self.packages {
                    let query = format!("{}.deny", package_query(kind, name));
                    let suspect = self
                        .over_memory
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .contains(name);
                    match budget::bounded(self.memory_limit, suspect, || {
                        engine.eval_query(query.clone(), false)
                    }) {
                        Ok(results) => {
                            let deny = first_value(&results).unwrap_or(serde_json::Value::Null);
                            convert(package, &deny, &mut findings, &mut errors);
                        }
                        Err(err) => {
                            if budget::is_memory_limit(&err) {
                                self.over_memory
                                    .lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .insert(name.clone());
                            }
                            errors.push(run_error(package, &err, self.memory_limit));
                        }
                    }
                }
            }
        }
        if let Some(index) = &doc.index {
            for f in &mut findings {
                remap_resource_index(&mut f.pointer, index);
                for r in &mut f.related {
                    remap_resource_index(&mut r.pointer, index);
                }
            }
        }
        (findings, errors)
    }

    /// A clone of the prepared engine with `options` as `data.tollgate.options`.
    fn engine_with(&self, options: &serde_json::Value) -> Result<regorus::Engine, EvalError> {
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
fn new_regorus() -> regorus::Engine {
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

fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::MIN.saturating_add(999),
    }
}

fn kind_segment(kind: InputKind) -> &'static str {
    match kind {
        InputKind::CloudFormation => "cloudformation",
        InputKind::TerraformPlan => "terraform",
    }
}

/// `data.tollgate.rules.<kind>["<name>"]`.
fn package_query(kind: InputKind, name: &str) -> String {
    let quoted = serde_json::Value::String(name.to_string()).to_string();
    format!("data.tollgate.rules.{}[{quoted}]", kind_segment(kind))
}

/// Where a module with package `data.<package>` goes.
fn placement(package: &str) -> Result<Placement, String> {
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
fn builtin_sources(rules: bool) -> Vec<PolicySource> {
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
fn read_policy_files(paths: &[PathBuf]) -> (Vec<PolicySource>, Vec<EvalError>) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_map(|entry| match entry {
                    Ok(entry) => Some(entry.into_path()),
                    Err(err) => {
                        errors.push(read_error(
                            err.path().unwrap_or(path.as_path()),
                            &err.to_string(),
                        ));
                        None
                    }
                })
                .filter(|p| p.is_file() && is_policy_file(p))
                .collect();
            files.append(&mut found);
        } else {
            files.push(path.clone());
        }
    }
    let mut sources = Vec::new();
    for file in files {
        match std::fs::read_to_string(&file) {
            Ok(text) => sources.push(PolicySource {
                file: file.display().to_string(),
                text,
                builtin: false,
            }),
            Err(err) => errors.push(read_error(&file, &err.to_string())),
        }
    }
    (sources, errors)
}

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

/// The first value of a query's first result, as JSON.
fn first_value(results: &regorus::QueryResults) -> Option<serde_json::Value> {
    let value = &results.result.first()?.expressions.first()?.value;
    serde_json::to_value(value).ok()
}

/// regorus errors read `\n--> file:line:col\n<snippet>\nerror: message`; the location and the
/// message, if the error has that shape.
struct Located {
    file: String,
    line: usize,
    column: usize,
}

fn locate(text: &str) -> Option<Located> {
    let start = text.find("--> ")?.saturating_add(4);
    let rest = text.get(start..)?;
    let location = rest.lines().next()?;
    let mut parts = location.rsplitn(3, ':');
    let column = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    let file = parts.next()?.to_string();
    Some(Located { file, line, column })
}

/// regorus puts the message on the last non-empty line, after the source snippet.
fn last_message_line(full: &str) -> &str {
    let line = full
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(full)
        .trim();
    line.strip_prefix("error: ").unwrap_or(line)
}

/// The message of a regorus error without its source snippet.
fn error_text(err: &anyhow::Error) -> String {
    let full = format!("{err:#}");
    let message = last_message_line(&full);
    match locate(&full) {
        Some(at) => format!("{message} (at {}:{}:{})", at.file, at.line, at.column),
        None => message.to_string(),
    }
}

fn syntax_error(file: &str, err: &anyhow::Error) -> EvalError {
    let full = format!("{err:#}");
    let message = last_message_line(&full).to_string();
    match locate(&full) {
        Some(at) => EvalError::Syntax {
            file: at.file,
            line: at.line,
            column: at.column,
            message,
        },
        None => EvalError::Syntax {
            file: file.to_string(),
            line: 1,
            column: 1,
            message,
        },
    }
}

fn is_limit(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<regorus::LimitError>().is_some())
        || format!("{err:#}").contains("exceeded time limit")
        || budget::is_memory_limit(err)
}

/// The limit error of `file`, if `err` is a limit (`memory_limit`: the evaluation's bound).
fn limit_error(file: String, err: &anyhow::Error, memory_limit: Option<u64>) -> Option<EvalError> {
    if !is_limit(err) {
        return None;
    }
    let limit = match err
        .chain()
        .find_map(|e| e.downcast_ref::<regorus::LimitError>())
    {
        Some(regorus::LimitError::MemoryLimitExceeded { .. }) => memory_name(memory_limit),
        Some(other) => limit_name(other),
        None if budget::is_memory_limit(err) => memory_name(memory_limit),
        None => "time".to_string(),
    };
    Some(EvalError::Limit { file, limit })
}

fn memory_name(limit: Option<u64>) -> String {
    match limit {
        Some(bytes) => format!("memory ({})", budget::show_bytes(bytes)),
        None => "memory".to_string(),
    }
}

fn run_error(package: &Package, err: &anyhow::Error, memory_limit: Option<u64>) -> EvalError {
    if let Some(limit) = limit_error(package.file_label(), err, memory_limit) {
        return limit;
    }
    let text = format!("{err:#}");
    let file = locate(&text)
        .map(|at| at.file)
        .filter(|f| package.files.contains(f))
        .unwrap_or_else(|| package.file_label());
    EvalError::Runtime {
        file,
        message: format!("rule {}: {}", package.id, error_text(err)),
    }
}

fn limit_name(err: &regorus::LimitError) -> String {
    match err {
        regorus::LimitError::TimeLimitExceeded { limit, .. } => {
            format!("time ({} s)", limit.as_secs_f64())
        }
        regorus::LimitError::MemoryLimitExceeded { .. } => "memory".to_string(),
        regorus::LimitError::RegexSizeLimitExceeded { .. } => "regex size".to_string(),
    }
}

/// Turns a package's `deny` value (a set, as a JSON array) into findings.
fn convert(
    package: &Package,
    deny: &serde_json::Value,
    findings: &mut Vec<RawFinding>,
    errors: &mut Vec<EvalError>,
) {
    let entries = match deny {
        serde_json::Value::Null => return,
        serde_json::Value::Array(entries) => entries,
        other => {
            errors.push(EvalError::Runtime {
                file: package.file_label(),
                message: format!(
                    "rule {}: `deny` must be a set of objects, not {}",
                    package.id,
                    json_type(other)
                ),
            });
            return;
        }
    };
    for entry in entries {
        match finding(&package.id, entry) {
            Ok(f) => findings.push(f),
            Err(message) => errors.push(EvalError::Runtime {
                file: package.file_label(),
                message: format!("rule {}: {message}", package.id),
            }),
        }
    }
}

fn finding(rule: &str, entry: &serde_json::Value) -> Result<RawFinding, String> {
    let field = |key: &str| -> Result<String, String> {
        entry
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("deny entry {entry} has no string {key:?}"))
    };
    let pointer = field("pointer")?;
    if !(pointer.is_empty() || pointer.starts_with('/')) {
        return Err(format!(
            "deny entry {entry}: {pointer:?} is not a JSON pointer (it must start with '/')"
        ));
    }
    let mut related = Vec::new();
    match entry.get("related") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Array(items)) => {
            for item in items {
                let get = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::to_string);
                match (get("pointer"), get("message")) {
                    (Some(pointer), Some(message)) => {
                        related.push(RelatedPointer { pointer, message })
                    }
                    _ => {
                        return Err(format!(
                            "related entry {item} needs a string \"pointer\" and \"message\""
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "\"related\" of deny entry {entry} must be an array, not {}",
                json_type(other)
            ))
        }
    }
    Ok(RawFinding {
        rule: rule.to_string(),
        resource: field("resource")?,
        pointer,
        message: field("message")?,
        related,
    })
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn dedup_errors(errors: &mut Vec<EvalError>) {
    let mut seen = BTreeSet::new();
    errors.retain(|e| seen.insert(e.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(file: &str, text: &str) -> PolicySource {
        PolicySource {
            file: file.to_string(),
            text: text.to_string(),
            builtin: false,
        }
    }

    const ALWAYS_CFN: &str = r#"
package tollgate.rules.cloudformation.always
import data.tollgate.lib
metadata := {"id": "always", "title": "Always", "severity": "low", "description": "d"}
deny contains {"message": "m", "pointer": lib.pointer(["Resources", name]), "resource": name,
               "related": [{"pointer": "/Parameters", "message": "here"}]} if {
    some name, _ in lib.items(input.Resources)
}
"#;

    fn cfn_doc() -> serde_json::Value {
        json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
    }

    fn opts() -> serde_json::Value {
        json!({"admin_ports": [22, 3389]})
    }

    #[test]
    fn user_rule_findings_metadata_and_related() {
        let (engine, errors) =
            RegoEngine::from_sources(vec![user("mine/always.rego", ALWAYS_CFN)], false);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            engine.rules(),
            &[RegoRule {
                id: "always".into(),
                kind: InputKind::CloudFormation,
                package: "tollgate.rules.cloudformation.always".into(),
                files: vec!["mine/always.rego".into()],
                builtin: false,
                title: Some("Always".into()),
                severity: Some(Severity::Low),
                description: Some("d".into()),
            }]
        );
        let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            findings,
            vec![RawFinding {
                rule: "always".into(),
                resource: "B".into(),
                pointer: "/Resources/B".into(),
                message: "m".into(),
                related: vec![RelatedPointer {
                    pointer: "/Parameters".into(),
                    message: "here".into()
                }],
            }]
        );
        // A CloudFormation rule never sees a Terraform document.
        let tf = json!({"Resources": {"B": {}}, "resources": []});
        let (findings, errors) = engine.evaluate(InputKind::TerraformPlan, &tf, &opts());
        assert!(findings.is_empty() && errors.is_empty());
    }

    #[test]
    fn syntax_error_names_file_line_and_column_and_the_rest_loads() {
        let broken = "package tollgate.rules.cloudformation.broken\n\nmetadata := {\"id\": \"broken\"}\ndeny contains x if {\n  x := \n}\n";
        let (engine, errors) = RegoEngine::from_sources(
            vec![
                user("p/broken.rego", broken),
                user("p/always.rego", ALWAYS_CFN),
            ],
            true,
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        match &errors[0] {
            EvalError::Syntax {
                file, line, column, ..
            } => {
                assert_eq!(file, "p/broken.rego");
                assert!(*line >= 5 && *line <= 6, "line {line}");
                assert!(*column >= 1);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(engine.rules().len(), 23);
        let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
        assert!(errors.is_empty());
        let rules: BTreeSet<_> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, BTreeSet::from(["always", "s3-bucket-unencrypted"]));
    }

    #[test]
    fn analysis_error_is_attributed_to_its_file() {
        let unsafe_var = "package tollgate.rules.terraform.unsafe\nmetadata := {\"id\": \"unsafe\"}\ndeny contains x if {\n  y == 1\n  x := {}\n}\n";
        let (engine, errors) =
            RegoEngine::from_sources(vec![user("u/unsafe.rego", unsafe_var)], true);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(&errors[0], EvalError::Syntax { file, line: 4, .. } if file == "u/unsafe.rego"),
            "{errors:?}"
        );
        assert_eq!(engine.rules().len(), 22);
    }

    #[test]
    fn package_and_metadata_mistakes_are_load_errors() {
        let sources = vec![
            user("a.rego", "package tollgate.rules.kubernetes.x\nmetadata := {\"id\": \"x\"}\n"),
            user("b.rego", "package tollgate.rules.terraform.nometa\ndeny contains 1 if false\n"),
            user("c.rego", "package tollgate.rules.terraform.badsev\nmetadata := {\"id\": \"s\", \"severity\": \"urgent\"}\n"),
            user("d.rego", "package tollgate.rules.terraform.dup\nmetadata := {\"id\": \"s3-bucket-unencrypted\"}\n"),
            user("e.rego", "package my.helpers\nf(x) := x\n"),
        ];
        let (engine, errors) = RegoEngine::from_sources(sources, true);
        let files: Vec<_> = errors
            .iter()
            .map(|e| match e {
                EvalError::Syntax { file, .. } => file.as_str(),
                _ => "?",
            })
            .collect();
        let mut files = files;
        files.sort_unstable();
        assert_eq!(
            files,
            vec!["a.rego", "b.rego", "c.rego", "d.rego"],
            "{errors:?}"
        );
        assert_eq!(engine.rules().len(), 22);
    }

    #[test]
    fn runtime_error_names_the_file_and_other_rules_still_run() {
        let failing = r#"
package tollgate.rules.cloudformation.failing
metadata := {"id": "failing"}
f(_) := 1
f(_) := 2
deny contains {"message": "x", "pointer": "", "resource": "x"} if f(1) == 1
"#;
        let bad_entry = r#"
package tollgate.rules.cloudformation.bad_entry
metadata := {"id": "bad-entry"}
deny contains {"message": "no pointer", "resource": "x"}
"#;
        let (engine, errors) = RegoEngine::from_sources(
            vec![
                user("r/failing.rego", failing),
                user("r/bad.rego", bad_entry),
            ],
            true,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule, "s3-bucket-unencrypted");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| matches!(e, EvalError::Runtime { file, .. } if file == "r/failing.rego")));
        assert!(errors.iter().any(
            |e| matches!(e, EvalError::Runtime { file, message } if file == "r/bad.rego" && message.contains("pointer"))
        ));
    }

    #[test]
    fn a_runaway_rule_hits_the_time_limit() {
        let slow = r#"
package tollgate.rules.terraform.slow
metadata := {"id": "slow"}
deny contains {"message": "x", "pointer": "", "resource": "x"} if {
    some i in numbers.range(1, 4000)
    some j in numbers.range(1, 4000)
    i * j < 0
}
"#;
        let (mut engine, errors) = RegoEngine::from_sources(vec![user("s/slow.rego", slow)], true);
        assert!(errors.is_empty(), "{errors:?}");
        engine.set_time_limit(Duration::from_millis(200));
        let doc = json!({"resources": [{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket",
            "mode": "managed", "config_address": "aws_s3_bucket.b", "after": {"bucket": "b"},
            "after_unknown": {}, "references": {}}]});
        let started = std::time::Instant::now();
        let (findings, errors) = engine.evaluate(InputKind::TerraformPlan, &doc, &opts());
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            matches!(&errors[..], [EvalError::Limit { file, .. }] if file == "s/slow.rego"),
            "{errors:?}"
        );
    }

    #[test]
    fn options_are_data_tollgate_options_and_may_change() {
        let echo = r#"
package tollgate.rules.cloudformation.echo
metadata := {"id": "echo"}
deny contains {"message": sprintf("%v", [data.tollgate.options.admin_ports]), "pointer": "", "resource": "-"}
"#;
        let (engine, errors) = RegoEngine::from_sources(vec![user("echo.rego", echo)], false);
        assert!(errors.is_empty(), "{errors:?}");
        for ports in [json!([22]), json!([2222, 22]), json!([22])] {
            let (findings, errors) = engine.evaluate(
                InputKind::CloudFormation,
                &json!({}),
                &json!({"admin_ports": ports}),
            );
            assert!(errors.is_empty());
            assert_eq!(findings[0].message, ports.to_string().replace(',', ", "));
        }
    }

    #[test]
    fn user_policy_directories() {
        let dir = std::env::temp_dir().join(format!("tollgate-rego-{}", std::process::id()));
        let nested = dir.join("nested");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join("always.rego"), ALWAYS_CFN).unwrap();
        std::fs::write(nested.join("always_test.rego"), "not even rego").unwrap();
        std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
        let (engine, errors) =
            RegoEngine::with_user_policies(&[dir.clone(), dir.join("missing.rego")]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(&errors[0], EvalError::Syntax { file, .. } if file.ends_with("missing.rego"))
        );
        assert!(engine
            .rules()
            .iter()
            .any(|r| r.id == "always" && !r.builtin));
    }

    #[test]
    fn error_location_parsing() {
        let at = locate("\n--> dir/a b.rego:12:5\n   |\n12 | x\n   | ^\nerror: oops");
        assert!(
            matches!(at, Some(Located { file, line: 12, column: 5 }) if file == "dir/a b.rego")
        );
        assert!(locate("no location").is_none());
    }

    /// The engine with the type filters of its resource-scoped groups dropped.
    fn without_type_filter(mut engine: RegoEngine) -> RegoEngine {
        for kind in [&mut engine.cloudformation, &mut engine.terraform] {
            for group in &mut kind.groups {
                if group.scope == Scope::Resource {
                    group.types = None;
                }
            }
        }
        engine
    }

    /// Resource-type literals (`"AWS::X::Y"`, `"aws_x"`) in Rego text, comments left out.
    fn type_literals(text: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            for (i, piece) in line.split('"').enumerate() {
                let is_type = piece.starts_with("AWS::") && piece.matches("::").count() == 2
                    || piece.starts_with("aws_")
                        && piece
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if i % 2 == 1 && is_type {
                    found.insert(piece.to_string());
                }
            }
        }
        found
    }

    /// The text of each top-level rule or function of a module, by name (all definitions).
    fn definitions(text: &str) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let starts = line
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if starts {
                let name: String = line
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                current = Some(name);
            }
            if let Some(name) = &current {
                let body = out.entry(name.clone()).or_default();
                body.push_str(line);
                body.push('\n');
            }
        }
        out
    }

    /// Every resource-scoped built-in rule file lists the types it looks at: statically (the
    /// type literals of the file and of the library sets it refers to are in its list), and
    /// by running every fixture and the shared corpus with and without the type filter.
    #[test]
    fn type_lists_cover_what_the_rules_look_at() {
        let lib = definitions(REGO_LIB);
        let mut checked_files = 0;
        for source in builtin_sources(true)
            .iter()
            .filter(|s| s.file != REGO_LIB_PATH)
        {
            let (scope, types) = read_header(&source.text);
            if scope != Scope::Resource {
                continue;
            }
            let Some(types) = types else {
                continue; // `types=*`: every resource is kept.
            };
            let mut used = type_literals(&source.text);
            for (name, body) in &lib {
                if source.text.contains(&format!("data.tollgate.lib.{name}\n"))
                    || source.text.contains(&format!("data.tollgate.lib.{name} "))
                {
                    used.extend(type_literals(body));
                }
            }
            let missing: Vec<_> = used.difference(&types).collect();
            assert!(
                missing.is_empty(),
                "{} looks at types missing from its `# tollgate: types=` header: {missing:?}",
                source.file
            );
            checked_files += 1;
        }
        // 18 resource-scoped files: terraform ebs-unencrypted joins resources (encryption by
        // default), so it is document-scoped.
        assert!(checked_files >= 18, "{checked_files}");

        let filtered = RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let unfiltered =
            without_type_filter(RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}")));
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files: Vec<PathBuf> = Vec::new();
        let corpus = tollgate_corpus::corpus();
        for dir in [root.join("testdata"), root.join("policies")]
            .into_iter()
            .chain(corpus.clone())
        {
            files.extend(
                walkdir::WalkDir::new(dir)
                    .into_iter()
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_file())
                    .map(walkdir::DirEntry::into_path),
            );
        }
        files.sort();
        let options = crate::default_options();
        let (mut documents, mut with_findings) = (0, 0);
        for path in &files {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            let name = path.display().to_string();
            let Ok(tollgate_template::Outcome::Loaded(loaded)) =
                tollgate_template::load(&name, &bytes, &tollgate_template::LoadOptions::default())
            else {
                continue;
            };
            let (a, ea) = crate::check(&filtered, &loaded, &options);
            let (b, eb) = crate::check(&unfiltered, &loaded, &options);
            let key = |f: &crate::Finding| {
                (
                    f.rule.clone(),
                    f.resource.clone(),
                    f.pointer.clone(),
                    f.message.clone(),
                )
            };
            let a: BTreeSet<_> = a.iter().map(key).collect();
            let b: BTreeSet<_> = b.iter().map(key).collect();
            assert_eq!(a, b, "{name}: the type filter changes the findings");
            assert_eq!(ea.len(), eb.len(), "{name}");
            documents += 1;
            with_findings += usize::from(!a.is_empty());
        }
        // The fixtures alone, or the fixtures and the corpus.
        let (at_least, with_findings_at_least) = if corpus.is_some() {
            (1600, 100)
        } else {
            (100, 50)
        };
        assert!(documents > at_least, "{documents} documents");
        assert!(
            with_findings > with_findings_at_least,
            "{with_findings} documents with findings"
        );
    }
}

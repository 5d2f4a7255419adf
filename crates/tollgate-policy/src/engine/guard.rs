//! The Guard engine (cfn-guard).
//!
//! cfn-guard 3.2.1 exposes no compiled-rules API: its evaluator is `pub(crate)` and built on
//! `Rc`, and both public entry points take the rules as text and parse them on every call.
//! This adapter therefore keeps each policy file as validated source (parsed once at
//! construction, so a syntax error is reported before any document is read) and evaluates it
//! through `ValidateBuilder` in *payload* mode with structured JSON output: one call evaluates
//! one rule file against a batch of small documents (one per resource, or one per document for
//! rules that join resources), which bounds memory and amortises the rule parse.
//!
//! `run_checks` is not used for evaluation: its non-verbose report is read back from a
//! `BufWriter`'s internal buffer, so any report longer than 8 KiB comes back truncated (only
//! the bytes after the last flush). It is used only to validate rule files, where just its
//! error matters.
//!
//! Guard reports failing checks with the path of the offending value; custom messages
//! (`<< >>`) are static. The conventions that turn a report into findings (which rule, where it
//! points, what it says) are in `docs/writing-guard-policies.md`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::commands::Executable;
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder, ValidateInput};
use rayon::prelude::*;
use serde_json::{Map, Value};
use tollgate_template::InputKind;

use super::{Engine, EvalError};
use crate::finding::{RawFinding, Severity};
use crate::pack::BUILTIN;

/// At most this many documents, and about this many bytes of them, go into one cfn-guard call.
const MAX_BATCH_DOCS: usize = 256;
const MAX_BATCH_BYTES: usize = 1 << 20;

/// The default remote-administration ports (rule option `admin_ports`).
const DEFAULT_ADMIN_PORTS: [i64; 2] = [22, 3389];

/// What documents a policy file is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuardScope {
    /// One document per resource (`Resources` holding one entry, or `resources` holding one
    /// element), each with `tollgate_options`. The default.
    #[default]
    Resource,
    /// The whole document (filtered to `types` if given), with `tollgate_options`.
    Document,
}

/// One named rule of a policy file and the tollgate rule id its findings carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardRuleName {
    /// The Guard rule name (`sg_ssh_world`).
    pub name: String,
    /// The tollgate rule id (`sg-ssh-world`).
    pub id: String,
}

/// A validated Guard policy file.
#[derive(Debug, Clone)]
pub struct GuardPolicy {
    /// `policies/<id>/<kind>.guard` for built-ins, the path as given for user files.
    pub file: String,
    /// The input kinds the file applies to.
    pub kinds: Vec<InputKind>,
    /// The rules the file declares.
    pub rules: Vec<GuardRuleName>,
    /// `# tollgate: severity=` of a user file (built-ins take theirs from `rule.toml`).
    pub severity: Option<Severity>,
    pub scope: GuardScope,
    /// `# tollgate: types=`: only resources of these types are evaluated (`None`: all).
    pub types: Option<Vec<String>>,
    pub builtin: bool,
    source: String,
}

/// The Guard engine: the built-in pack and any user policy files.
#[derive(Debug, Clone, Default)]
pub struct GuardEngine {
    policies: Vec<GuardPolicy>,
}

impl GuardEngine {
    /// The built-in pack. Errors name the rule files that did not load; the others still do.
    pub fn new() -> (Self, Vec<EvalError>) {
        let mut engine = GuardEngine::default();
        let mut errors = Vec::new();
        for rule in BUILTIN {
            for (kind, name, source) in [
                (
                    InputKind::CloudFormation,
                    "cloudformation",
                    rule.guard_cloudformation,
                ),
                (InputKind::TerraformPlan, "terraform", rule.guard_terraform),
            ] {
                if source.trim().is_empty() {
                    continue;
                }
                let file = format!("policies/{}/{name}.guard", rule.id);
                match GuardPolicy::parse(&file, source, Some((rule.id, kind))) {
                    Ok(policy) => engine.policies.push(policy),
                    Err(e) => errors.push(e),
                }
            }
        }
        (engine, errors)
    }

    /// The built-in pack plus the user policy files at `paths` (files, or directories searched
    /// recursively for `*.guard`). A file that does not load is reported and left out.
    pub fn with_user_policies<P: AsRef<Path>>(paths: &[P]) -> (Self, Vec<EvalError>) {
        let (mut engine, mut errors) = GuardEngine::new();
        for path in paths {
            for file in guard_files(path.as_ref(), &mut errors) {
                let shown = file.display().to_string();
                let source = match std::fs::read_to_string(&file) {
                    Ok(s) => s,
                    Err(e) => {
                        errors.push(EvalError::Runtime {
                            file: shown,
                            message: format!("cannot read the policy file: {e}"),
                        });
                        continue;
                    }
                };
                match GuardPolicy::parse(&shown, &source, None) {
                    Ok(policy) => {
                        if let Some(dup) = policy.rules.iter().find(|r| engine.has_rule(&r.id)) {
                            errors.push(EvalError::Runtime {
                                file: shown,
                                message: format!("rule id `{}` is already defined", dup.id),
                            });
                        } else {
                            engine.policies.push(policy);
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        (engine, errors)
    }

    /// Every loaded policy file.
    pub fn policies(&self) -> &[GuardPolicy] {
        &self.policies
    }

    fn has_rule(&self, id: &str) -> bool {
        self.policies
            .iter()
            .any(|p| p.rules.iter().any(|r| r.id == id))
    }

    /// Evaluates one policy file on one document.
    fn evaluate_policy(
        &self,
        policy: &GuardPolicy,
        kind: InputKind,
        input: &Value,
        options: &Value,
    ) -> (Vec<RawFinding>, Option<EvalError>) {
        let units = build_units(policy, kind, input, options);
        // Batches are independent: evaluate them on all cores, keep their order.
        let results: Vec<Result<Vec<Hit>, String>> = batches(&units)
            .into_par_iter()
            .map(|batch| {
                let reports = run_batch(&policy.source, batch)?;
                let mut hits = Vec::new();
                for (unit, report) in batch.iter().zip(reports.iter()) {
                    collect_hits(report, unit, &mut hits);
                }
                Ok(hits)
            })
            .collect();
        let mut hits: Vec<Hit> = Vec::new();
        for result in results {
            match result {
                Ok(mut h) => hits.append(&mut h),
                Err(message) => {
                    return (
                        Vec::new(),
                        Some(EvalError::Runtime {
                            file: policy.file.clone(),
                            message,
                        }),
                    );
                }
            }
        }
        findings_from_hits(policy, kind, input, hits)
    }
}

impl Engine for GuardEngine {
    fn user_severities(&self) -> Vec<(String, Severity)> {
        self.policies
            .iter()
            .filter(|p| !p.builtin)
            .flat_map(|p| {
                let severity = p.severity.unwrap_or(Severity::Medium);
                p.rules.iter().map(move |r| (r.id.clone(), severity))
            })
            .collect()
    }

    fn evaluate(
        &self,
        kind: InputKind,
        input: &Value,
        options: &Value,
    ) -> (Vec<RawFinding>, Vec<EvalError>) {
        let options = normalize_options(options);
        let policies: Vec<&GuardPolicy> = self
            .policies
            .iter()
            .filter(|p| p.kinds.contains(&kind))
            .collect();
        // Policy files are independent: evaluate them on all cores, keep their order.
        let results: Vec<(Vec<RawFinding>, Option<EvalError>)> = policies
            .into_par_iter()
            .map(|policy| self.evaluate_policy(policy, kind, input, &options))
            .collect();
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        for (mut f, e) in results {
            findings.append(&mut f);
            errors.extend(e);
        }
        (findings, errors)
    }
}

// ------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------

impl GuardPolicy {
    /// Validates `source` and reads its `# tollgate:` header. `builtin` gives the rule id and
    /// input kind of a built-in file.
    fn parse(
        file: &str,
        source: &str,
        builtin: Option<(&str, InputKind)>,
    ) -> Result<Self, EvalError> {
        validate_syntax(file, source)?;
        let header = Header::read(file, source)?;
        let names = rule_names(source);
        let rules = names
            .into_iter()
            .map(|name| {
                let id = match builtin {
                    Some((id, _)) if name == id.replace('-', "_") => id.to_string(),
                    _ => name.replace('_', "-"),
                };
                GuardRuleName { name, id }
            })
            .collect();
        let kinds = match builtin {
            Some((_, kind)) => vec![kind],
            None => header
                .input
                .unwrap_or_else(|| vec![InputKind::CloudFormation, InputKind::TerraformPlan]),
        };
        Ok(GuardPolicy {
            file: file.to_string(),
            kinds,
            rules,
            severity: header.severity,
            scope: header.scope,
            types: header.types,
            builtin: builtin.is_some(),
            source: source.to_string(),
        })
    }
}

/// Parses the rules once (cfn-guard offers no other way than a `run_checks` on an empty
/// document) and turns a parse error into [`EvalError::Syntax`] with its 1-based position.
fn validate_syntax(file: &str, source: &str) -> Result<(), EvalError> {
    let result = cfn_guard::run_checks(
        ValidateInput {
            content: "{}",
            file_name: "validate.json",
        },
        ValidateInput {
            content: source,
            file_name: file,
        },
        false,
    );
    match result {
        Ok(_) => Ok(()),
        Err(e) => {
            let message = e.to_string();
            match parse_position(&message) {
                Some((line, column)) => Err(EvalError::Syntax {
                    file: file.to_string(),
                    line,
                    column,
                    message: clean_parse_message(&message),
                }),
                // Not a parse error (an evaluation error on the empty document): the file
                // parsed, and real evaluation errors surface when documents are checked.
                None if message.contains("Pars") => Err(EvalError::Syntax {
                    file: file.to_string(),
                    line: 1,
                    column: 1,
                    message: clean_parse_message(&message),
                }),
                None => Ok(()),
            }
        }
    }
}

/// `... at line 4 at column 12, ...` (cfn-guard's parser positions are 1-based).
fn parse_position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let line_end = rest.find(|c: char| !c.is_ascii_digit())?;
    let line = rest[..line_end].parse().ok()?;
    let rest = &rest[rest.find("column ")? + "column ".len()..];
    let col_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let column = rest[..col_end].parse().ok()?;
    Some((line, column))
}

/// cfn-guard wraps its parser message twice ("Parser Error when parsing `Parser Error when
/// parsing `Parsing Error Error parsing file F at line L at column C, when handling X, fragment
/// Y``"): keep "X" and the fragment's first line.
fn clean_parse_message(message: &str) -> String {
    let Some(start) = message.find("when handling ") else {
        return message.trim().to_string();
    };
    let rest = &message[start + "when handling ".len()..];
    let (what, fragment) = match rest.find(", fragment ") {
        Some(i) => (&rest[..i], &rest[i + ", fragment ".len()..]),
        None => (rest, ""),
    };
    let fragment = fragment
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('`'))
        .unwrap_or("");
    let what = what.trim();
    match (what.is_empty(), fragment.is_empty()) {
        (true, true) => "syntax error".to_string(),
        (true, false) => format!("unexpected `{fragment}`"),
        (false, true) => what.to_string(),
        (false, false) => format!("{what} (at `{fragment}`)"),
    }
}

/// The names of the top-level `rule <name>` declarations.
fn rule_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("rule ") else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The `# tollgate: key=value ...` header comments of a policy file.
#[derive(Debug, Default)]
struct Header {
    severity: Option<Severity>,
    input: Option<Vec<InputKind>>,
    scope: GuardScope,
    types: Option<Vec<String>>,
}

impl Header {
    fn read(file: &str, source: &str) -> Result<Self, EvalError> {
        let mut header = Header::default();
        for (n, line) in source.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix("tollgate:") else {
                continue;
            };
            for item in rest.split_whitespace() {
                let bad = |message: String| EvalError::Syntax {
                    file: file.to_string(),
                    line: n + 1,
                    column: 1,
                    message,
                };
                let (key, value) = item
                    .split_once('=')
                    .ok_or_else(|| bad(format!("`{item}` is not `key=value`")))?;
                match key {
                    "severity" => {
                        header.severity = Some(parse_severity(value).ok_or_else(|| {
                            bad(format!(
                                "unknown severity `{value}` (info, low, medium, high, critical)"
                            ))
                        })?)
                    }
                    "input" => {
                        let mut kinds = Vec::new();
                        for v in value.split(',') {
                            kinds.push(match v {
                                "cloudformation" => InputKind::CloudFormation,
                                "terraform" => InputKind::TerraformPlan,
                                _ => {
                                    return Err(bad(format!(
                                        "unknown input `{v}` (cloudformation, terraform)"
                                    )))
                                }
                            });
                        }
                        header.input = Some(kinds);
                    }
                    "scope" => {
                        header.scope = match value {
                            "resource" => GuardScope::Resource,
                            "document" => GuardScope::Document,
                            _ => {
                                return Err(bad(format!(
                                    "unknown scope `{value}` (resource, document)"
                                )))
                            }
                        }
                    }
                    "types" => {
                        header.types = if value == "*" {
                            None
                        } else {
                            Some(value.split(',').map(str::to_string).collect())
                        }
                    }
                    _ => return Err(bad(format!("unknown tollgate header key `{key}`"))),
                }
            }
        }
        Ok(header)
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    Some(match s.to_ascii_lowercase().as_str() {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

fn guard_files(path: &Path, errors: &mut Vec<EvalError>) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                if e.path().extension().is_some_and(|x| x == "guard") {
                    files.push(e.into_path());
                }
            }
            Ok(_) => {}
            Err(e) => errors.push(EvalError::Runtime {
                file: path.display().to_string(),
                message: format!("cannot read the policy directory: {e}"),
            }),
        }
    }
    files
}

// ------------------------------------------------------------------------------------------
// Documents
// ------------------------------------------------------------------------------------------

/// The rule options as Guard sees them (`tollgate_options`): `admin_ports` as integers.
fn normalize_options(options: &Value) -> Value {
    let mut out = match options {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let ports: Vec<Value> = match options.get("admin_ports") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .map(Value::from)
            .collect(),
        _ => DEFAULT_ADMIN_PORTS
            .iter()
            .copied()
            .map(Value::from)
            .collect(),
    };
    out.insert("admin_ports".to_string(), Value::Array(ports));
    Value::Object(out)
}

/// One document given to Guard, and how its Terraform `resources` indexes map back.
struct Unit {
    json: String,
    /// For Terraform: index in the unit's `resources` → index in the input's.
    tf_index: Vec<usize>,
}

fn wanted(policy: &GuardPolicy, kind: InputKind, resource: &Value) -> bool {
    let Some(types) = &policy.types else {
        return true;
    };
    match kind {
        InputKind::CloudFormation => resource
            .get("Type")
            .and_then(Value::as_str)
            .is_some_and(|t| types.iter().any(|x| x == t)),
        InputKind::TerraformPlan => {
            resource.get("mode").and_then(Value::as_str) != Some("data")
                && resource
                    .get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| types.iter().any(|x| x == t))
        }
    }
}

fn build_units(policy: &GuardPolicy, kind: InputKind, input: &Value, options: &Value) -> Vec<Unit> {
    let mut units = Vec::new();
    let with_options = |mut doc: Map<String, Value>| {
        doc.insert("tollgate_options".to_string(), options.clone());
        Value::Object(doc).to_string()
    };
    match kind {
        InputKind::CloudFormation => {
            let empty = Map::new();
            let resources = input
                .get("Resources")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            let selected = resources.iter().filter(|(_, r)| wanted(policy, kind, r));
            match policy.scope {
                GuardScope::Resource => {
                    for (id, r) in selected {
                        let mut one = Map::new();
                        one.insert(id.clone(), r.clone());
                        let mut doc = Map::new();
                        doc.insert("Resources".to_string(), Value::Object(one));
                        units.push(Unit {
                            json: with_options(doc),
                            tf_index: Vec::new(),
                        });
                    }
                }
                GuardScope::Document => {
                    let mut doc = input.as_object().cloned().unwrap_or_default();
                    let kept: Map<String, Value> =
                        selected.map(|(k, v)| (k.clone(), v.clone())).collect();
                    doc.insert("Resources".to_string(), Value::Object(kept));
                    units.push(Unit {
                        json: with_options(doc),
                        tf_index: Vec::new(),
                    });
                }
            }
        }
        InputKind::TerraformPlan => {
            let empty = Vec::new();
            let resources = input
                .get("resources")
                .and_then(Value::as_array)
                .unwrap_or(&empty);
            let selected = resources
                .iter()
                .enumerate()
                .filter(|(_, r)| wanted(policy, kind, r));
            match policy.scope {
                GuardScope::Resource => {
                    for (i, r) in selected {
                        let mut doc = Map::new();
                        doc.insert("resources".to_string(), Value::Array(vec![r.clone()]));
                        units.push(Unit {
                            json: with_options(doc),
                            tf_index: vec![i],
                        });
                    }
                }
                GuardScope::Document => {
                    let mut doc = input.as_object().cloned().unwrap_or_default();
                    let (index, kept): (Vec<usize>, Vec<Value>) =
                        selected.map(|(i, r)| (i, r.clone())).unzip();
                    doc.insert("resources".to_string(), Value::Array(kept));
                    units.push(Unit {
                        json: with_options(doc),
                        tf_index: index,
                    });
                }
            }
        }
    }
    units
}

fn batches(units: &[Unit]) -> Vec<&[Unit]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, unit) in units.iter().enumerate() {
        if i > start && (i - start >= MAX_BATCH_DOCS || bytes + unit.json.len() > MAX_BATCH_BYTES) {
            out.push(&units[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += unit.json.len();
    }
    if start < units.len() {
        out.push(&units[start..]);
    }
    out
}

/// Evaluates one rule file on a batch of documents; one structured report per document.
fn run_batch(source: &str, batch: &[Unit]) -> Result<Vec<Value>, String> {
    let data: Vec<&str> = batch.iter().map(|u| u.json.as_str()).collect();
    let payload = serde_json::json!({ "rules": [source], "data": data }).to_string();
    let command = ValidateBuilder::default()
        .payload(true)
        .structured(true)
        .output_format(OutputFormatType::JSON)
        .show_summary(vec![ShowSummaryType::None])
        .try_build()
        .map_err(|e| e.to_string())?;
    let mut reader = Reader::new(ReadBuffer::Cursor(std::io::Cursor::new(
        payload.into_bytes(),
    )));
    let mut writer =
        Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new()))
            .map_err(|e| e.to_string())?;
    command
        .execute(&mut writer, &mut reader)
        .map_err(|e| e.to_string())?;
    let text = writer.into_string().map_err(|e| e.to_string())?;
    let reports: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("unreadable cfn-guard report: {e}"))?;
    if reports.len() != batch.len() {
        return Err(format!(
            "cfn-guard reported on {} documents instead of {}",
            reports.len(),
            batch.len()
        ));
    }
    Ok(reports)
}

// ------------------------------------------------------------------------------------------
// Reports → findings
// ------------------------------------------------------------------------------------------

/// One failing check, as Guard reported it.
#[derive(Debug)]
struct Hit {
    rule: String,
    /// The path of the offending value (for a missing value: the deepest node that exists),
    /// Terraform indexes already mapped to the input's. `None`: Guard reported no value.
    path: Option<String>,
    missing: bool,
    value: Option<Value>,
    /// The other side of a binary comparison.
    to: Option<Value>,
    custom: Option<String>,
    error: Option<String>,
}

fn collect_hits(report: &Value, unit: &Unit, hits: &mut Vec<Hit>) {
    let Some(rules) = report.get("not_compliant").and_then(Value::as_array) else {
        return;
    };
    for entry in rules {
        if let Some(rule) = entry.get("Rule") {
            let name = rule
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let before = hits.len();
            walk_checks(rule.get("checks"), &name, unit, hits);
            if hits.len() == before {
                // A failed rule with no failing check (cfn-guard reports an empty list when
                // the rule failed on nothing it could name).
                hits.push(Hit {
                    rule: name,
                    path: None,
                    missing: false,
                    value: None,
                    to: None,
                    custom: str_at(rule, &["messages", "custom_message"]),
                    error: str_at(rule, &["messages", "error_message"]),
                });
            }
        }
    }
}

fn walk_checks(checks: Option<&Value>, rule: &str, unit: &Unit, hits: &mut Vec<Hit>) {
    let Some(checks) = checks.and_then(Value::as_array) else {
        return;
    };
    for check in checks {
        if let Some(nested) = check.get("Rule") {
            // A rule called from this one: its failures are this rule's.
            walk_checks(nested.get("checks"), rule, unit, hits);
        } else if let Some(d) = check.get("Disjunctions") {
            walk_checks(d.get("checks"), rule, unit, hits);
        } else if let Some(block) = check.get("Block") {
            let unresolved = block.get("unresolved").filter(|u| !u.is_null());
            hits.push(Hit {
                rule: rule.to_string(),
                path: unresolved
                    .and_then(|u| str_at(u, &["traversed_to", "path"]))
                    .map(|p| remap(&p, unit)),
                missing: unresolved.is_some(),
                value: unresolved.and_then(|u| value_at(u, &["traversed_to", "value"])),
                to: None,
                custom: str_at(block, &["messages", "custom_message"]),
                error: str_at(block, &["messages", "error_message"]),
            });
        } else if let Some(clause) = check.get("Clause") {
            let Some(inner) = clause.get("Binary").or_else(|| clause.get("Unary")) else {
                continue;
            };
            let custom = str_at(inner, &["messages", "custom_message"]);
            let error = str_at(inner, &["messages", "error_message"]);
            let c = inner.get("check").unwrap_or(&Value::Null);
            let (path, value, to, missing) = if let Some(r) = c.get("Resolved") {
                if r.get("from").is_some() {
                    (
                        str_at(r, &["from", "path"]),
                        value_at(r, &["from", "value"]),
                        value_at(r, &["to", "value"]),
                        false,
                    )
                } else {
                    (
                        str_at(r, &["value", "path"]),
                        value_at(r, &["value", "value"]),
                        None,
                        false,
                    )
                }
            } else if let Some(r) = c.get("UnResolved") {
                (
                    str_at(r, &["value", "traversed_to", "path"]),
                    value_at(r, &["value", "traversed_to", "value"]),
                    None,
                    true,
                )
            } else if let Some(r) = c.get("InResolved") {
                (
                    str_at(r, &["from", "path"]),
                    value_at(r, &["from", "value"]),
                    None,
                    false,
                )
            } else {
                (None, None, None, false)
            };
            hits.push(Hit {
                rule: rule.to_string(),
                path: path.map(|p| remap(&p, unit)),
                missing,
                value,
                to,
                custom,
                error,
            });
        }
    }
}

fn str_at(v: &Value, keys: &[&str]) -> Option<String> {
    value_at(v, keys).and_then(|v| v.as_str().map(str::to_string))
}

fn value_at(v: &Value, keys: &[&str]) -> Option<Value> {
    let mut cur = v;
    for k in keys {
        cur = cur.get(*k)?;
    }
    Some(cur.clone())
}

/// `/resources/<j>/...` of a Terraform unit → the input's index.
fn remap(path: &str, unit: &Unit) -> String {
    if unit.tf_index.is_empty() {
        return path.to_string();
    }
    let Some(rest) = path.strip_prefix("/resources/") else {
        return path.to_string();
    };
    let (idx, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match idx.parse::<usize>().ok().and_then(|j| unit.tf_index.get(j)) {
        Some(i) => format!("/resources/{i}{tail}"),
        None => path.to_string(),
    }
}

/// Turns a Guard path (keys joined with `/`, unescaped) into an RFC 6901 pointer by walking the
/// input, so that keys holding `/` are recovered. Falls back to escaping segment by segment.
fn to_pointer(input: &Value, path: &str) -> String {
    if path.is_empty() || path == "/" {
        return String::new();
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut pointer = String::new();
    let mut cur = Some(input);
    let mut i = 0;
    while i < segments.len() {
        let mut matched = None;
        if let Some(node) = cur {
            match node {
                Value::Object(m) => {
                    for j in i..segments.len() {
                        let key = segments[i..=j].join("/");
                        if let Some(child) = m.get(&key) {
                            matched = Some((key, j, child));
                            break;
                        }
                    }
                }
                Value::Array(a) => {
                    if let Some(child) = segments[i].parse::<usize>().ok().and_then(|k| a.get(k)) {
                        matched = Some((segments[i].to_string(), i, child));
                    }
                }
                _ => {}
            }
        }
        match matched {
            Some((key, j, child)) => {
                pointer.push('/');
                pointer.push_str(&escape(&key));
                cur = Some(child);
                i = j + 1;
            }
            None => {
                pointer.push('/');
                pointer.push_str(&escape(segments[i]));
                cur = None;
                i += 1;
            }
        }
    }
    pointer
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn segments(pointer: &str) -> Vec<&str> {
    if pointer.is_empty() {
        Vec::new()
    } else {
        pointer.trim_start_matches('/').split('/').collect()
    }
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn lookup<'a>(input: &'a Value, pointer: &str) -> Option<&'a Value> {
    input.pointer(pointer)
}

/// An unknown value: `null`, or a single-key `Ref` / `Fn::*` object (an unresolved intrinsic).
fn is_unknown(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => {
            m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
        }
        _ => false,
    }
}

/// The resource a pointer lies in: its root pointer and its id (logical id or address).
fn resource_of(kind: InputKind, input: &Value, pointer: &str) -> Option<(String, String)> {
    let segs = segments(pointer);
    match kind {
        InputKind::CloudFormation => {
            if segs.len() >= 2 && segs[0] == "Resources" {
                Some((format!("/Resources/{}", segs[1]), unescape(segs[1])))
            } else {
                None
            }
        }
        InputKind::TerraformPlan => {
            if segs.len() >= 2 && segs[0] == "resources" {
                let address = input
                    .pointer(&format!("/resources/{}/address", segs[1]))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                Some((format!("/resources/{}/after", segs[1]), address))
            } else {
                None
            }
        }
    }
}

/// A built-in style custom message: `{"message": ..., "at": ..., "missing": ..., "group": n}`.
#[derive(Debug, Default)]
struct Spec {
    message: Option<String>,
    at_resource: bool,
    missing: Option<String>,
    group: usize,
}

fn spec_of(custom: Option<&str>) -> Spec {
    let Some(text) = custom.map(str::trim).filter(|t| !t.is_empty()) else {
        return Spec::default();
    };
    if text.starts_with('{') {
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
            return Spec {
                message: m.get("message").and_then(Value::as_str).map(str::to_string),
                at_resource: m.get("at").and_then(Value::as_str) == Some("resource"),
                missing: m.get("missing").and_then(Value::as_str).map(str::to_string),
                group: m
                    .get("group")
                    .and_then(Value::as_u64)
                    .and_then(|g| usize::try_from(g).ok())
                    .unwrap_or(0),
            };
        }
    }
    Spec {
        message: Some(text.to_string()),
        ..Spec::default()
    }
}

struct Group {
    rule: String,
    resource: String,
    pointer: String,
    template: String,
    value: Option<Value>,
    ports: BTreeSet<i64>,
}

fn findings_from_hits(
    policy: &GuardPolicy,
    kind: InputKind,
    input: &Value,
    hits: Vec<Hit>,
) -> (Vec<RawFinding>, Option<EvalError>) {
    let ids: HashMap<&str, &str> = policy
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.id.as_str()))
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut error: Option<EvalError> = None;
    for hit in hits {
        let rule = ids
            .get(hit.rule.as_str())
            .map(|s| s.to_string())
            .unwrap_or_else(|| hit.rule.replace('_', "-"));
        let spec = spec_of(hit.custom.as_deref());
        let Some(path) = &hit.path else {
            if error.is_none() {
                let why = hit.error.clone().unwrap_or_else(|| "no detail".to_string());
                error = Some(EvalError::Runtime {
                    file: policy.file.clone(),
                    message: format!(
                        "rule `{}` failed without naming a value (guard the rule with \
                         `when %x exists`?): {why}",
                        hit.rule
                    ),
                });
            }
            continue;
        };
        let mut pointer = to_pointer(input, path);
        let resource = resource_of(kind, input, &pointer);
        let unknown = hit.missing || is_unknown(lookup(input, &pointer));
        if spec.at_resource {
            if let Some((root, _)) = &resource {
                pointer = root.clone();
            }
        } else if unknown {
            match spec.missing.as_deref() {
                Some("resource") => {
                    if let Some((root, _)) = &resource {
                        pointer = root.clone();
                    }
                }
                Some("entry") if !hit.missing => {
                    if let Some(i) = pointer.rfind('/') {
                        pointer.truncate(i);
                    }
                }
                _ => {}
            }
        }
        let segs = segments(&pointer);
        let key_len = segs.len().saturating_sub(spec.group);
        let key = (rule.clone(), segs[..key_len].join("/"));
        let port = hit.to.as_ref().and_then(Value::as_i64);
        let slot = match index.get(&key) {
            Some(&i) => i,
            None => {
                index.insert(key, groups.len());
                let template = spec
                    .message
                    .clone()
                    .or_else(|| hit.custom.clone().filter(|c| !c.trim().is_empty()))
                    .unwrap_or_else(|| format!("Rule {} failed", hit.rule));
                groups.push(Group {
                    rule,
                    resource: resource.map(|(_, id)| id).unwrap_or_default(),
                    pointer: pointer.clone(),
                    template,
                    value: lookup(input, &pointer).cloned().or(hit.value.clone()),
                    ports: BTreeSet::new(),
                });
                groups.len() - 1
            }
        };
        if let (Some(p), Some(g)) = (port, groups.get_mut(slot)) {
            g.ports.insert(p);
        }
    }
    let mut findings: Vec<RawFinding> = groups
        .into_iter()
        .map(|g| RawFinding {
            message: render(&g.template, g.value.as_ref(), &g.ports),
            rule: g.rule,
            resource: g.resource,
            pointer: g.pointer,
            related: Vec::new(),
        })
        .collect();
    findings.sort();
    findings.dedup();
    (findings, error)
}

fn render(template: &str, value: Option<&Value>, ports: &BTreeSet<i64>) -> String {
    let mut out = template.to_string();
    if out.contains("{value}") {
        let shown = match value {
            Some(Value::String(s)) => s.trim().to_string(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        out = out.replace("{value}", &shown);
    }
    if out.contains("{ports}") {
        out = out.replace("{ports}", &describe_ports(ports));
    }
    out
}

/// "port 22", "ports 22 and 3389", "ports 22, 3389 and 5900".
fn describe_ports(ports: &BTreeSet<i64>) -> String {
    let list: Vec<String> = ports.iter().map(i64::to_string).collect();
    match list.as_slice() {
        [] => "admin ports".to_string(),
        [one] => format!("port {one}"),
        [init @ .., last] => format!("ports {} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_recovers_keys_holding_a_slash() {
        let doc = json!({"resources": [{"after": {"tags": {"kubernetes.io/cluster/x": "owned", "a~b": 1}}}]});
        assert_eq!(
            to_pointer(&doc, "/resources/0/after/tags/kubernetes.io/cluster/x"),
            "/resources/0/after/tags/kubernetes.io~1cluster~1x"
        );
        assert_eq!(
            to_pointer(&doc, "/resources/0/after/tags/a~b"),
            "/resources/0/after/tags/a~0b"
        );
        // A path below a missing node is escaped segment by segment.
        assert_eq!(
            to_pointer(&doc, "/resources/0/after/none/x"),
            "/resources/0/after/none/x"
        );
        assert_eq!(to_pointer(&doc, ""), "");
    }

    #[test]
    fn terraform_indexes_map_back() {
        let unit = Unit {
            json: String::new(),
            tf_index: vec![7, 3],
        };
        assert_eq!(remap("/resources/1/after/x", &unit), "/resources/3/after/x");
        assert_eq!(remap("/resources/0", &unit), "/resources/7");
        assert_eq!(
            remap("/tollgate_options/admin_ports/0", &unit),
            "/tollgate_options/admin_ports/0"
        );
    }

    #[test]
    fn ports_are_described_like_the_rego_pack() {
        let set = |v: &[i64]| v.iter().copied().collect::<BTreeSet<i64>>();
        assert_eq!(describe_ports(&set(&[22])), "port 22");
        assert_eq!(describe_ports(&set(&[3389, 22])), "ports 22 and 3389");
        assert_eq!(
            describe_ports(&set(&[22, 3389, 5900])),
            "ports 22, 3389 and 5900"
        );
    }

    #[test]
    fn parser_positions_are_read_from_the_message() {
        let m = "Parser Error when parsing `Parsing Error Error parsing file r at line 4 at column 12, when handling expecting x, fragment  \n}\n`";
        assert_eq!(parse_position(m), Some((4, 12)));
        assert_eq!(clean_parse_message(m), "expecting x (at `}`)");
        assert_eq!(parse_position("no position"), None);
    }

    #[test]
    fn options_are_normalised() {
        assert_eq!(
            normalize_options(&json!({}))["admin_ports"],
            json!([22, 3389])
        );
        assert_eq!(
            normalize_options(&json!({"admin_ports": ["22", 5900, "x"]}))["admin_ports"],
            json!([22, 5900])
        );
    }

    #[test]
    fn unknown_values() {
        assert!(is_unknown(None));
        assert!(is_unknown(Some(&Value::Null)));
        assert!(is_unknown(Some(&json!({"Ref": "P"}))));
        assert!(is_unknown(Some(&json!({"Fn::GetAtt": ["A", "B"]}))));
        assert!(!is_unknown(Some(&json!({"Ref": "P", "x": 1}))));
        assert!(!is_unknown(Some(&json!(false))));
    }

    #[test]
    fn batches_respect_both_limits() {
        let units: Vec<Unit> = (0..600)
            .map(|_| Unit {
                json: "x".repeat(10),
                tf_index: Vec::new(),
            })
            .collect();
        let sizes: Vec<usize> = batches(&units).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![256, 256, 88]);
        let big: Vec<Unit> = (0..3)
            .map(|_| Unit {
                json: "x".repeat(MAX_BATCH_BYTES),
                tf_index: Vec::new(),
            })
            .collect();
        assert_eq!(batches(&big).len(), 3);
    }

    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<GuardEngine>();
    }
}

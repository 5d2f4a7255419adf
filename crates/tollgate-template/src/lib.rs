//! Loading CloudFormation templates (YAML and JSON) and Terraform plans (`terraform show
//! -json`) with exact source locations, and turning them into the documents policies see.
//!
//! The flow: [`load`] reads the text ([`source`]), parses it with a span index ([`yaml`],
//! [`json`], [`index`]), decides what it is ([`detect`]), and builds the policy inputs:
//! resolved template variants ([`cfn`]) or the plan's resource list ([`plan`]).
//! [`Loaded::locate`] maps a policy's JSON pointer back to the file.

pub mod cfn;
pub mod detect;
pub mod error;
pub mod index;
pub mod json;
pub mod plan;
pub mod pointer;
pub mod source;
pub mod value;
pub mod yaml;

pub use cfn::as_intrinsic;
pub use detect::{is_sam, Detected};
pub use error::{ErrorKind, LoadError};
pub use index::{Indexed, Related};
pub use pointer::{Pointer, PointerBuf};
pub use source::{Position, SourceFile, Span};
pub use value::{json_type, scalar_text};

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which kind of document a file holds, decided by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputKind {
    CloudFormation,
    TerraformPlan,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::CloudFormation => "cloudformation",
            InputKind::TerraformPlan => "terraform",
        }
    }
}

/// Bounds on the work one file may cause. Each hit is an error naming the limit (and the
/// command-line flag that raises it, where there is one); `docs/errors.md` lists them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Size of the file (`--max-file-size`): [`ErrorKind::TooLarge`].
    pub max_file_bytes: usize,
    /// Nesting of lists and mappings (`--max-depth`), and of conditions naming conditions:
    /// [`ErrorKind::TooDeep`].
    pub max_depth: usize,
    /// Nodes created by expanding YAML aliases: [`ErrorKind::AliasLimit`].
    pub max_alias_nodes: usize,
    /// Bytes of text created by expanding YAML aliases: [`ErrorKind::AliasLimit`].
    pub max_alias_bytes: usize,
    /// Length of one string (a scalar or a key), in bytes: [`ErrorKind::StringTooLong`].
    pub max_string_len: usize,
    /// Resources of a template, resource changes of a plan (`--max-resources`):
    /// [`ErrorKind::TooManyResources`].
    pub max_resources: usize,
    /// Undecided conditions enumerated per template (2^n variants); past it, the remaining
    /// ones are assumed true and a warning says so.
    pub max_undecided_conditions: usize,
    /// Nodes of a template once its `Fn::ForEach` loops are expanded:
    /// [`ErrorKind::ForEachLimit`].
    pub max_expanded_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * 1024 * 1024,
            max_depth: 128,
            max_alias_nodes: 100_000,
            max_alias_bytes: 16 * 1024 * 1024,
            max_string_len: 16 * 1024 * 1024,
            max_resources: 1_000_000,
            max_undecided_conditions: 6,
            max_expanded_nodes: 2_000_000,
        }
    }
}

/// How to load: limits, CloudFormation parameter overrides, plan filtering.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub limits: Limits,
    pub parameters: BTreeMap<String, Value>,
    /// Terraform: evaluate only create/update/replace, not no-op.
    pub changed_only: bool,
}

/// A document as one policy run receives it, and the way back to the source.
#[derive(Debug)]
pub enum PolicyInput {
    /// A resolved template (one per variant of undecided conditions).
    Template(cfn::Variant),
    Plan(plan::PlanInput),
}

impl PolicyInput {
    pub fn value(&self) -> &Value {
        match self {
            PolicyInput::Template(v) => &v.doc.value,
            PolicyInput::Plan(p) => &p.value,
        }
    }
}

/// Where a pointer of a policy input lands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub span: Span,
    /// Set when the pointer names a map member whose key is the better place to point
    /// (a resource's logical id).
    pub key: Option<Span>,
    pub related: Vec<Related>,
}

/// A loaded file.
#[derive(Debug)]
pub struct Loaded {
    pub source: Arc<SourceFile>,
    pub kind: InputKind,
    /// The document as written, with its span index.
    pub document: Indexed,
    pub inputs: Vec<PolicyInput>,
    /// Errors that cost a value, not the file (an undeclared `Ref`, a malformed `Fn::If`):
    /// the value is unknown to the policies, the rest is checked, and the run fails (exit 2).
    pub errors: Vec<LoadError>,
    /// What was checked as unknown or assumed (a preprocessor tag, the variant bound).
    pub warnings: Vec<LoadError>,
}

/// What loading a file gave.
#[derive(Debug)]
pub enum Outcome {
    Loaded(Box<Loaded>),
    /// Neither a template nor a plan (an empty file, a lone scalar, a mapping without
    /// `Resources`…); the reason, one sentence naming what the file holds, is for `--verbose`
    /// and for the error when the file was named explicitly.
    Skipped(String),
}

/// Loads a file's bytes. `name` is used in every location and error.
pub fn load(name: &str, bytes: &[u8], options: &LoadOptions) -> Result<Outcome, LoadError> {
    let limits = &options.limits;
    if bytes.len() > limits.max_file_bytes {
        return Err(LoadError::file(
            ErrorKind::TooLarge,
            name,
            format!(
                "file is {} bytes, more than the file-size limit of {} bytes",
                bytes.len(),
                limits.max_file_bytes
            ),
        )
        .with_help("raise the limit with --max-file-size"));
    }
    // Cheap signs first: what is not a template is skipped before strict decoding and
    // parsing could call it broken (Helm charts, JSON with comments, Latin-1 files…).
    if let Some(reason) = detect::not_a_candidate(bytes) {
        let empty = std::str::from_utf8(bytes).ok().and_then(nothing_in);
        return Ok(Outcome::Skipped(empty.unwrap_or(reason)));
    }
    let text = decode(name, bytes)?;
    if let Some(reason) = nothing_in(&text) {
        return Ok(Outcome::Skipped(reason));
    }
    let source = Arc::new(SourceFile::new(name, text));
    let (document, mut warnings) = parse_with_warnings(&source, limits)?;
    match detect::detect(&document.value) {
        Detected::Neither(reason) => Ok(Outcome::Skipped(reason)),
        Detected::CloudFormation => {
            let resolved = cfn::resolve_variants(&source, &document, &options.parameters, limits)?;
            warnings.extend(resolved.warnings);
            Ok(Outcome::Loaded(Box::new(Loaded {
                source,
                kind: InputKind::CloudFormation,
                document,
                inputs: resolved
                    .variants
                    .into_iter()
                    .map(PolicyInput::Template)
                    .collect(),
                errors: resolved.errors,
                warnings,
            })))
        }
        Detected::TerraformPlan => {
            let mut document = document;
            let input = plan::build(&source, &mut document, limits, options.changed_only)?;
            Ok(Outcome::Loaded(Box::new(Loaded {
                source,
                kind: InputKind::TerraformPlan,
                document,
                inputs: vec![PolicyInput::Plan(input)],
                errors: Vec::new(),
                warnings,
            })))
        }
    }
}

/// Parses text as JSON when it looks like JSON, as YAML otherwise.
///
/// Text that starts like JSON but is not (a YAML flow mapping, `{Key: value}`) is read as
/// YAML; if that fails too, the error that got further into the file is reported (the JSON
/// one on a tie).
pub fn parse(source: &SourceFile, limits: &Limits) -> Result<Indexed, LoadError> {
    parse_with_warnings(source, limits).map(|(doc, _)| doc)
}

/// [`parse`], with the warnings about the document (YAML tags that are not CloudFormation's).
pub fn parse_with_warnings(
    source: &SourceFile,
    limits: &Limits,
) -> Result<(Indexed, Vec<LoadError>), LoadError> {
    let first = source.text.trim_start().chars().next();
    if first == Some('{') || first == Some('[') {
        json::parse(source, limits)
            .map(|doc| (doc, Vec::new()))
            .or_else(|json_error| {
                if json_error.kind == ErrorKind::JsonSyntax && !source.name.ends_with(".json") {
                    yaml::parse_with_warnings(source, limits).map_err(|yaml_error| {
                        if yaml_error.position > json_error.position {
                            yaml_error
                        } else {
                            json_error
                        }
                    })
                } else {
                    Err(json_error)
                }
            })
    } else {
        yaml::parse_with_warnings(source, limits)
    }
}

/// Why a file with no document in it is skipped: empty, white space, only comments.
fn nothing_in(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("the file is empty".into());
    }
    if text.trim().is_empty() {
        return Some("the file holds only white space".into());
    }
    let only_comments = text
        .lines()
        .map(str::trim)
        .all(|l| l.is_empty() || l.starts_with('#') || l == "---" || l == "...");
    only_comments.then(|| "the file holds only YAML comments, no document".into())
}

/// UTF-8 only (a BOM is dropped); anything else is an error naming where it goes wrong.
fn decode(name: &str, bytes: &[u8]) -> Result<String, LoadError> {
    let utf16 = |what: &str| {
        LoadError::file(
            ErrorKind::NotUtf8,
            name,
            format!("file is {what}; templates and plans must be UTF-8"),
        )
        .with_help("convert it, e.g. `iconv -f UTF-16 -t UTF-8 in.yaml > out.yaml`")
    };
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(utf16("UTF-32 (it starts with a UTF-32 byte-order mark)"));
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(utf16("UTF-16 (it starts with a UTF-16 byte-order mark)"));
    }
    if looks_like_utf16(bytes) {
        return Err(utf16(
            "UTF-16 without a byte-order mark (every other byte is NUL)",
        ));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            if let Some(at) = s.find('\0') {
                let mut e = LoadError::file(
                    ErrorKind::NotUtf8,
                    name,
                    format!("NUL byte at byte {at}: the file is binary, not a template or plan"),
                );
                e.position = Some(end_of(&s[..at]));
                return Err(e);
            }
            Ok(s.to_string())
        }
        Err(err) => {
            let good = &bytes[..err.valid_up_to()];
            let good = String::from_utf8_lossy(good);
            let mut e = LoadError::file(
                ErrorKind::NotUtf8,
                name,
                format!(
                    "invalid UTF-8 at byte {}: templates and plans must be UTF-8",
                    err.valid_up_to()
                ),
            )
            .with_help("save the file as UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`)");
            e.position = Some(end_of(&good));
            Err(e)
        }
    }
}

/// ASCII text saved as UTF-16 without a byte-order mark: `R\0e\0` or `\0R\0e`.
fn looks_like_utf16(bytes: &[u8]) -> bool {
    match bytes {
        [a, 0, b, 0, ..] | [0, a, 0, b, ..] => *a != 0 && *b != 0,
        _ => false,
    }
}

/// The 1-based position just after `text` (where decoding stopped); no index is built yet.
fn end_of(text: &str) -> Position {
    Position {
        line: text.matches('\n').count() + 1,
        column: text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
    }
}

impl Loaded {
    /// Maps a pointer into `self.inputs[input]` back to the file.
    pub fn locate(&self, input: usize, pointer: &Pointer) -> Option<Location> {
        match self.inputs.get(input)? {
            PolicyInput::Template(v) => {
                let found = v.doc.find(pointer)?;
                let is_resource =
                    pointer::template_resource(pointer).is_some_and(|(_, rest)| rest.is_root());
                Some(Location {
                    span: found.info.span,
                    key: is_resource.then_some(found.info.key).flatten(),
                    related: found.related.to_vec(),
                })
            }
            PolicyInput::Plan(p) => {
                let found = p.find_in_plan(&self.document, &p.plan_pointer(pointer)?)?;
                Some(Location {
                    span: found.info.span,
                    key: None,
                    related: Vec::new(),
                })
            }
        }
    }
}

//! Load and resolution errors: one diagnostic type that always names the file and, where
//! there is one, the line and column, with a labelled code frame for `miette`.

use crate::source::{Position, SourceFile, Span};
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::sync::Arc;

/// What went wrong, as a stable code (`tollgate::load::duplicate-key`, …) that
/// `docs/errors.md` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Io,
    NotUtf8,
    TooLarge,
    YamlSyntax,
    JsonSyntax,
    DuplicateKey,
    UnknownTag,
    TagShape,
    TooDeep,
    AliasLimit,
    NotADocument,
    RefToNothing,
    IntrinsicShape,
    ConditionCycle,
    MissingCondition,
    PlanShape,
    UnknownPlanVersion,
    TooManyResources,
    StringTooLong,
    GetAttToNothing,
    SubToNothing,
    /// A warning: more undecided conditions than the variant bound.
    VariantLimit,
    /// A malformed `Fn::ForEach` loop (an error).
    ForEachShape,
    /// A loop whose collection cannot be decided before deployment (a warning).
    ForEachUndecided,
    /// Expanding the loops would create more nodes than `Limits::max_expanded_nodes`.
    ForEachLimit,
}

impl ErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Io => "tollgate::load::io",
            ErrorKind::NotUtf8 => "tollgate::load::not-utf8",
            ErrorKind::TooLarge => "tollgate::load::too-large",
            ErrorKind::YamlSyntax => "tollgate::load::yaml-syntax",
            ErrorKind::JsonSyntax => "tollgate::load::json-syntax",
            ErrorKind::DuplicateKey => "tollgate::load::duplicate-key",
            ErrorKind::UnknownTag => "tollgate::load::unknown-tag",
            ErrorKind::TagShape => "tollgate::load::tag-shape",
            ErrorKind::TooDeep => "tollgate::load::too-deep",
            ErrorKind::AliasLimit => "tollgate::load::alias-limit",
            ErrorKind::NotADocument => "tollgate::load::not-a-template",
            ErrorKind::RefToNothing => "tollgate::resolve::ref-to-nothing",
            ErrorKind::IntrinsicShape => "tollgate::resolve::intrinsic-shape",
            ErrorKind::ConditionCycle => "tollgate::resolve::condition-cycle",
            ErrorKind::MissingCondition => "tollgate::resolve::missing-condition",
            ErrorKind::PlanShape => "tollgate::plan::shape",
            ErrorKind::UnknownPlanVersion => "tollgate::plan::format-version",
            ErrorKind::TooManyResources => "tollgate::load::too-many-resources",
            ErrorKind::StringTooLong => "tollgate::load::string-too-long",
            ErrorKind::GetAttToNothing => "tollgate::resolve::getatt-to-nothing",
            ErrorKind::SubToNothing => "tollgate::resolve::sub-to-nothing",
            ErrorKind::VariantLimit => "tollgate::resolve::variant-limit",
            ErrorKind::ForEachShape => "tollgate::resolve::foreach-shape",
            ErrorKind::ForEachUndecided => "tollgate::resolve::foreach-undecided",
            ErrorKind::ForEachLimit => "tollgate::resolve::foreach-limit",
        }
    }

    /// A warning, not an error: the file is checked all the same and the run does not fail
    /// for it (an unknown tag is checked as an unknown value; past the variant bound,
    /// conditions are assumed true).
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            ErrorKind::UnknownTag | ErrorKind::VariantLimit | ErrorKind::ForEachUndecided
        )
    }
}

/// Longest line (in bytes) shown in a code frame.
pub const MAX_FRAME_LINE: usize = 2000;

/// Length in bytes of the line that holds the start of `span`.
fn line_len(src: &SourceFile, span: Span) -> usize {
    let text = src.text.as_bytes();
    let at = (span.start as usize).min(text.len());
    let start = text[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(text.len(), |i| at + i);
    end - start
}

/// A file that could not be loaded or resolved.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub kind: ErrorKind,
    /// Start of the offending text, 1-based.
    pub position: Option<Position>,
    // Boxed: errors travel through every `Result` of the resolver; keep them small.
    details: Box<Details>,
}

#[derive(Debug, Clone)]
struct Details {
    file: String,
    message: String,
    help: Option<String>,
    label: Option<(Span, String)>,
    related: Vec<(Span, String)>,
    source: Option<NamedSource<Arc<str>>>,
}

impl LoadError {
    /// An error about the file as a whole (I/O, encoding, size).
    pub fn file(kind: ErrorKind, file: &str, message: impl Into<String>) -> Self {
        LoadError {
            kind,
            position: None,
            details: Box::new(Details {
                file: file.to_string(),
                message: message.into(),
                help: None,
                label: None,
                related: Vec::new(),
                source: None,
            }),
        }
    }

    /// An error at a span of a loaded file. The code frame is left out when the line is
    /// longer than [`MAX_FRAME_LINE`] (a minified template, a plan written on one line): the
    /// message still names the line and column.
    pub fn at(
        kind: ErrorKind,
        src: &SourceFile,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        LoadError {
            kind,
            position: Some(src.position(span.start)),
            details: Box::new(Details {
                file: src.name.clone(),
                message: message.into(),
                help: None,
                label: Some((span, label.into())),
                related: Vec::new(),
                source: (line_len(src, span) <= MAX_FRAME_LINE)
                    .then(|| NamedSource::new(src.name.clone(), src.text.clone())),
            }),
        }
    }

    /// The file, as given.
    /// A string value over `Limits::max_string_len` (YAML and JSON report it alike).
    pub fn string_too_long(src: &SourceFile, start: usize, len: usize, limit: usize) -> Self {
        LoadError::at(
            ErrorKind::StringTooLong,
            src,
            Span::new(start, start + 1),
            format!(
                "string of {len} bytes is longer than the string-length limit of {limit} bytes"
            ),
            "this string",
        )
        .with_help(
            "no template or plan value is this long: check that this is the file you meant; \
             raise the limit with --max-string-length BYTES if the value is genuine",
        )
    }

    pub fn file_name(&self) -> &str {
        &self.details.file
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.details.message
    }

    /// The primary span, when the error has one.
    pub fn span(&self) -> Option<Span> {
        self.details.label.as_ref().map(|(s, _)| *s)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.details.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.details.related.push((span, label.into()));
        self
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.details;
        match self.position {
            Some(p) => write!(f, "{}:{}:{}: {}", d.file, p.line, p.column, d.message),
            None => write!(f, "{}: {}", d.file, d.message),
        }
    }
}

impl std::error::Error for LoadError {}

impl Diagnostic for LoadError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.kind.is_warning() {
            miette::Severity::Warning
        } else {
            miette::Severity::Error
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.details
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.details.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        // Labels without source code to show them in would make `miette` fail to render.
        self.details.source.as_ref()?;
        let primary = self
            .details
            .label
            .iter()
            .map(|(s, l)| LabeledSpan::new_primary_with_span(Some(l.clone()), *s));
        let related = self
            .details
            .related
            .iter()
            .map(|(s, l)| LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(primary.chain(related)))
    }
}

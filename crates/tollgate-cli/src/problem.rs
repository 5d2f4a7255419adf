//! Errors the command line finds in its own inputs (configuration, suppressions, parameter
//! files, baselines): one diagnostic with a stable code, the file, and a code frame.

use miette::{Diagnostic, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;
use tollgate_template::SourceFile;

/// The code frame: the file's text, the byte range, its label.
type Frame = (NamedSource<Arc<str>>, std::ops::Range<usize>, String);

#[derive(Debug, Clone)]
pub struct Problem {
    /// A stable code listed in `docs/errors.md`, e.g. `tollgate::config::unknown-key`.
    pub code: &'static str,
    pub file: String,
    pub message: String,
    pub help: Option<String>,
    /// 1-based line and column of the span's start, when there is one.
    pub line_col: Option<(usize, usize)>,
    /// Boxed: problems travel in `Result`s, keep them small.
    source: Option<Box<Frame>>,
}

impl Problem {
    /// A problem with the file as a whole (cannot read it, …).
    pub fn file(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            code,
            file: file.into(),
            message: message.into(),
            help: None,
            line_col: None,
            source: None,
        }
    }

    /// A problem at a byte range of `src`, labelled `label`. Takes the file's existing
    /// `SourceFile`, whose line index is already built.
    pub fn at(
        code: &'static str,
        src: &SourceFile,
        range: std::ops::Range<usize>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let pos = src.position(u32::try_from(range.start).unwrap_or(u32::MAX));
        Problem {
            code,
            file: src.name.clone(),
            message: message.into(),
            help: None,
            line_col: Some((pos.line, pos.column)),
            source: Some(Box::new((
                NamedSource::new(src.name.clone(), src.text.clone()),
                range,
                label.into(),
            ))),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((l, c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_deref()
            .map(|(s, _, _)| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (_, range, label) = self.source.as_deref()?;
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(label.clone()), range.clone()),
        )))
    }
}

//! saphyr's events for a text (the file's, or a re-indented copy of it), with spans as byte
//! offsets into the file, and the diagnostics for text saphyr rejects.

use crate::error::{ErrorKind, LoadError};
use crate::source::{SourceFile, Span};
use saphyr_parser::{Event, Parser, ScanError};

/// Why collecting events stopped.
pub(super) enum Stop {
    /// saphyr rejected the text.
    Scan(ScanFailure),
    /// The events are fine YAML but not a template (a second document).
    Load(LoadError),
}

pub(super) struct ScanFailure {
    pub error: ScanError,
    /// The byte offset of the error in the original text.
    pub at: usize,
    /// The `[` or `{` of the innermost flow collection open at the error, if any.
    opener: Option<usize>,
}

/// The events of `text` (the file's text, or a re-indented copy of it), with spans as byte
/// offsets into the file's text.
pub(super) fn collect<'t>(
    src: &SourceFile,
    text: &'t str,
    offsets: &CharOffsets,
) -> Result<Vec<(Event<'t>, Span)>, Stop> {
    let mut events = Vec::new();
    let mut documents = 0usize;
    // Every open collection, with the offset of its `[` or `{` if it is a flow collection:
    // a flow collection the file ends in is reported where it was opened.
    let mut open: Vec<Option<usize>> = Vec::new();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|error| {
            let at = offsets.byte(error.marker().index());
            let opener = open.iter().rev().find_map(|o| *o);
            Stop::Scan(ScanFailure { error, at, opener })
        })?;
        let span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        match &event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                open.push(flow_opener(src.text.as_bytes(), span.start as usize));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                open.pop();
            }
            _ => {}
        }
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Stop::Load(
                        LoadError::at(
                            ErrorKind::YamlSyntax,
                            src,
                            span,
                            "more than one YAML document in the file",
                            "a second document starts here",
                        )
                        .with_help("a template is one document: remove the extra `---`"),
                    ));
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            other => events.push((other, span)),
        }
    }
    Ok(events)
}

/// The diagnostic for text saphyr rejected.
pub(super) fn scan_error(src: &SourceFile, failure: &ScanFailure) -> LoadError {
    let e = &failure.error;
    let at = failure.at;
    // The scanner has its own nesting bound; report it as the limit it is.
    if e.info().contains("recursion limit") {
        return LoadError::at(
            ErrorKind::TooDeep,
            src,
            Span::new(at, at),
            "flow nesting (`[`, `{`) deeper than the YAML parser's limit of 255 levels",
            "too deep",
        )
        .with_help(
            "--max-depth cannot raise this one; no template nests this deep: \
             check that this is the file you meant",
        );
    }
    let at_end = src.text[at.min(src.text.len())..].trim().is_empty();
    if let (Some(o), true) = (failure.opener, at_end) {
        let (bracket, close) = if src.text.as_bytes().get(o) == Some(&b'[') {
            ("[", "]")
        } else {
            ("{", "}")
        };
        return LoadError::at(
            ErrorKind::YamlSyntax,
            src,
            Span::new(o, o + 1),
            format!("invalid YAML: `{bracket}` is never closed: the file ends first"),
            "opened here",
        )
        .with_related(Span::new(at, at), "the file ends here")
        .with_help(format!(
            "add the missing `{close}`, or quote the value if the `{bracket}` is text"
        ));
    }
    let error = LoadError::at(
        ErrorKind::YamlSyntax,
        src,
        Span::new(at, at),
        format!("invalid YAML: {}", e.info()),
        "here",
    );
    if e.info().contains("tab") {
        return error.with_help("YAML indents with spaces only: replace the tabs");
    }
    error
}

/// The offset of the `[` or `{` of a collection that starts at `start` (after its tag and
/// anchor), if it is a flow collection.
fn flow_opener(text: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        match text.get(i)? {
            b'[' | b'{' => return Some(i),
            b'!' | b'&' => {
                while !matches!(text.get(i), None | Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    i += 1;
                }
                while matches!(text.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    i += 1;
                }
            }
            _ => return None,
        }
    }
}

/// saphyr reports character indices; spans are byte offsets (into the file's text, also when
/// saphyr read a re-indented copy of it).
pub(super) struct CharOffsets {
    /// `None` when the text is ASCII (index == byte offset).
    bytes: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    pub(super) fn new(text: &str) -> Self {
        let bytes = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(b, _)| u32::try_from(b).unwrap_or(u32::MAX))
                .collect()
        });
        CharOffsets {
            bytes,
            len: text.len(),
        }
    }
    /// A re-indented copy of the text: `map[i]` is the file's byte offset of character `i`.
    pub(super) fn mapped(map: Vec<u32>, len: usize) -> Self {
        CharOffsets {
            bytes: Some(map),
            len,
        }
    }
    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(v) => v.get(char_index).map(|b| *b as usize).unwrap_or(self.len),
        }
    }
}

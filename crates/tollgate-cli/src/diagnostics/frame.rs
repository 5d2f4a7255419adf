//! Code frames without the file: the lines around what a file's findings show, cut once per
//! file and shared by its records, read by miette as if they were the whole file.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use std::sync::Arc;
use tollgate_template::{SourceFile, Span};

/// Lines kept above and below what a frame shows: one more than miette's context line, so
/// that the context is read exactly as from the whole file.
const MARGIN: usize = 2;

/// What a finding's code frame shows: a primary span and related spans of one source.
pub struct Frame {
    pub source: Arc<SourceExcerpt>,
    pub primary: Span,
    pub related: Vec<(String, Span)>,
}

/// Pieces of a file's text, each a run of whole lines at its own byte offset.
#[derive(Debug)]
pub struct SourceExcerpt {
    name: String,
    windows: Vec<Window>,
}

#[derive(Debug)]
struct Window {
    /// Byte offset of its first line in the file.
    start: usize,
    /// 0-based number of its first line.
    first_line: usize,
    text: String,
}

impl SourceExcerpt {
    /// A text of its own (a pretty-printed plan excerpt), whole.
    pub fn whole(name: String, text: String) -> Self {
        SourceExcerpt {
            name,
            windows: vec![Window {
                start: 0,
                first_line: 0,
                text,
            }],
        }
    }

    /// The lines of `src` around each span (each span must show in one frame), merged.
    pub fn around(src: &SourceFile, spans: impl Iterator<Item = Span>) -> Self {
        let mut ranges: Vec<(usize, usize, usize)> = spans
            .map(|span| {
                let first = src.position(span.start).line.saturating_sub(MARGIN).max(1);
                let last = src.position(span.end).line + MARGIN;
                (src.line_start(first), src.line_start(last + 1), first - 1)
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize, usize)> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        let windows = merged
            .into_iter()
            .map(|(start, end, first_line)| Window {
                start,
                first_line,
                text: src.text.get(start..end).unwrap_or_default().to_string(),
            })
            .collect();
        SourceExcerpt {
            name: src.name.clone(),
            windows,
        }
    }
}

impl SourceCode for SourceExcerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let (offset, end) = (span.offset(), span.offset() + span.len());
        let window = self
            .windows
            .iter()
            .find(|w| w.start <= offset && end <= w.start + w.text.len())
            .ok_or(MietteError::OutOfBounds)?;
        let inner = SourceSpan::new((offset - window.start).into(), span.len());
        let contents =
            window
                .text
                .as_str()
                .read_span(&inner, context_lines_before, context_lines_after)?;
        let data: &'a [u8] = contents.data();
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::new(
                (contents.span().offset() + window.start).into(),
                contents.span().len(),
            ),
            contents.line() + window.first_line,
            contents.column(),
            // miette counts lines from the start of what it read: here, the file.
            contents.line_count() + window.first_line,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every span of a text reads the same from an excerpt around it as from the text.
    #[test]
    fn an_excerpt_reads_like_the_file() {
        let text: String = (1..=40).map(|i| format!("line {i}: value\n")).collect();
        let src = SourceFile::new("f.yaml", text.as_str());
        let spans = [Span::new(0, 4), Span::new(160, 170), Span::new(400, 420)];
        let excerpt = SourceExcerpt::around(&src, spans.iter().copied());
        assert!(excerpt.windows.len() > 1, "far apart spans are cut apart");
        for span in spans {
            let s: SourceSpan = span.into();
            let whole = text.as_str().read_span(&s, 1, 1).unwrap();
            let cut = excerpt.read_span(&s, 1, 1).unwrap();
            assert_eq!(whole.data(), cut.data());
            assert_eq!(whole.span(), cut.span());
            assert_eq!(whole.line(), cut.line());
            assert_eq!(whole.column(), cut.column());
            assert_eq!(whole.line_count(), cut.line_count());
        }
        let outside: SourceSpan = Span::new(300, 301).into();
        assert!(excerpt.read_span(&outside, 1, 1).is_err());
    }
}

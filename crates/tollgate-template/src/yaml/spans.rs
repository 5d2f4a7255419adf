//! Where a node as written starts and ends, where saphyr reports something else (block
//! scalars from their first content line, indentless sequences from their first item,
//! quoted scalars with the white space after them, tagged nodes with their tag).

use super::builder::Builder;
use crate::source::Span;
use saphyr_parser::ScalarStyle;

impl Builder<'_> {
    /// Just after the `:` that follows a key (a key with no value still ends there).
    pub(super) fn after_colon(&self, key_end: u32) -> u32 {
        let bytes = self.src.text.as_bytes();
        let mut i = key_end as usize;
        while let Some(b' ' | b'\t') = bytes.get(i) {
            i += 1;
        }
        if bytes.get(i) == Some(&b':') {
            (i + 1) as u32
        } else {
            key_end
        }
    }

    /// Block scalars (`|`, `>`) are reported from their first content line: start the span at
    /// the indicator so that it covers the node as written. A quoted scalar followed by white
    /// space and `]` or `}` is reported with that white space: end it at its closing quote.
    pub(super) fn scalar_span(&self, span: Span, style: ScalarStyle) -> Span {
        if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
            let text = self.src.slice(span);
            let trimmed = text.trim_end_matches([' ', '\t']);
            if trimmed.len() < text.len() && trimmed.ends_with(['\'', '"']) {
                return Span::new(span.start as usize, span.start as usize + trimmed.len());
            }
            return span;
        }
        if !matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            return span;
        }
        let bytes = self.src.text.as_bytes();
        if matches!(
            bytes.get(span.start as usize),
            Some(b'!' | b'&' | b'|' | b'>')
        ) {
            return span;
        }
        // Back over the line break and indentation, then the header (`|`, `>-`, `|+2`).
        let mut i = span.start as usize;
        while i > 0 {
            i -= 1;
            match bytes.get(i) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'-' | b'+' | b'0'..=b'9') => {}
                Some(b'|' | b'>') => return Span::new(i, span.end as usize),
                _ => break,
            }
        }
        span
    }

    /// saphyr starts an indentless block sequence (`key:\n- item`) at its first item's
    /// content; the node as written starts at the dash.
    pub(super) fn sequence_start(&self, span: Span) -> Span {
        let bytes = self.src.text.as_bytes();
        if matches!(bytes.get(span.start as usize), Some(b'-' | b'[')) {
            return span;
        }
        let mut i = span.start as usize;
        while i > 0 {
            i -= 1;
            match bytes.get(i) {
                Some(b' ' | b'\t') => {}
                Some(b'-') => return Span::new(i, span.end as usize),
                _ => break,
            }
        }
        span
    }

    /// The argument of a tagged node: after the tag and the white space that follows it.
    pub(super) fn tag_arg_span(&self, span: Span) -> Span {
        let text = self.src.slice(span);
        if !text.starts_with('!') {
            return span;
        }
        let tag_len = text.find(char::is_whitespace).unwrap_or(text.len());
        let rest = &text[tag_len..];
        let ws = rest.len() - rest.trim_start().len();
        Span::new(span.start as usize + tag_len + ws, span.end as usize)
    }
}

//! Source text and the byte-offset → line/column conversion, done only at the edge.

use std::sync::Arc;

/// A byte range in a source file. `u32` keeps the span index lean; files are limited to 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.start as usize, s.len()).into()
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One loaded file: its name as given, its text, and an index of line starts.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
    /// Every `CHECKPOINT` bytes, the number of characters before that byte: keeps column
    /// computation fast on one-line files of 100 MB (terraform writes plans on one line).
    char_checkpoints: Option<Vec<u32>>,
}

const CHECKPOINT: usize = 4096;

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        line_starts
            .extend(memchr_newlines(bytes).map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX)));
        let char_checkpoints = if text.is_ascii() {
            None
        } else {
            let mut cps = Vec::with_capacity(bytes.len() / CHECKPOINT + 1);
            let mut chars = 0u32;
            for chunk in bytes.chunks(CHECKPOINT) {
                cps.push(chars);
                chars += chunk.iter().filter(|b| (**b & 0xC0) != 0x80).count() as u32;
            }
            Some(cps)
        };
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            char_checkpoints,
        }
    }

    /// Number of characters before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        let offset = offset.min(bytes.len());
        match &self.char_checkpoints {
            None => offset,
            Some(cps) => {
                let block = offset / CHECKPOINT;
                let base = cps.get(block).copied().unwrap_or(0) as usize;
                base + bytes[block * CHECKPOINT..offset]
                    .iter()
                    .filter(|b| (**b & 0xC0) != 0x80)
                    .count()
            }
        }
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: u32) -> Position {
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0) as usize;
        let column = self.chars_before(offset as usize) - self.chars_before(line_start) + 1;
        Position {
            line: line_idx + 1,
            column,
        }
    }

    /// Byte offset of a 1-based line (clamped to the text).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .map(|v| *v as usize)
            .unwrap_or(self.text.len())
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = SourceFile::new("t", "ab\nçé: x\n");
        assert_eq!(src.position(0), Position { line: 1, column: 1 });
        assert_eq!(src.position(3), Position { line: 2, column: 1 });
        // "x" is after 'ç' (2 bytes) 'é' (2 bytes) ':' ' '
        let x = src.text.find('x').unwrap_or(0) as u32;
        assert_eq!(src.position(x), Position { line: 2, column: 5 });
    }

    #[test]
    fn columns_on_a_long_non_ascii_line() {
        let mut s = String::from("é");
        s.push_str(&"a".repeat(10_000));
        s.push('Z');
        let src = SourceFile::new("t", s.clone());
        let z = s.find('Z').unwrap_or(0) as u32;
        assert_eq!(
            src.position(z),
            Position {
                line: 1,
                column: 10_002
            }
        );
    }
}

//! Where libyaml (PyYAML, hence cfn-lint and checkov; SnakeYAML, which is also a port of
//! PyYAML) is more lenient than saphyr about indentation, on templates people write.
//!
//! YAML 1.2 says a flow collection and a quoted scalar that span lines must be indented
//! further than their parent block node, and saphyr enforces it. libyaml checks indentation
//! only for block structure: inside `[ … ]` / `{ … }`, and on the continuation lines of a
//! quoted scalar, a line may start in any column (even the first one), and may be indented
//! with tabs. CloudFormation reads such templates, so tollgate must too.
//!
//! There, leading white space of a line is never content (a quoted scalar folds it away, flow
//! collections skip it), so indenting those lines further changes no value. When saphyr
//! rejects a file for one of these reasons at a place this module finds inside a multi-line
//! flow collection or quoted scalar, the loader re-parses a copy of the text with those lines
//! indented one column past the region's opening `[`, `{` or quote, and maps every position
//! back to the file. Files saphyr accepts never come here.
//!
//! Finding the regions takes a small tokenizer that knows comments, quotes, plain scalars,
//! flow collections and block scalars well enough not to see a bracket or a quote in the
//! wrong place. It never decides anything on its own: a region is only re-indented when
//! saphyr's error is inside it, and if saphyr still rejects the copy, the original error is
//! reported.
//!
//! One more libyaml leniency is on a single character: `Key:<tab>value` (saphyr wants a
//! space there when a plain scalar follows). The copy turns that tab into a space, which
//! moves no offset; after a second such error, every `Key:<tab>value` line outside flow
//! collections, quoted and block scalars is fixed at once.

/// Re-parses allowed per file (each re-indents more regions, or turns one more tab into a
/// space); [`MAX_REPARSED`] bounds them by size too.
pub(super) const MAX_ROUNDS: usize = 32;

/// Bytes all re-parses of one file may read together, unless the file is larger (then one
/// re-parse).
pub(super) const MAX_REPARSED: usize = 64 * 1024 * 1024;

/// saphyr's errors that libyaml does not raise inside a flow collection or on a quoted
/// scalar's continuation line.
pub(super) fn tolerable(info: &str) -> bool {
    matches!(
        info,
        "invalid indentation"
            | "invalid indentation in quoted scalar"
            | "invalid indentation in flow construct"
            | "invalid indentation for anchor"
            | "tab cannot be used as indentation"
            | "tabs disallowed within this context (block indentation)"
            | "':' must be followed by a valid YAML whitespace"
    )
}

/// `Key:<tab>value`: saphyr wants a space after a mapping's `:` when a plain scalar follows,
/// libyaml takes a tab. When saphyr's error at `at` is that, the tabs between the `:` and
/// `at` (byte offsets), which the copy turns into spaces (the same length: no offset moves).
pub(super) fn tab_separator(text: &str, at: usize, info: &str) -> Option<Vec<usize>> {
    if info != "':' must be followed by a valid YAML whitespace" {
        return None;
    }
    let before = text.as_bytes().get(..at)?;
    let tabs = before.iter().rev().take_while(|c| **c == b'\t').count();
    let colon = at.checked_sub(tabs + 1)?;
    (tabs > 0 && before.get(colon) == Some(&b':')).then(|| (colon + 1..at).collect())
}

/// A flow collection or a quoted scalar of the file that spans lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Region {
    /// The byte offset of the opening `[`, `{`, `'` or `"`.
    pub start: usize,
    /// The byte offset just after the closing bracket or quote (the end of the text when
    /// there is none).
    pub end: usize,
    /// The lines inside it (after its first line) start at least this many characters in.
    pub column: usize,
}

impl Region {
    pub fn contains(&self, at: usize) -> bool {
        self.start <= at && at <= self.end
    }
}

/// How many spaces [`pad`] would add: a copy much larger than the file is not worth it (a
/// region opened far to the right with many lines inside could make it huge).
pub(super) fn padding(text: &str, regions: &[&Region]) -> usize {
    let bytes = text.as_bytes();
    let mut total = 0usize;
    for r in regions {
        let inside = bytes.get(r.start..r.end).unwrap_or_default();
        for line in inside.split(|c| *c == b'\n').skip(1) {
            let indent = line
                .iter()
                .take_while(|x| matches!(x, b' ' | b'\t'))
                .count();
            total = total.saturating_add(r.column.saturating_sub(indent));
        }
    }
    total
}

/// The most [`pad`] may add to a file of `len` bytes.
pub(super) fn max_padding(len: usize) -> usize {
    len.saturating_mul(4).clamp(4096, 256 * 1024 * 1024)
}

/// A copy of `text` with every line that starts inside one of `regions` indented to the
/// region's column and the tabs at `tabs` (sorted byte offsets) made spaces, and for each
/// character of the copy (plus one past the end) the byte
/// offset in `text` it stands for (an added space stands for the line's first character).
pub(super) fn pad(text: &str, regions: &[&Region], tabs: &[usize]) -> (String, Vec<u32>) {
    let mut out = String::with_capacity(text.len() + 64);
    let mut map: Vec<u32> = Vec::with_capacity(text.len() + 64);
    let bytes = text.as_bytes();
    let mut next = 0usize; // index into regions (sorted by start, disjoint)
    let mut line_start = true;
    for (b, c) in text.char_indices() {
        if line_start {
            while regions.get(next).is_some_and(|r| r.end <= b) {
                next += 1;
            }
            if let Some(r) = regions.get(next) {
                if r.start < b && b < r.end && !document_marker(bytes, b) {
                    let indent = bytes[b..]
                        .iter()
                        .take_while(|x| matches!(x, b' ' | b'\t'))
                        .count();
                    for _ in indent..r.column {
                        out.push(' ');
                        map.push(offset(b));
                    }
                }
            }
        }
        if c == '\t' && tabs.binary_search(&b).is_ok() {
            out.push(' ');
        } else {
            out.push(c);
        }
        map.push(offset(b));
        line_start = c == '\n';
    }
    map.push(offset(text.len()));
    (out, map)
}

fn offset(b: usize) -> u32 {
    u32::try_from(b).unwrap_or(u32::MAX)
}

/// `---` or `...` starting a line: they end a document even inside a flow collection or a
/// quoted scalar (for libyaml too), so they keep their column.
fn document_marker(bytes: &[u8], b: usize) -> bool {
    let three = bytes.get(b..b + 3);
    (three == Some(b"---") || three == Some(b"..."))
        && matches!(bytes.get(b + 3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// What the tokenizer found: the multi-line flow collections (outermost ones) and
/// block-context quoted scalars of the text, in order, and the byte ranges of the content
/// lines of its block scalars (`|`, `>`).
pub(super) struct Found {
    pub regions: Vec<Region>,
    pub block_scalars: Vec<(usize, usize)>,
}

#[cfg(test)]
fn regions(text: &str) -> Vec<Region> {
    scan(text).regions
}

pub(super) fn scan(text: &str) -> Found {
    let mut t = Tokenizer {
        b: text.as_bytes(),
        text,
        i: 0,
        out: Vec::new(),
        block_scalars: Vec::new(),
    };
    t.run();
    Found {
        regions: t.out,
        block_scalars: t.block_scalars,
    }
}

/// Every `Key:<tab>value` of the file outside the regions and block scalars of `found` (the
/// tabs' byte offsets, sorted): once two of them failed, the file is written that way.
/// Only the shape saphyr rejects: a plain key first on its line (after `- ` entries), `:`,
/// tabs only, then a letter, a digit or `-`.
pub(super) fn all_tab_separators(text: &str, found: &Found) -> Vec<usize> {
    let bytes = text.as_bytes();
    let inside = |at: usize| {
        found.regions.iter().any(|r| r.start < at && at < r.end)
            || found.block_scalars.iter().any(|(s, e)| *s <= at && at < *e)
    };
    let mut out = Vec::new();
    let mut line = 0usize;
    while line < bytes.len() {
        let end = bytes[line..]
            .iter()
            .position(|c| *c == b'\n')
            .map_or(bytes.len(), |n| line + n);
        if !inside(line) {
            let mut i = line;
            loop {
                while bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'-') && bytes.get(i + 1) == Some(&b' ') {
                    i += 2;
                } else {
                    break;
                }
            }
            let key_start = i;
            while i < end && !matches!(bytes[i], b':' | b' ' | b'\t' | b'#' | b'\'' | b'"') {
                i += 1;
            }
            let plain_key = i > key_start
                && !matches!(
                    bytes[key_start],
                    b'{' | b'[' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'?'
                );
            if plain_key && bytes.get(i) == Some(&b':') {
                let tabs = bytes[i + 1..end]
                    .iter()
                    .take_while(|c| **c == b'\t')
                    .count();
                let next = bytes.get(i + 1 + tabs).copied().unwrap_or(b' ');
                if tabs > 0 && (next == b'-' || next.is_ascii_alphanumeric()) {
                    out.extend(i + 1..i + 1 + tabs);
                }
            }
        }
        line = end + 1;
    }
    out
}

struct Tokenizer<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    out: Vec<Region>,
    block_scalars: Vec<(usize, usize)>,
}

fn blank(c: Option<&u8>) -> bool {
    matches!(c, None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn flow_indicator(c: Option<&u8>) -> bool {
    matches!(c, Some(b',' | b'[' | b']' | b'{' | b'}'))
}

impl Tokenizer<'_> {
    fn at(&self, i: usize) -> Option<&u8> {
        self.b.get(i)
    }

    /// The character column of byte `i` (its line's characters before it).
    fn column(&self, i: usize) -> usize {
        let line = self.b[..i]
            .iter()
            .rposition(|c| *c == b'\n')
            .map_or(0, |n| n + 1);
        self.text.get(line..i).map_or(0, |s| s.chars().count())
    }

    fn skip_to_eol(&mut self) {
        while !matches!(self.at(self.i), None | Some(b'\n')) {
            self.i += 1;
        }
    }

    fn run(&mut self) {
        while self.i < self.b.len() {
            self.line();
        }
    }

    /// One line in block context, from its first character to after its line break.
    fn line(&mut self) {
        let line_start = self.i;
        while matches!(self.at(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        let indent = self.i - line_start;
        // Where the node a block scalar on this line belongs to starts (its key or entry);
        // a byte offset: the column is counted only for a block scalar (a long line of keys
        // must not cost a scan per key).
        let mut owner: Option<usize> = None;
        loop {
            while matches!(self.at(self.i), Some(b' ' | b'\t')) {
                self.i += 1;
            }
            let start = self.i;
            let Some(&c) = self.at(start) else { return };
            let next = self.at(start + 1);
            match c {
                b'\n' => {
                    self.i += 1;
                    return;
                }
                b'#' => self.skip_to_eol(),
                b'-' | b'?' | b':' if blank(next) => {
                    if c == b'-' && owner.is_none() {
                        owner = Some(start);
                    }
                    self.i += 1;
                }
                b'-' | b'.' if start == line_start && document_marker(self.b, start) => {
                    self.i += 3;
                }
                b'!' | b'&' | b'*' => {
                    while !blank(self.at(self.i)) {
                        self.i += 1;
                    }
                }
                b'\'' | b'"' => {
                    let region_start = self.i;
                    let multi_line = self.quoted(c);
                    if multi_line {
                        self.out.push(Region {
                            start: region_start,
                            end: self.i,
                            column: self.column(region_start) + 1,
                        });
                    }
                }
                b'[' | b'{' => {
                    let region_start = self.i;
                    if self.flow() {
                        self.out.push(Region {
                            start: region_start,
                            end: self.i,
                            column: self.column(region_start) + 1,
                        });
                    }
                }
                b'|' | b'>' => {
                    let parent = owner.map_or(indent, |o| self.column(o));
                    self.skip_to_eol();
                    let content = self.i;
                    self.block_scalar(parent);
                    self.block_scalars.push((content, self.i));
                    return;
                }
                _ => {
                    // A plain scalar: to `: `, ` #` or the end of the line.
                    loop {
                        match self.at(self.i) {
                            None | Some(b'\n') => break,
                            Some(b':') if blank(self.at(self.i + 1)) => break,
                            Some(b' ' | b'\t') if self.at(self.i + 1) == Some(&b'#') => break,
                            _ => self.i += 1,
                        }
                    }
                    if self.at(self.i) == Some(&b':') {
                        owner = Some(start);
                    }
                }
            }
        }
    }

    /// Skips the content lines of a block scalar whose parent node is at column `parent`.
    fn block_scalar(&mut self, parent: usize) {
        // The header's line break.
        if self.at(self.i) == Some(&b'\n') {
            self.i += 1;
        }
        while self.i < self.b.len() {
            let start = self.i;
            let mut j = start;
            while self.at(j) == Some(&b' ') {
                j += 1;
            }
            let empty = matches!(self.at(j), None | Some(b'\n' | b'\r'));
            if !empty && j - start <= parent {
                return;
            }
            self.skip_to_eol();
            if self.at(self.i) == Some(&b'\n') {
                self.i += 1;
            }
        }
    }

    /// Skips a quoted scalar from its opening quote; true if it spans lines.
    fn quoted(&mut self, quote: u8) -> bool {
        let mut multi_line = false;
        self.i += 1;
        while let Some(&c) = self.at(self.i) {
            match c {
                b'\\' if quote == b'"' => {
                    if self.at(self.i + 1) == Some(&b'\n') {
                        multi_line = true;
                    }
                    self.i = (self.i + 2).min(self.b.len());
                    continue;
                }
                b'\'' if quote == b'\'' && self.at(self.i + 1) == Some(&b'\'') => {
                    self.i += 2;
                    continue;
                }
                b'\n' => multi_line = true,
                _ if c == quote => {
                    self.i += 1;
                    return multi_line;
                }
                _ => {}
            }
            self.i += 1;
        }
        multi_line
    }

    /// Skips a flow collection from its opening bracket; true if it spans lines.
    fn flow(&mut self) -> bool {
        let first = self.i;
        let mut depth = 0usize;
        while let Some(&c) = self.at(self.i) {
            let prev_blank = self.i == 0 || blank(self.at(self.i - 1));
            match c {
                b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b']' | b'}' => {
                    self.i += 1;
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' | b',' => self.i += 1,
                b'#' if prev_blank => self.skip_to_eol(),
                b':' | b'?'
                    if blank(self.at(self.i + 1)) || flow_indicator(self.at(self.i + 1)) =>
                {
                    self.i += 1
                }
                b'\'' | b'"' => {
                    self.quoted(c);
                }
                b'!' | b'&' | b'*' => {
                    while !blank(self.at(self.i)) && !flow_indicator(self.at(self.i)) {
                        self.i += 1;
                    }
                }
                _ => loop {
                    // A plain scalar (its continuation lines are read as new tokens).
                    self.i += 1;
                    let here = self.at(self.i);
                    let after = self.at(self.i + 1);
                    let ends = match here {
                        None | Some(b'\n' | b',' | b'[' | b']' | b'{' | b'}') => true,
                        Some(b':') => blank(after) || flow_indicator(after),
                        Some(b' ' | b'\t') => after == Some(&b'#'),
                        _ => false,
                    };
                    if ends {
                        break;
                    }
                },
            }
        }
        self.b
            .get(first..self.i)
            .is_some_and(|s| s.contains(&b'\n'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        regions(text)
            .iter()
            .map(|r| &text[r.start..r.end])
            .collect()
    }

    #[test]
    fn finds_multi_line_flow_collections_and_quoted_scalars() {
        let text = "A: {\n  b: [1,\n 2]\n}\nB: 'x\ny'\nC: \"p\\\nq\"\nD: [one line]\nE: it's {not} 'flow'\n";
        assert_eq!(
            spans(text),
            vec!["{\n  b: [1,\n 2]\n}", "'x\ny'", "\"p\\\nq\""]
        );
    }

    #[test]
    fn skips_comments_and_block_scalars() {
        let text = "A: |\n  { not flow\n  'nor quoted\nB: x # {\n- k: >-\n    [\n  c: 'q\n r'\n";
        assert_eq!(spans(text), vec!["'q\n r'"]);
    }

    #[test]
    fn quotes_and_brackets_inside_flow_plain_scalars() {
        let text = "A: [it's, {k: v}, \"a]\n\", # ]\n x]\nB: 1\n";
        assert_eq!(spans(text), vec!["[it's, {k: v}, \"a]\n\", # ]\n x]"]);
    }

    #[test]
    fn text_ending_inside_a_region_is_no_panic() {
        for text in [
            "[\"a\\",
            "K: [\n'a",
            "K: {\n\"\\",
            "K: 'a\n",
            "K: |\n  x",
            "- [\n#",
            "K:\t",
        ] {
            let found = scan(text);
            let chosen: Vec<&Region> = found.regions.iter().collect();
            let _ = pad(text, &chosen, &[]);
            let _ = padding(text, &chosen);
            let _ = all_tab_separators(text, &found);
            let _ = tab_separator(
                text,
                text.len(),
                "':' must be followed by a valid YAML whitespace",
            );
        }
    }

    #[test]
    fn pads_lines_inside_regions_and_maps_offsets_back() {
        let text = "K: {\na: 1\n}\nL: 2\n";
        let found = regions(text);
        let chosen: Vec<&Region> = found.iter().collect();
        let (padded, map) = pad(text, &chosen, &[]);
        assert_eq!(padded, "K: {\n    a: 1\n    }\nL: 2\n");
        assert_eq!(map.len(), padded.chars().count() + 1);
        let a = padded.find('a').unwrap_or(0);
        assert_eq!(map[a] as usize, text.find('a').unwrap_or(0));
        assert_eq!(map[padded.len()] as usize, text.len());
    }
}

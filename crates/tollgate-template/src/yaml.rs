//! CloudFormation YAML → value + span index.
//!
//! `saphyr-parser` (a maintained, YAML 1.2 compliant event parser that reports spans) does
//! the scanning. This module turns its events into JSON values the way CloudFormation reads
//! them: short-form tags become their long forms (`!GetAtt A.B` → `{"Fn::GetAtt": ["A",
//! "B"]}`), duplicate keys are rejected, aliases are expanded under a hard bound, and plain
//! scalars get YAML 1.2 core-schema types. Where libyaml (PyYAML: what cfn-lint and checkov
//! read templates with) is more lenient than saphyr about indentation, `compat` makes the
//! loader lenient too.

use crate::error::{ErrorKind, LoadError};
use crate::index::{IndexBuilder, Indexed};
use crate::source::{SourceFile, Span};
use crate::Limits;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use serde_json::{Map, Value};
use std::collections::HashMap;

mod compat;

pub fn parse(src: &SourceFile, limits: &Limits) -> Result<Indexed, LoadError> {
    parse_with_warnings(src, limits).map(|(doc, _)| doc)
}

/// [`parse`], with the warnings about the document: tags that are not CloudFormation's
/// (`!Rain::Embed`, …), each kept as an unknown value in its long form.
pub fn parse_with_warnings(
    src: &SourceFile,
    limits: &Limits,
) -> Result<(Indexed, Vec<LoadError>), LoadError> {
    let offsets = CharOffsets::new(&src.text);
    let failure = match collect(src, &src.text, &offsets) {
        Ok(events) => return build(src, limits, &events),
        Err(Stop::Load(error)) => return Err(error),
        Err(Stop::Scan(failure)) => failure,
    };
    // saphyr follows YAML 1.2 on indentation where libyaml (PyYAML, cfn-lint, checkov) does
    // not: see `compat`. Only a file saphyr rejects takes this path.
    if compat::tolerable(failure.error.info()) {
        if let Some(parsed) = tolerant(src, limits, &failure)? {
            return Ok(parsed);
        }
    }
    Err(scan_error(src, &failure))
}

/// Re-parses a file saphyr rejected for the indentation of a flow collection or of a quoted
/// scalar's continuation line, with those lines indented further (which changes no value:
/// leading white space is not content there), or for a tab after a mapping's `:`, with that
/// tab made a space; spans still point into the original text. `None` when that does not
/// help: the original error stands.
fn tolerant(
    src: &SourceFile,
    limits: &Limits,
    first: &ScanFailure,
) -> Result<Option<(Indexed, Vec<LoadError>)>, LoadError> {
    let found = compat::scan(&src.text);
    let regions = &found.regions;
    let mut padded = vec![false; regions.len()];
    let mut tabs: Vec<usize> = Vec::new();
    let mut at = first.at;
    let mut info = first.error.info().to_string();
    let mut reparsed = 0usize;
    for round in 0..compat::MAX_ROUNDS {
        if let Some(tab) = compat::tab_separator(&src.text, at, &info) {
            if tab.iter().any(|t| tabs.contains(t)) {
                return Ok(None);
            }
            if tabs.is_empty() {
                tabs.extend(tab);
            } else {
                // A second one: the file is written this way throughout.
                tabs.extend(tab);
                tabs.extend(compat::all_tab_separators(&src.text, &found));
            }
            tabs.sort_unstable();
            tabs.dedup();
        } else {
            let Some(hit) = regions.iter().position(|r| r.contains(at)) else {
                return Ok(None);
            };
            if padded.get(hit) != Some(&false) {
                return Ok(None);
            }
            if padded.iter().any(|p| *p) {
                // A second region fails too: the file is written this way throughout.
                padded.iter_mut().for_each(|p| *p = true);
            } else if let Some(p) = padded.get_mut(hit) {
                *p = true;
            }
        }
        let chosen: Vec<&compat::Region> = regions
            .iter()
            .zip(&padded)
            .filter_map(|(r, p)| p.then_some(r))
            .collect();
        if compat::padding(&src.text, &chosen) > compat::max_padding(src.text.len()) {
            return Ok(None);
        }
        if round > 0 && reparsed.saturating_add(src.text.len()) > compat::MAX_REPARSED {
            return Ok(None);
        }
        reparsed = reparsed.saturating_add(src.text.len());
        let (text, map) = compat::pad(&src.text, &chosen, &tabs);
        let offsets = CharOffsets::mapped(map, src.text.len());
        match collect(src, &text, &offsets) {
            Ok(events) => return build(src, limits, &events).map(Some),
            Err(Stop::Load(error)) => return Err(error),
            Err(Stop::Scan(next)) if compat::tolerable(next.error.info()) => {
                at = next.at;
                info = next.error.info().to_string();
            }
            Err(Stop::Scan(_)) => return Ok(None),
        }
    }
    Ok(None)
}

/// Why collecting events stopped.
enum Stop {
    /// saphyr rejected the text.
    Scan(ScanFailure),
    /// The events are fine YAML but not a template (a second document).
    Load(LoadError),
}

struct ScanFailure {
    error: ScanError,
    /// The byte offset of the error in the original text.
    at: usize,
    /// The `[` or `{` of the innermost flow collection open at the error, if any.
    opener: Option<usize>,
}

/// The events of `text` (the file's text, or a re-indented copy of it), with spans as byte
/// offsets into the file's text.
fn collect<'t>(
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
fn scan_error(src: &SourceFile, failure: &ScanFailure) -> LoadError {
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

/// Values and the span index from the events.
fn build(
    src: &SourceFile,
    limits: &Limits,
    events: &[(Event<'_>, Span)],
) -> Result<(Indexed, Vec<LoadError>), LoadError> {
    let mut builder = Builder {
        src,
        events,
        anchors: HashMap::new(),
        index: IndexBuilder::with_capacity(events.len()),
        limits,
        alias_nodes: 0,
        alias_bytes: 0,
        expanding: 0,
        alias_site: Span::default(),
        last_end: 0,
        warnings: Vec::new(),
    };
    if events.is_empty() {
        builder.index.leaf(Span::new(0, 0), None);
        return Ok((Indexed::new(Value::Null, builder.index), Vec::new()));
    }
    let mut pos = 0usize;
    let value = builder.node(&mut pos, None, 0)?;
    Ok((Indexed::new(value, builder.index), builder.warnings))
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
struct CharOffsets {
    /// `None` when the text is ASCII (index == byte offset).
    bytes: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
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
    fn mapped(map: Vec<u32>, len: usize) -> Self {
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

struct Builder<'a> {
    src: &'a SourceFile,
    events: &'a [(Event<'a>, Span)],
    /// anchor id → index of the anchored node's first event.
    anchors: HashMap<usize, usize>,
    index: IndexBuilder,
    limits: &'a Limits,
    /// Nodes created by alias expansion so far (bounded: an alias bomb is an error).
    alias_nodes: usize,
    /// Bytes of scalar text created by alias expansion so far (bounded too: a bomb of long
    /// strings has few nodes).
    alias_bytes: usize,
    /// > 0 while building the contents of an alias.
    expanding: usize,
    /// The outermost alias being expanded (where alias-limit errors point).
    alias_site: Span,
    /// Where the most recently finished node ends (a block container ends with its last child).
    last_end: u32,
    /// Tags that are not CloudFormation's, once per site (an alias repeats none).
    warnings: Vec<LoadError>,
}

/// How a short-form tag's argument must look.
#[derive(Clone, Copy)]
enum Shape {
    Scalar,
    List(Option<usize>, Option<usize>),
    Map,
    Any,
    /// A scalar, or a list of `min` to `max` items.
    ScalarOrList(usize, usize),
    ScalarOrMap,
}

/// The CloudFormation short-form tags: YAML suffix, long-form key, argument shape.
const TAGS: &[(&str, &str, Shape)] = &[
    // A mapping: an intrinsic that computes the name (`!Ref {Fn::Sub: 'Subnet${Name}'}`, as
    // the `AWS::LanguageExtensions` transform allows).
    ("Ref", "Ref", Shape::ScalarOrMap),
    ("Condition", "Condition", Shape::Scalar),
    ("Sub", "Fn::Sub", Shape::ScalarOrList(1, 2)),
    ("GetAtt", "Fn::GetAtt", Shape::ScalarOrList(2, 2)),
    ("Join", "Fn::Join", Shape::List(Some(2), Some(2))),
    ("Select", "Fn::Select", Shape::List(Some(2), Some(2))),
    ("Split", "Fn::Split", Shape::List(Some(2), Some(2))),
    ("If", "Fn::If", Shape::List(Some(3), Some(3))),
    ("Equals", "Fn::Equals", Shape::List(Some(2), Some(2))),
    ("And", "Fn::And", Shape::List(Some(1), None)),
    ("Or", "Fn::Or", Shape::List(Some(1), None)),
    ("Not", "Fn::Not", Shape::List(Some(1), Some(1))),
    ("FindInMap", "Fn::FindInMap", Shape::List(Some(3), Some(4))),
    ("Base64", "Fn::Base64", Shape::Any),
    ("Cidr", "Fn::Cidr", Shape::List(Some(3), Some(3))),
    ("ImportValue", "Fn::ImportValue", Shape::ScalarOrMap),
    ("GetAZs", "Fn::GetAZs", Shape::ScalarOrMap),
    ("Transform", "Fn::Transform", Shape::Map),
    ("ToJsonString", "Fn::ToJsonString", Shape::Any),
    ("Length", "Fn::Length", Shape::Any),
    // Functions of the template's `Rules` section.
    ("Contains", "Fn::Contains", Shape::List(Some(2), Some(2))),
    (
        "EachMemberEquals",
        "Fn::EachMemberEquals",
        Shape::List(Some(2), Some(2)),
    ),
    (
        "EachMemberIn",
        "Fn::EachMemberIn",
        Shape::List(Some(2), Some(2)),
    ),
    ("RefAll", "Fn::RefAll", Shape::Scalar),
    ("ValueOf", "Fn::ValueOf", Shape::List(Some(2), Some(2))),
    (
        "ValueOfAll",
        "Fn::ValueOfAll",
        Shape::List(Some(2), Some(2)),
    ),
];

impl<'a> Builder<'a> {
    fn event(&self, pos: usize) -> Result<&'a (Event<'a>, Span), LoadError> {
        let events = self.events;
        events.get(pos).ok_or_else(|| {
            let end = self.src.text.len();
            LoadError::at(
                ErrorKind::YamlSyntax,
                self.src,
                Span::new(end, end),
                "unexpected end of YAML",
                "the file ends here",
            )
        })
    }

    fn too_deep(&self, span: Span) -> LoadError {
        LoadError::at(
            ErrorKind::TooDeep,
            self.src,
            span,
            format!("nesting deeper than {} levels", self.limits.max_depth),
            "too deep",
        )
        .with_help("raise the limit with --max-depth if this document is genuine")
    }

    fn count_node(&mut self, span: Span, text_len: usize) -> Result<(), LoadError> {
        if text_len > self.limits.max_string_len {
            return Err(LoadError::string_too_long(
                self.src,
                span.start as usize,
                text_len,
                self.limits.max_string_len,
            ));
        }
        if self.expanding > 0 {
            self.alias_nodes += 1;
            self.alias_bytes = self.alias_bytes.saturating_add(text_len);
            let message = if self.alias_bytes > self.limits.max_alias_bytes {
                format!(
                    "aliases expand to more than {} bytes of text (an alias bomb?)",
                    self.limits.max_alias_bytes
                )
            } else if self.alias_nodes > self.limits.max_alias_nodes {
                format!(
                    "aliases expand to more than {} nodes (an alias bomb?)",
                    self.limits.max_alias_nodes
                )
            } else {
                return Ok(());
            };
            let mut error = LoadError::at(
                ErrorKind::AliasLimit,
                self.src,
                self.alias_site,
                message,
                "expanding this alias",
            )
            .with_help(
                "CloudFormation does not need YAML aliases: write the values out, or raise the \
                 limit with --max-alias-nodes N if the expansion is genuine",
            );
            if span != self.alias_site {
                error = error.with_related(span, "the limit is reached here");
            }
            return Err(error);
        }
        Ok(())
    }

    /// Builds the node whose first event is at `*pos`; leaves `*pos` after its last event.
    fn node(
        &mut self,
        pos: &mut usize,
        key: Option<Span>,
        depth: usize,
    ) -> Result<Value, LoadError> {
        let (event, span) = self.event(*pos)?;
        let span = *span;
        if depth > self.limits.max_depth {
            return Err(self.too_deep(span));
        }
        let text_len = match event {
            Event::Scalar(text, ..) => text.len(),
            _ => 0,
        };
        self.count_node(span, text_len)?;
        match event {
            Event::Alias(id) => {
                let Some(&target) = self.anchors.get(id) else {
                    return Err(LoadError::at(
                        ErrorKind::YamlSyntax,
                        self.src,
                        span,
                        "alias to an unknown anchor",
                        "this alias",
                    ));
                };
                *pos += 1;
                if self.expanding == 0 {
                    self.alias_site = span;
                }
                self.expanding += 1;
                let mut at = target;
                let value = self.node(&mut at, key, depth);
                self.expanding -= 1;
                self.last_end = span.end;
                value
            }
            Event::Scalar(text, style, anchor, tag) => {
                if *anchor > 0 {
                    self.anchors.insert(*anchor, *pos);
                }
                let (text, style, tag) = (text.to_string(), *style, tag.clone());
                *pos += 1;
                let span = if text.is_empty() && style == ScalarStyle::Plain && tag.is_none() {
                    // An implicit null (`key:` with nothing after it) has no text of its own.
                    Span {
                        start: span.start,
                        end: span.start,
                    }
                } else {
                    self.scalar_span(span, style)
                };
                match tag {
                    Some(tag) if is_cfn_tag(&tag) => {
                        let (long, shape) = self.lookup_tag(&tag, span);
                        self.check_shape(&long, shape, ArgKind::Scalar, span)?;
                        let slot = self.index.open(span, key);
                        let arg_span = self.tag_arg_span(span);
                        let arg = if long == "Fn::GetAtt" {
                            // The list is made up: it and its items share the tagged span.
                            self.getatt_scalar(&text, span)?
                        } else {
                            self.index.leaf(arg_span, None);
                            Value::String(text)
                        };
                        self.index.close(slot);
                        self.last_end = span.end;
                        Ok(single(&long, arg))
                    }
                    tag => {
                        self.index.leaf(span, key);
                        self.last_end = span.end;
                        Ok(scalar_value(&text, style, tag.as_deref()))
                    }
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                if *anchor > 0 {
                    self.anchors.insert(*anchor, *pos);
                }
                let tag = tag.clone();
                let own_prefix = tag.is_some() || *anchor > 0;
                let span = if is_seq && !own_prefix {
                    self.sequence_start(span)
                } else {
                    span
                };
                let wrapper = match tag.as_deref() {
                    Some(t) if is_cfn_tag(t) => Some(self.lookup_tag(t, span)),
                    _ => None,
                };
                let outer = wrapper.as_ref().map(|_| self.index.open(span, key));
                let inner_span = if wrapper.is_some() {
                    self.tag_arg_span(span)
                } else {
                    span
                };
                let inner_key = if wrapper.is_some() { None } else { key };
                let slot = self.index.open(inner_span, inner_key);
                *pos += 1;
                let (value, end) = if is_seq {
                    self.sequence(pos, depth)?
                } else {
                    self.mapping(pos, depth)?
                };
                let full = Span {
                    start: span.start,
                    end: end.max(span.start),
                };
                self.index.set_span(
                    slot,
                    Span {
                        start: inner_span.start,
                        end: full.end,
                    },
                );
                self.index.close(slot);
                self.last_end = full.end;
                match (wrapper, outer) {
                    (Some((long, shape)), Some(outer)) => {
                        let kind = match &value {
                            Value::Array(a) => ArgKind::List(a.len()),
                            _ => ArgKind::Map,
                        };
                        self.check_shape(&long, shape, kind, span)?;
                        self.index.set_span(outer, full);
                        self.index.close(outer);
                        Ok(single(&long, value))
                    }
                    _ => {
                        self.index.set_span(slot, full);
                        Ok(value)
                    }
                }
            }
            _ => Err(LoadError::at(
                ErrorKind::YamlSyntax,
                self.src,
                span,
                "unexpected YAML structure",
                "here",
            )),
        }
    }

    /// Children up to the matching end event; returns the value and the end of the node.
    fn sequence(&mut self, pos: &mut usize, depth: usize) -> Result<(Value, u32), LoadError> {
        let mut items = Vec::new();
        let mut end = 0u32;
        loop {
            let (event, span) = self.event(*pos)?;
            if matches!(event, Event::SequenceEnd) {
                // Flow sequences end with `]`; a block sequence ends where its last item does.
                let span = *span;
                if !span.is_empty() {
                    end = span.end;
                }
                *pos += 1;
                return Ok((Value::Array(items), end));
            }
            items.push(self.node(pos, None, depth + 1)?);
            end = end.max(self.last_end);
        }
    }

    fn mapping(&mut self, pos: &mut usize, depth: usize) -> Result<(Value, u32), LoadError> {
        let mut map = Map::new();
        let mut keys: HashMap<String, Span> = HashMap::new();
        let mut end = 0u32;
        loop {
            let (event, span) = self.event(*pos)?;
            let span = *span;
            match event {
                Event::MappingEnd => {
                    if !span.is_empty() {
                        end = span.end;
                    }
                    *pos += 1;
                    return Ok((Value::Object(map), end));
                }
                Event::Scalar(text, style, _, _) => {
                    let key_span = self.scalar_span(span, *style);
                    self.count_node(key_span, text.len())?;
                    let key = text.to_string();
                    *pos += 1;
                    if let Some(first) = keys.get(&key) {
                        return Err(LoadError::at(
                            ErrorKind::DuplicateKey,
                            self.src,
                            key_span,
                            format!("duplicate key \"{key}\""),
                            "defined again here",
                        )
                        .with_related(*first, "first defined here")
                        .with_help(
                            "CloudFormation rejects templates with duplicate keys; keep one of them",
                        ));
                    }
                    keys.insert(key.clone(), key_span);
                    let value = self.node(pos, Some(key_span), depth + 1)?;
                    end = end.max(self.last_end).max(self.after_colon(key_span.end));
                    map.insert(key, value);
                }
                Event::Alias(_) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                    return Err(LoadError::at(
                        ErrorKind::YamlSyntax,
                        self.src,
                        span,
                        "mapping keys must be plain strings",
                        "this key",
                    ));
                }
                _ => {
                    return Err(LoadError::at(
                        ErrorKind::YamlSyntax,
                        self.src,
                        span,
                        "unexpected YAML structure",
                        "here",
                    ))
                }
            }
        }
    }

    /// Just after the `:` that follows a key (a key with no value still ends there).
    fn after_colon(&self, key_end: u32) -> u32 {
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
    fn scalar_span(&self, span: Span, style: ScalarStyle) -> Span {
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
    fn sequence_start(&self, span: Span) -> Span {
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
    fn tag_arg_span(&self, span: Span) -> Span {
        let text = self.src.slice(span);
        if !text.starts_with('!') {
            return span;
        }
        let tag_len = text.find(char::is_whitespace).unwrap_or(text.len());
        let rest = &text[tag_len..];
        let ws = rest.len() - rest.trim_start().len();
        Span::new(span.start as usize + tag_len + ws, span.end as usize)
    }

    /// The long form of a short-form tag. A tag that is not CloudFormation's (a
    /// preprocessor's, such as `!Rain::Embed`) keeps its name as the key of the long form
    /// (`{"Rain::Embed": "file.txt"}`, as Rain writes it), which policies see as an unknown
    /// value, and a warning names it.
    fn lookup_tag(&mut self, tag: &Tag, span: Span) -> (String, Shape) {
        if let Some((_, long, shape)) = TAGS.iter().find(|(suffix, _, _)| *suffix == tag.suffix) {
            return ((*long).to_string(), *shape);
        }
        if self.expanding == 0 {
            let what = if tag.suffix.starts_with("Rain::") {
                "a Rain preprocessor tag"
            } else {
                "not a CloudFormation function (a preprocessor's tag?)"
            };
            self.warnings.push(
                LoadError::at(
                    ErrorKind::UnknownTag,
                    self.src,
                    span,
                    format!(
                        "unknown tag !{}: {what}; its value is checked as unknown",
                        tag.suffix
                    ),
                    "not a CloudFormation function",
                )
                .with_help("expand the template first (e.g. `rain pkg template.yaml`) to check what the tag makes; CloudFormation short forms are !Ref, !Sub, !GetAtt, !Join, !Select, !Split, !If, !Equals, !And, !Or, !Not, !Condition, !FindInMap, !Base64, !Cidr, !ImportValue, !GetAZs, !Transform (and the Rules functions)"),
            );
        }
        (tag.suffix.clone(), Shape::Any)
    }

    fn check_shape(
        &self,
        long: &str,
        shape: Shape,
        got: ArgKind,
        span: Span,
    ) -> Result<(), LoadError> {
        match shape_mismatch(shape, got) {
            None => Ok(()),
            Some(expected) => Err(LoadError::at(
                ErrorKind::TagShape,
                self.src,
                span,
                format!("{long} takes {expected}, found {}", got.describe()),
                format!("expected {expected}"),
            )),
        }
    }

    /// `!GetAtt Resource.Attribute` → `["Resource", "Attribute"]` (attributes may contain dots).
    fn getatt_scalar(&mut self, text: &str, span: Span) -> Result<Value, LoadError> {
        let parts = text
            .split_once('.')
            .filter(|(r, a)| !r.is_empty() && !a.is_empty());
        let Some((resource, attribute)) = parts else {
            return Err(LoadError::at(
                ErrorKind::TagShape,
                self.src,
                span,
                format!("!GetAtt \"{text}\" has no attribute"),
                "expected Resource.Attribute",
            )
            .with_help(
                "write `!GetAtt Resource.Attribute`, e.g. `!GetAtt MyVpc.DefaultSecurityGroup`",
            ));
        };
        let slot = self.index.open(span, None);
        self.index.leaf(span, None);
        self.index.leaf(span, None);
        self.index.close(slot);
        Ok(Value::Array(vec![
            Value::String(resource.to_string()),
            Value::String(attribute.to_string()),
        ]))
    }
}

/// What `shape` expects, when `got` does not fit it.
fn shape_mismatch(shape: Shape, got: ArgKind) -> Option<String> {
    let ok = match (shape, got) {
        (Shape::Any, _) => true,
        (Shape::Scalar, ArgKind::Scalar) => true,
        (Shape::Map, ArgKind::Map) => true,
        (Shape::ScalarOrList(..), ArgKind::Scalar) => true,
        (Shape::ScalarOrList(min, max), ArgKind::List(n)) => n >= min && n <= max,
        (Shape::ScalarOrMap, ArgKind::Scalar | ArgKind::Map) => true,
        (Shape::List(min, max), ArgKind::List(n)) => {
            min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
        }
        _ => false,
    };
    if ok {
        return None;
    }
    Some(match shape {
        Shape::Scalar => "a string".to_string(),
        Shape::Map => "a mapping".to_string(),
        Shape::ScalarOrList(a, b) if a == b => format!("a string or a list of {a}"),
        Shape::ScalarOrList(a, b) => format!("a string or a list of {a} to {b}"),
        Shape::ScalarOrMap => "a string or a mapping".to_string(),
        Shape::List(Some(a), Some(b)) if a == b => format!("a list of {a}"),
        Shape::List(Some(a), Some(b)) => format!("a list of {a} to {b}"),
        Shape::List(Some(a), None) => format!("a list of at least {a}"),
        _ => "a value".to_string(),
    })
}

#[derive(Clone, Copy)]
enum ArgKind {
    Scalar,
    List(usize),
    Map,
}

impl ArgKind {
    fn describe(self) -> String {
        match self {
            ArgKind::Scalar => "a scalar".into(),
            ArgKind::List(n) => format!("a list of {n}"),
            ArgKind::Map => "a mapping".into(),
        }
    }
}

fn is_cfn_tag(tag: &Tag) -> bool {
    tag.handle == "!"
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Map::with_capacity(1);
    map.insert(key.to_string(), value);
    Value::Object(map)
}

/// YAML 1.2 core schema for plain scalars; quoted and block scalars are strings.
fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" {
            return match tag.suffix.as_str() {
                "str" | "binary" => Value::String(text.to_string()),
                "null" => Value::Null,
                _ => plain_value(text),
            };
        }
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_string());
    }
    plain_value(text)
}

fn plain_value(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let is_int = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    // Leading zeros (account ids, octal-looking values) stay strings: nothing is lost.
    if is_int && !(digits.len() > 1 && digits.starts_with('0')) || looks_like_float(text) {
        // The same rule as JSON: 64-bit integers, else the nearest float, else the text.
        return crate::json::number(text.as_bytes());
    }
    Value::String(text.to_string())
}

fn looks_like_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exp = false;
    let mut prev = ' ';
    for c in t.chars() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_dot && !seen_exp => seen_dot = true,
            'e' | 'E' if seen_digit && !seen_exp => seen_exp = true,
            '+' | '-' if matches!(prev, 'e' | 'E') => {}
            _ => return false,
        }
        prev = c;
    }
    seen_digit && (seen_dot || seen_exp) && !matches!(prev, 'e' | 'E' | '+' | '-')
}

//! saphyr's events → the JSON value and its span index, in one pass: mappings reject
//! duplicate keys, aliases are expanded (under the bounds of `limits`), tagged nodes become
//! their long forms (`tags`).

use super::scalars::scalar_value;
use super::tags::{is_cfn_tag, ArgKind};
use crate::error::{ErrorKind, LoadError};
use crate::index::{IndexBuilder, Indexed};
use crate::source::{SourceFile, Span};
use crate::value::single;
use crate::Limits;
use saphyr_parser::{Event, ScalarStyle};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Values and the span index from the events.
pub(super) fn build(
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

pub(super) struct Builder<'a> {
    pub(super) src: &'a SourceFile,
    pub(super) events: &'a [(Event<'a>, Span)],
    /// anchor id → index of the anchored node's first event.
    pub(super) anchors: HashMap<usize, usize>,
    pub(super) index: IndexBuilder,
    pub(super) limits: &'a Limits,
    /// Nodes created by alias expansion so far (bounded: an alias bomb is an error).
    pub(super) alias_nodes: usize,
    /// Bytes of scalar text created by alias expansion so far (bounded too: a bomb of long
    /// strings has few nodes).
    pub(super) alias_bytes: usize,
    /// > 0 while building the contents of an alias.
    pub(super) expanding: usize,
    /// The outermost alias being expanded (where alias-limit errors point).
    pub(super) alias_site: Span,
    /// Where the most recently finished node ends (a block container ends with its last child).
    pub(super) last_end: u32,
    /// Tags that are not CloudFormation's, once per site (an alias repeats none).
    pub(super) warnings: Vec<LoadError>,
}

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
}

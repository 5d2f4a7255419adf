//! The span index: a JSON value plus, for every node in pre-order, where it came from.
//!
//! Instead of a parallel tree of spanned nodes (which doubles memory on 100 MB plans), the
//! index is a flat vector aligned with the pre-order walk of the `serde_json::Value`
//! (objects keep insertion order: `preserve_order`). A JSON pointer is found by walking the
//! value and the vector together; `next` lets a walk skip a whole subtree in one step.

use crate::pointer::{Pointer, PointerBuf, Token};
use crate::source::Span;
use serde_json::Value;

mod cursor;
#[cfg(test)]
mod tests;

pub use cursor::{Child, Children};

/// Where one node of a document came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node as written (for a resolved document: the site that produced it).
    pub span: Span,
    /// The key of this node when it is an object member.
    pub key: Option<Span>,
    /// Pre-order index of the node after this node's subtree.
    next: u32,
    /// Index into `Indexed::related`, or `u32::MAX` for none.
    related: u32,
}

/// A second source location that explains a value (a parameter default, a mapping entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
}

/// A value and its span index.
#[derive(Debug, Clone, Default)]
pub struct Indexed {
    pub value: Value,
    nodes: Vec<NodeInfo>,
    related: Vec<Vec<Related>>,
}

/// What a pointer lookup finds.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Pre-order index of the node.
    pub idx: usize,
    pub value: &'a Value,
    pub info: &'a NodeInfo,
    pub related: &'a [Related],
}

impl Indexed {
    pub fn new(value: Value, builder: IndexBuilder) -> Self {
        Indexed {
            value,
            nodes: builder.nodes,
            related: builder.related,
        }
    }

    /// The info of the node with pre-order index `idx`.
    pub fn info(&self, idx: usize) -> Option<&NodeInfo> {
        self.nodes.get(idx)
    }

    /// The span of node `idx` (empty when there is no such node).
    pub fn span(&self, idx: usize) -> Span {
        self.nodes.get(idx).map(|n| n.span).unwrap_or_default()
    }

    /// The key span of node `idx`, when it is an object member.
    pub fn key(&self, idx: usize) -> Option<Span> {
        self.nodes.get(idx).and_then(|n| n.key)
    }

    /// The pre-order index of the sibling after node `idx` (skips `idx`'s whole subtree).
    fn next_sibling(&self, idx: usize) -> usize {
        self.nodes.get(idx).map_or(idx + 1, |n| n.next as usize)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Finds the node at a pointer (the root pointer is the root).
    pub fn find(&self, pointer: &Pointer) -> Option<Found<'_>> {
        self.find_from(&self.value, 0, pointer)
    }

    /// Finds `pointer` relative to the node with pre-order index `root`, whose value is
    /// `root_value` (which may have been moved out of this document, as a plan's planned
    /// states are).
    pub fn find_from<'a>(
        &'a self,
        root_value: &'a Value,
        root: usize,
        pointer: &Pointer,
    ) -> Option<Found<'a>> {
        let mut value = root_value;
        let mut idx = root;
        for token in pointer.tokens() {
            let token = token.decoded();
            let child = match value {
                Value::Object(_) => self.member(idx, value, &token)?,
                Value::Array(_) => {
                    if token.len() > 1 && token.starts_with('0') {
                        return None;
                    }
                    self.nth_child(idx, value, token.parse().ok()?)?
                }
                _ => return None,
            };
            value = child.value;
            idx = child.idx;
        }
        let info = self.nodes.get(idx)?;
        let related = self
            .related
            .get(info.related as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        Some(Found {
            idx,
            value,
            info,
            related,
        })
    }

    /// Every node's pointer and info, in pre-order (for tests and tools; allocates).
    pub fn walk(&self) -> Vec<(PointerBuf, &Value, &NodeInfo)> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut idx = 0usize;
        walk_value(
            &self.value,
            PointerBuf::new(),
            &self.nodes,
            &mut idx,
            &mut out,
        );
        out
    }
}

fn walk_value<'a>(
    value: &'a Value,
    pointer: PointerBuf,
    nodes: &'a [NodeInfo],
    idx: &mut usize,
    out: &mut Vec<(PointerBuf, &'a Value, &'a NodeInfo)>,
) {
    let Some(info) = nodes.get(*idx) else { return };
    out.push((pointer.clone(), value, info));
    *idx += 1;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = pointer.with_trailing_token(Token::new(k.as_str()));
                walk_value(v, child, nodes, idx, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_value(v, pointer.with_trailing_token(i), nodes, idx, out);
            }
        }
        _ => {}
    }
}

/// Records nodes in pre-order while a parser or resolver builds the matching value.
///
/// Call [`IndexBuilder::open`] before building a node's children and
/// [`IndexBuilder::close`] after: the value must be built in the same order.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    nodes: Vec<NodeInfo>,
    related: Vec<Vec<Related>>,
}

/// A node opened in an [`IndexBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Slot(usize);

impl NodeInfo {
    /// Pre-order index of the first node after this node's subtree.
    pub fn next(&self) -> usize {
        self.next as usize
    }
}

impl IndexBuilder {
    pub fn with_capacity(n: usize) -> Self {
        IndexBuilder {
            nodes: Vec::with_capacity(n),
            related: Vec::new(),
        }
    }

    pub fn open(&mut self, span: Span, key: Option<Span>) -> Slot {
        self.nodes.push(NodeInfo {
            span,
            key,
            next: 0,
            related: u32::MAX,
        });
        Slot(self.nodes.len() - 1)
    }

    pub fn close(&mut self, slot: Slot) {
        let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        if let Some(n) = self.nodes.get_mut(slot.0) {
            n.next = next;
        }
    }

    /// A node without children.
    pub fn leaf(&mut self, span: Span, key: Option<Span>) {
        let slot = self.open(span, key);
        self.close(slot);
    }

    pub fn set_span(&mut self, slot: Slot, span: Span) {
        if let Some(n) = self.nodes.get_mut(slot.0) {
            n.span = span;
        }
    }

    pub fn set_related(&mut self, slot: Slot, related: Vec<Related>) {
        if related.is_empty() {
            return;
        }
        let at = u32::try_from(self.related.len()).unwrap_or(u32::MAX);
        self.related.push(related);
        if let Some(n) = self.nodes.get_mut(slot.0) {
            n.related = at;
        }
    }

    /// Drops every node recorded since `mark` (a subtree that turned out not to exist).
    pub fn truncate(&mut self, mark: usize) {
        self.nodes.truncate(mark);
    }

    /// Gives the node opened at `mark` a new span (the site that produced it).
    pub fn retarget(&mut self, mark: usize, span: Span) {
        if let Some(n) = self.nodes.get_mut(mark) {
            n.span = span;
        }
    }

    /// Adds a related location to the node opened at `mark`.
    pub fn add_related_at(&mut self, mark: usize, related: Related) {
        let Some(node) = self.nodes.get(mark) else {
            return;
        };
        if let Some(list) = self.related.get_mut(node.related as usize) {
            list.push(related);
        } else {
            self.set_related(Slot(mark), vec![related]);
        }
    }

    pub fn mark(&self) -> usize {
        self.nodes.len()
    }

    /// Appends the entries of node `idx` of `from` and its whole subtree as they are (each node
    /// keeps its span and key; related locations are not copied), the root with the key `key`.
    /// One copy of a slice: copying a subtree as written costs its size, at any depth.
    pub fn copy_subtree(&mut self, from: &Indexed, idx: usize, key: Option<Span>) {
        let Some(root) = from.nodes.get(idx) else {
            return;
        };
        let end = root.next().clamp(idx + 1, from.nodes.len());
        let base = self.nodes.len();
        // Offsets in `from` become offsets here: shift every `next` by the same amount.
        let shift = |next: u32| {
            let moved = (next as usize).saturating_sub(idx).saturating_add(base);
            u32::try_from(moved).unwrap_or(u32::MAX)
        };
        self.nodes
            .extend(from.nodes[idx..end].iter().map(|n| NodeInfo {
                next: shift(n.next),
                related: u32::MAX,
                ..*n
            }));
        if let Some(first) = self.nodes.get_mut(base) {
            first.key = key;
        }
    }
}

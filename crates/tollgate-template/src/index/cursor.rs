//! The child cursor: a node's children in document order, each with its pre-order index, so
//! that walks over a value and its index never do sibling arithmetic themselves.

use super::Indexed;
use serde_json::Value;

/// One child of a node.
#[derive(Debug, Clone, Copy)]
pub struct Child<'v> {
    /// Pre-order index of the child.
    pub idx: usize,
    /// Its key when the parent is an object.
    pub key: Option<&'v str>,
    pub value: &'v Value,
}

/// The children of one node: see [`Indexed::children`].
#[derive(Debug, Clone)]
pub struct Children<'i, 'v> {
    index: &'i Indexed,
    /// Pre-order index of the next child.
    next: usize,
    items: Items<'v>,
}

#[derive(Debug, Clone)]
enum Items<'v> {
    Object(serde_json::map::Iter<'v>),
    Array(std::slice::Iter<'v, Value>),
    None,
}

impl<'v> Iterator for Children<'_, 'v> {
    type Item = Child<'v>;

    fn next(&mut self) -> Option<Child<'v>> {
        let (key, value) = match &mut self.items {
            Items::Object(members) => members.next().map(|(k, v)| (Some(k.as_str()), v))?,
            Items::Array(items) => (None, items.next()?),
            Items::None => return None,
        };
        let idx = self.next;
        self.next = self.index.next_sibling(idx);
        Some(Child { idx, key, value })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.items {
            Items::Object(members) => members.size_hint(),
            Items::Array(items) => items.size_hint(),
            Items::None => (0, Some(0)),
        }
    }
}

impl Indexed {
    /// The children of node `idx`, whose value is `value` (a value of this document, or one
    /// moved out of it: see [`Indexed::take`]): members of an object, items of an array,
    /// nothing for a scalar.
    pub fn children<'i, 'v>(&'i self, idx: usize, value: &'v Value) -> Children<'i, 'v> {
        let items = match value {
            Value::Object(map) => Items::Object(map.iter()),
            Value::Array(list) => Items::Array(list.iter()),
            _ => Items::None,
        };
        Children {
            index: self,
            // In pre-order, a node's first child comes right after it.
            next: idx + 1,
            items,
        }
    }

    /// The member `key` of the object at node `idx` (value `value`).
    pub fn member<'v>(&self, idx: usize, value: &'v Value, key: &str) -> Option<Child<'v>> {
        if !value.is_object() {
            return None;
        }
        self.children(idx, value).find(|c| c.key == Some(key))
    }

    /// The `n`th child (0-based) of node `idx` (value `value`).
    pub fn nth_child<'v>(&self, idx: usize, value: &'v Value, n: usize) -> Option<Child<'v>> {
        self.children(idx, value).nth(n)
    }
}

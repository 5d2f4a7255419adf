//! The frame of a finding on a long line (terraform writes plans on one line): the
//! resource's `resource_changes` entry pretty-printed as serde_json prints it, with the span
//! of the offending value noted while it is written (nothing is parsed again).

use super::frame::{Frame, SourceExcerpt};
use serde_json::Value;
use std::sync::Arc;
use tollgate_policy::Finding;
use tollgate_template::pointer::{self, Pointer};
use tollgate_template::{Loaded, PolicyInput, Span};

pub fn frame(loaded: &Loaded, f: &Finding) -> Option<Frame> {
    let PolicyInput::Plan(plan) = loaded.inputs.first()? else {
        return None;
    };
    // A pointer into a planned state (`/resources/<i>/after/…`) shows the whole state with
    // the value marked; any other shows what it names.
    let (_, tail) = pointer::plan_resource(&f.pointer)?;
    let (container, relative) = match tail.split_front() {
        Some((field, rest)) if field.decoded() == "after" => (f.pointer.strip_suffix(rest)?, rest),
        _ => (f.pointer.as_ptr(), Pointer::root()),
    };
    let container = plan.plan_pointer(container)?;
    let value = plan.find_in_plan(&loaded.document, &container)?.value;
    let (text, primary) = pretty_with_span(value, relative);
    let name = format!(
        "{} (resource_changes entry of {}, pretty-printed)",
        loaded.source.name, f.resource
    );
    Some(Frame {
        source: Arc::new(SourceExcerpt::whole(name, text)),
        primary,
        related: Vec::new(),
    })
}

/// `serde_json::to_string_pretty(value)`, and the span of the deepest value along `pointer`
/// that exists (the first character when that is `value` itself).
fn pretty_with_span(value: &Value, pointer: &Pointer) -> (String, Span) {
    let tokens: Vec<String> = pointer.tokens().map(|t| t.decoded().into_owned()).collect();
    let depth = existing_depth(value, &tokens);
    let mut w = Writer {
        out: String::new(),
        target: &tokens[..depth],
        span: None,
    };
    w.value(value, 0, Some(0));
    let span = match (depth, w.span) {
        (0, _) | (_, None) => Span::new(0, 1),
        (_, Some(span)) => span,
    };
    (w.out, span)
}

/// How many tokens of the pointer lead to an existing value.
fn existing_depth(mut value: &Value, tokens: &[String]) -> usize {
    for (depth, token) in tokens.iter().enumerate() {
        let child = match value {
            Value::Object(map) => map.get(token),
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match child {
            Some(c) => value = c,
            None => return depth,
        }
    }
    tokens.len()
}

struct Writer<'a> {
    out: String,
    /// The path of the value whose span is wanted.
    target: &'a [String],
    span: Option<Span>,
}

impl Writer<'_> {
    /// Writes `v` at `indent` levels; `on_path`: how many target tokens lead here, if all do.
    fn value(&mut self, v: &Value, indent: usize, on_path: Option<usize>) {
        let start = self.out.len();
        match v {
            Value::Array(items) if !items.is_empty() => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    self.item_start(i, indent + 1);
                    let next = self.child(on_path, |t| t.parse::<usize>().ok() == Some(i));
                    self.value(item, indent + 1, next);
                }
                self.close(indent, ']');
            }
            Value::Object(map) if !map.is_empty() => {
                self.out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    self.item_start(i, indent + 1);
                    self.out.push_str(&scalar(&Value::String(key.clone())));
                    self.out.push_str(": ");
                    let next = self.child(on_path, |t| t == key);
                    self.value(item, indent + 1, next);
                }
                self.close(indent, '}');
            }
            other => self.out.push_str(&scalar(other)),
        }
        if on_path == Some(self.target.len()) {
            self.span = Some(Span::new(start, self.out.len()));
        }
    }

    fn child(&self, on_path: Option<usize>, is_next: impl Fn(&str) -> bool) -> Option<usize> {
        let k = on_path?;
        self.target.get(k).filter(|t| is_next(t)).map(|_| k + 1)
    }

    fn item_start(&mut self, i: usize, indent: usize) {
        if i > 0 {
            self.out.push(',');
        }
        self.out.push('\n');
        self.out.push_str(&"  ".repeat(indent));
    }

    fn close(&mut self, indent: usize, bracket: char) {
        self.out.push('\n');
        self.out.push_str(&"  ".repeat(indent));
        self.out.push(bracket);
    }
}

/// A scalar, or an empty array or object, as serde_json writes it.
fn scalar(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_text_is_serde_jsons_pretty_form() {
        let v = json!({"a": [1, {"b": "x\"y", "c": []}, {}], "d": null, "e": {"f": 1.5}});
        let (text, _) = pretty_with_span(&v, Pointer::root());
        assert_eq!(text, serde_json::to_string_pretty(&v).unwrap());
    }

    #[test]
    fn the_span_is_the_deepest_existing_value() {
        let v = json!({"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "a/b": true}]});
        let at = |pointer: &'static str| {
            let (text, span) = pretty_with_span(&v, Pointer::from_static(pointer));
            text[span.range()].to_string()
        };
        assert_eq!(at("/ingress/0/cidr_blocks/0"), "\"0.0.0.0/0\"");
        assert_eq!(at("/ingress/0/a~1b"), "true");
        assert_eq!(at("/ingress/0/missing/deeper"), at("/ingress/0"));
        assert!(at("/ingress/0").starts_with('{'));
        assert_eq!(at("/nothing"), "{");
    }
}

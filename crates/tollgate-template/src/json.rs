//! JSON (CloudFormation JSON and Terraform plans) → value + span index, in one pass.
//!
//! `jiter` does the tokenizing (fast, maintained, exposes byte positions); this module only
//! records where each node starts and ends, builds the `serde_json::Value` in the same pass,
//! and rejects duplicate keys and excessive nesting.

use crate::error::{ErrorKind, LoadError};
use crate::index::{IndexBuilder, Indexed};
use crate::source::{SourceFile, Span};
use crate::Limits;
use jiter::{Jiter, JiterError, JiterErrorType, JsonErrorType, Peek};
use serde_json::{Map, Number, Value};

/// Plan sections that duplicate `resource_changes` and that no policy input uses.
const UNUSED_PLAN_SECTIONS: &[&str] = &["planned_values", "prior_state"];

pub fn parse(src: &SourceFile, limits: &Limits) -> Result<Indexed, LoadError> {
    let bytes = src.text.as_bytes();
    // A rough guess of the node count keeps the index from reallocating on big plans.
    let mut parser = JsonParser {
        src,
        bytes,
        jiter: Jiter::new(bytes),
        index: IndexBuilder::with_capacity(bytes.len() / 24),
        limits,
    };
    let value = parser.value(None, 0)?;
    parser.jiter.finish().map_err(|e| parser.syntax(e))?;
    Ok(Indexed::new(value, parser.index))
}

struct JsonParser<'a> {
    src: &'a SourceFile,
    bytes: &'a [u8],
    jiter: Jiter<'a>,
    index: IndexBuilder,
    limits: &'a Limits,
}

impl JsonParser<'_> {
    fn syntax(&self, e: JiterError) -> LoadError {
        syntax(self.src, e)
    }

    fn value(&mut self, key: Option<Span>, depth: usize) -> Result<Value, LoadError> {
        let src = self.src;
        let peek = self.jiter.peek().map_err(|e| syntax(src, e))?;
        let start = self.jiter.current_index();
        if depth > self.limits.max_depth {
            return Err(LoadError::at(
                ErrorKind::TooDeep,
                self.src,
                Span::new(start, start + 1),
                format!("nesting deeper than {} levels", self.limits.max_depth),
                "too deep",
            )
            .with_help("raise the limit with --max-depth if this document is genuine"));
        }
        let slot = self.index.open(Span::new(start, start), key);
        let value = match peek {
            Peek::Null => {
                self.jiter.known_null().map_err(|e| syntax(src, e))?;
                Value::Null
            }
            Peek::True | Peek::False => {
                Value::Bool(self.jiter.known_bool(peek).map_err(|e| syntax(src, e))?)
            }
            Peek::String => {
                let s = self
                    .jiter
                    .known_str()
                    .map_err(|e| unclosed(src, e, start))?
                    .to_owned();
                self.check_string_len(s.len(), start)?;
                Value::String(s)
            }
            Peek::Array => {
                let mut items = Vec::new();
                let mut next = self
                    .jiter
                    .known_array()
                    .map_err(|e| unclosed(src, e, start))?;
                while next.is_some() {
                    items.push(self.value(None, depth + 1)?);
                    next = self
                        .jiter
                        .array_step()
                        .map_err(|e| unclosed(src, e, start))?;
                }
                Value::Array(items)
            }
            Peek::Object => {
                let mut map = Map::new();
                let mut key_start = self.key_start(self.jiter.current_index());
                let mut next = self
                    .jiter
                    .known_object()
                    .map_err(|e| unclosed(src, e, start))?
                    .map(str::to_owned);
                // A Terraform plan (terraform writes `format_version` first) repeats every
                // resource in `planned_values` and `prior_state`; tollgate reads neither, so
                // they are checked for syntax but not kept (half the memory of a big plan).
                let is_plan = depth == 0 && next.as_deref() == Some("format_version");
                while let Some(k) = next {
                    let key_span = Span::new(key_start, self.key_end(self.jiter.current_index()));
                    self.check_string_len(k.len(), key_start)?;
                    let child = if is_plan && UNUSED_PLAN_SECTIONS.contains(&k.as_str()) {
                        self.skipped(key_span)?
                    } else {
                        self.value(Some(key_span), depth + 1)?
                    };
                    if map.contains_key(&k) {
                        return Err(self.duplicate(&k, key_span));
                    }
                    map.insert(k, child);
                    key_start = self.key_start(self.jiter.current_index());
                    next = self
                        .jiter
                        .next_key()
                        .map_err(|e| unclosed(src, e, start))?
                        .map(str::to_owned);
                }
                Value::Object(map)
            }
            _ => {
                let raw = self
                    .jiter
                    .known_number_bytes(peek)
                    .map_err(|e| syntax(src, e))?;
                number(raw)
            }
        };
        self.index
            .set_span(slot, Span::new(start, self.jiter.current_index()));
        self.index.close(slot);
        Ok(value)
    }

    /// Validates a value without building it; it stands in the document as `null`.
    fn skipped(&mut self, key: Span) -> Result<Value, LoadError> {
        let src = self.src;
        self.jiter.peek().map_err(|e| syntax(src, e))?;
        let start = self.jiter.current_index();
        self.jiter.next_skip().map_err(|e| {
            if e.error_type == JiterErrorType::JsonError(JsonErrorType::RecursionLimitExceeded) {
                let at = e.index.min(src.text.len());
                LoadError::at(
                    ErrorKind::TooDeep,
                    src,
                    Span::new(at, at),
                    "nesting deeper than the JSON parser's limit of 200 levels",
                    "too deep",
                )
            } else {
                syntax(src, e)
            }
        })?;
        self.index
            .leaf(Span::new(start, self.jiter.current_index()), Some(key));
        Ok(Value::Null)
    }

    fn check_string_len(&self, len: usize, start: usize) -> Result<(), LoadError> {
        if len > self.limits.max_string_len {
            return Err(LoadError::string_too_long(
                self.src,
                start,
                len,
                self.limits.max_string_len,
            ));
        }
        Ok(())
    }

    /// The key's opening quote: skip `{`, `,` and white space from `from`.
    fn key_start(&self, from: usize) -> usize {
        let mut i = from;
        while let Some(b) = self.bytes.get(i) {
            match b {
                b'{' | b',' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                _ => break,
            }
        }
        i
    }

    /// Just after the key's closing quote: back over white space and `:` from `from`.
    fn key_end(&self, from: usize) -> usize {
        let mut i = from;
        while i > 0 {
            match self.bytes.get(i - 1) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b':') => i -= 1,
                _ => break,
            }
        }
        i
    }

    fn duplicate(&self, key: &str, span: Span) -> LoadError {
        LoadError::at(
            ErrorKind::DuplicateKey,
            self.src,
            span,
            format!("duplicate key \"{key}\""),
            "defined again here",
        )
        .with_help("CloudFormation rejects templates with duplicate keys; keep one of them")
    }
}

/// A JSON syntax error at the position `jiter` reports.
fn syntax(src: &SourceFile, e: JiterError) -> LoadError {
    let len = src.text.len();
    let at = e.index.min(len);
    LoadError::at(
        ErrorKind::JsonSyntax,
        src,
        Span::new(at, (at + 1).min(len)),
        format!("invalid JSON: {}", e.error_type),
        "here",
    )
}

/// A syntax error inside the string, list or object that starts at `start`: when the file
/// ends before it is closed, the error points at its opening quote or bracket (where the
/// mistake usually is), not at the end of the file.
fn unclosed(src: &SourceFile, e: JiterError, start: usize) -> LoadError {
    let (what, help) = match &e.error_type {
        JiterErrorType::JsonError(JsonErrorType::EofWhileParsingString) => {
            ("string is never closed", "add the closing `\"`")
        }
        JiterErrorType::JsonError(JsonErrorType::EofWhileParsingList) => {
            ("`[` is never closed", "add the missing `]`")
        }
        JiterErrorType::JsonError(JsonErrorType::EofWhileParsingObject) => {
            ("`{` is never closed", "add the missing `}`")
        }
        JiterErrorType::JsonError(JsonErrorType::ControlCharacterWhileParsingString)
            if matches!(src.text.as_bytes().get(e.index), Some(b'\n' | b'\r')) =>
        {
            let len = src.text.len();
            let at = e.index.min(len);
            return LoadError::at(
                ErrorKind::JsonSyntax,
                src,
                Span::new(start, (start + 1).min(len)),
                "invalid JSON: string is not closed on its line (a JSON string cannot span lines)",
                "opened here",
            )
            .with_related(Span::new(at, at), "the line ends here");
        }
        _ => return syntax(src, e),
    };
    let len = src.text.len();
    let end = Span::new(len, len);
    LoadError::at(
        ErrorKind::JsonSyntax,
        src,
        Span::new(start, (start + 1).min(len)),
        format!("invalid JSON: {what}: the file ends first"),
        "opened here",
    )
    .with_related(end, "the file ends here")
    .with_help(help)
}

/// A number, the same way in JSON and YAML ([`crate::yaml`]): integers that fit 64 bits
/// (signed or unsigned) stay integers; other integers, fractions and exponents become the
/// nearest 64-bit float; a number too large even for a float (`1e400`) is kept as its text,
/// a string. See `docs/input-documents.md`.
pub(crate) fn number(raw: &[u8]) -> Value {
    let text = std::str::from_utf8(raw).unwrap_or("0");
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(Number::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::Number(Number::from(u));
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(n) => Value::Number(n),
        None => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pointer::Pointer;

    fn load(text: &str) -> Result<Indexed, LoadError> {
        parse(&SourceFile::new("t.json", text), &Limits::default())
    }

    #[test]
    fn spans_cover_scalars_with_quotes_and_keys() {
        let text = r#"{ "a" : [1, "x y", {"b": null}] }"#;
        let idx = load(text).unwrap_or_default();
        let src = SourceFile::new("t.json", text);
        let f = idx
            .find(Pointer::from_static("/a/1"))
            .map(|f| src.slice(f.info.span).to_string());
        assert_eq!(f.as_deref(), Some("\"x y\""));
        let b = idx.find(Pointer::from_static("/a/2/b"));
        assert_eq!(b.map(|f| src.slice(f.info.span)), Some("null"));
        assert_eq!(
            b.and_then(|f| f.info.key).map(|k| src.slice(k)),
            Some("\"b\"")
        );
        assert_eq!(
            idx.find(Pointer::from_static("/a"))
                .map(|f| src.slice(f.info.span)),
            Some("[1, \"x y\", {\"b\": null}]")
        );
        assert!(idx.find(Pointer::from_static("/a/3")).is_none());
        assert!(idx.find(Pointer::from_static("/zz")).is_none());
    }

    #[test]
    fn duplicate_keys_are_an_error_at_the_second_key() {
        let err = load("{\"a\": 1,\n \"a\": 2}").err();
        let err = err.map(|e| (e.kind, e.position.map(|p| (p.line, p.column))));
        assert_eq!(err, Some((ErrorKind::DuplicateKey, Some((2, 2)))));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(load(&text).err().map(|e| e.kind), Some(ErrorKind::TooDeep));
    }

    #[test]
    fn big_integers_become_floats_and_overflowing_numbers_text() {
        let idx = load("[123456789012345678901234567890, -5, 1.5, 18446744073709551615, 1e400]")
            .unwrap_or_default();
        assert_eq!(idx.value[0].as_f64(), Some(1.2345678901234568e29));
        assert_eq!(idx.value[1].as_i64(), Some(-5));
        assert_eq!(idx.value[3].as_u64(), Some(u64::MAX));
        assert_eq!(idx.value[4].as_str(), Some("1e400"));
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let err = load("{\n  \"a\": [1, 2\n}").err();
        assert_eq!(err.as_ref().map(|e| e.kind), Some(ErrorKind::JsonSyntax));
        assert_eq!(err.and_then(|e| e.position).map(|p| p.line), Some(3));
    }
}

#[cfg(test)]
mod plan_sections {
    use super::*;

    #[test]
    fn plan_sections_tollgate_does_not_use_are_validated_but_not_kept() {
        let text = r#"{"format_version":"1.2","planned_values":{"a":[1,2]},"resource_changes":[]}"#;
        let idx = parse(&SourceFile::new("p.json", text), &Limits::default()).unwrap_or_default();
        assert_eq!(idx.value["planned_values"], Value::Null);
        assert_eq!(idx.value["resource_changes"], serde_json::json!([]));
        let broken = r#"{"format_version":"1.2","planned_values":{"a":[1,}}"#;
        let err = parse(&SourceFile::new("p.json", broken), &Limits::default()).err();
        assert_eq!(err.map(|e| e.kind), Some(ErrorKind::JsonSyntax));
        // Not a plan: every section is kept.
        let other = r#"{"planned_values":{"a":1}}"#;
        let idx = parse(&SourceFile::new("o.json", other), &Limits::default()).unwrap_or_default();
        assert_eq!(idx.value["planned_values"]["a"], 1);
    }
}

//! Scalars' values: the YAML 1.2 core schema for plain scalars, strings otherwise.

use saphyr_parser::{ScalarStyle, Tag};
use serde_json::Value;

/// YAML 1.2 core schema for plain scalars; quoted and block scalars are strings.
pub(super) fn scalar_value(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
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

//! JSON pointers (RFC 6901) as a type: `jsonptr`'s [`Pointer`] (borrowed) and [`PointerBuf`]
//! (owned), which keep the encoded text and hand out decoded [`Token`]s. Text becomes a
//! pointer once, where it enters (what a rule returns, a command-line flag, a Guard path
//! built token by token); everything after works on tokens.

pub use jsonptr::{Pointer, PointerBuf, Token};

/// The top-level member holding a template's resources (`/Resources/<logical id>`).
pub const TEMPLATE_RESOURCES: &str = "Resources";
/// The top-level member holding a plan input's resources (`/resources/<index>`).
pub const PLAN_RESOURCES: &str = "resources";

/// Reads a pointer as a rule or a person wrote it: `None` unless it is empty or starts with
/// `/`. A `~` that is not followed by `0` or `1` is not RFC 6901, but the locator has always
/// read it as a literal `~` (so such a finding is still located); it is kept that way, which
/// prints it as `~0`.
pub fn read(text: &str) -> Option<PointerBuf> {
    if !(text.is_empty() || text.starts_with('/')) {
        return None;
    }
    if let Ok(pointer) = PointerBuf::parse(text) {
        return Some(pointer);
    }
    let bytes = text.as_bytes();
    let mut escaped = String::with_capacity(text.len() + 4);
    for (i, c) in text.char_indices() {
        escaped.push(c);
        if c == '~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')) {
            escaped.push('0');
        }
    }
    PointerBuf::parse(escaped).ok()
}

/// The logical id of `/Resources/<id>…`, and what follows it in the resource.
pub fn template_resource(pointer: &Pointer) -> Option<(Token<'_>, &Pointer)> {
    resource_entry(pointer, TEMPLATE_RESOURCES)
}

/// The index of `/resources/<i>…` in a plan input, and what follows it in the resource.
pub fn plan_resource(pointer: &Pointer) -> Option<(usize, &Pointer)> {
    let (token, rest) = resource_entry(pointer, PLAN_RESOURCES)?;
    Some((token.decoded().parse().ok()?, rest))
}

/// The token after `/<section>` and the rest of the pointer.
fn resource_entry<'p>(pointer: &'p Pointer, section: &str) -> Option<(Token<'p>, &'p Pointer)> {
    let (first, rest) = pointer.split_front()?;
    if first.decoded() != section {
        return None;
    }
    rest.split_front()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_pointers_are_read_as_the_locator_always_read_them() {
        let read_as = |text: &str| read(text).map(|p| p.to_string());
        assert_eq!(read_as(""), Some(String::new()));
        assert_eq!(read_as("/a~1b/~0c"), Some("/a~1b/~0c".into()));
        assert_eq!(read_as("Resources"), None);
        // A stray `~` is a literal `~`; the valid escapes around it are decoded as before.
        let stray = read("/a/x~2~1y/z~").unwrap_or_default();
        let tokens: Vec<String> = stray.tokens().map(|t| t.decoded().into_owned()).collect();
        assert_eq!(tokens, ["a", "x~2/y", "z~"]);
        assert_eq!(stray.as_str(), "/a/x~02~1y/z~0");
        assert_eq!(read_as("/~~1"), Some("/~0~1".into()));
    }

    #[test]
    fn resource_entries() {
        let p = |s: &'static str| Pointer::from_static(s);
        let (id, rest) = template_resource(p("/Resources/a~1b/Properties")).unzip();
        assert_eq!(id.map(|t| t.decoded().into_owned()).as_deref(), Some("a/b"));
        assert_eq!(rest.map(Pointer::as_str), Some("/Properties"));
        assert_eq!(template_resource(p("/Resources")), None);
        assert_eq!(template_resource(p("/Outputs/A")), None);
        assert_eq!(
            plan_resource(p("/resources/3/after")),
            Some((3, p("/after")))
        );
        assert_eq!(plan_resource(p("/resources/x")), None);
        assert_eq!(plan_resource(p("/resources/1")), Some((1, p(""))));
    }
}

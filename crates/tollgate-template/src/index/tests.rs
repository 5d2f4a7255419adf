//! The child cursor and subtree copies, on small JSON documents.

use super::{IndexBuilder, Indexed};
use crate::source::SourceFile;
use crate::Limits;

fn doc(text: &str) -> Indexed {
    let src = SourceFile::new("t.json", text);
    crate::json::parse(&src, &Limits::default()).unwrap_or_default()
}

/// The text of node `idx`.
fn text<'t>(d: &Indexed, src: &'t str, idx: usize) -> &'t str {
    let s = d.span(idx);
    &src[s.start as usize..s.end as usize]
}

#[test]
fn empty_containers_have_no_children() {
    for text in ["{}", "[]", "3", "\"s\"", "null"] {
        let d = doc(text);
        assert_eq!(d.children(0, &d.value).count(), 0, "{text}");
    }
}

#[test]
fn object_members_with_keys_and_indices() {
    let src = r#"{"a": 1, "b": [2, 3], "c": {"d": 4}}"#;
    let d = doc(src);
    let kids: Vec<_> = d.children(0, &d.value).collect();
    let keys: Vec<_> = kids.iter().map(|c| c.key).collect();
    assert_eq!(keys, [Some("a"), Some("b"), Some("c")]);
    // `b`'s subtree is three nodes: `c` comes after it.
    let idx: Vec<_> = kids.iter().map(|c| c.idx).collect();
    assert_eq!(idx, [1, 2, 5]);
    let texts: Vec<_> = kids.iter().map(|c| text(&d, src, c.idx)).collect();
    assert_eq!(texts, ["1", "[2, 3]", r#"{"d": 4}"#]);
}

#[test]
fn nested_children_and_last_child() {
    let src = r#"[[1, [2]], {"x": [3, 4]}, 5]"#;
    let d = doc(src);
    let outer: Vec<_> = d.children(0, &d.value).collect();
    assert_eq!(outer.len(), 3);
    assert!(outer.iter().all(|c| c.key.is_none()));
    let last = outer[2];
    assert_eq!(text(&d, src, last.idx), "5");
    assert_eq!(last.idx + 1, d.node_count());
    let inner: Vec<_> = d.children(outer[0].idx, outer[0].value).collect();
    assert_eq!(text(&d, src, inner[1].idx), "[2]");
    let x = d.member(outer[1].idx, outer[1].value, "x");
    let x = x.map(|x| (text(&d, src, x.idx), d.children(x.idx, x.value).count()));
    assert_eq!(x, Some(("[3, 4]", 2)));
    let four = d
        .member(outer[1].idx, outer[1].value, "x")
        .and_then(|x| d.nth_child(x.idx, x.value, 1));
    assert_eq!(four.map(|c| text(&d, src, c.idx)), Some("4"));
}

#[test]
fn missing_members_and_items() {
    let d = doc(r#"{"a": [1]}"#);
    assert!(d.member(0, &d.value, "b").is_none());
    assert!(d.nth_child(0, &d.value, 1).is_none());
    let a = d.member(0, &d.value, "a");
    assert!(a.and_then(|a| d.member(a.idx, a.value, "0")).is_none());
    assert!(a.and_then(|a| d.nth_child(a.idx, a.value, 1)).is_none());
}

#[test]
fn a_copied_subtree_is_found_like_the_original() {
    let src = r#"{"a": 1, "b": {"c": [2, {"d": 3}], "e": 4}}"#;
    let d = doc(src);
    let mut out = IndexBuilder::default();
    let root = out.open(d.span(0), None);
    out.leaf(d.span(1), d.key(1));
    let b = d.member(0, &d.value, "b").map_or(0, |b| b.idx);
    out.copy_subtree(&d, b, d.key(b));
    out.close(root);
    let copy = Indexed::new(d.value.clone(), out);
    assert_eq!(copy.node_count(), d.node_count());
    for (pointer, _, info) in d.walk() {
        let found = copy.find(&pointer).map(|f| *f.info);
        assert_eq!(found, Some(*info), "{pointer}");
    }
}

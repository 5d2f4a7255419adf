//! The whole pipeline — load, resolve, evaluate, filter, report — on mutated templates and
//! plans: every output format must come out whole, with exit 0, 1 or 2, and never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;
use common::{root, run};
use proptest::prelude::*;

/// Real inputs to mutate: a template with parameters and conditions, JSON, and a plan.
const SEEDS: [&str; 4] = [
    "policies/sg-ssh-world/cases/cfn-fail-param-default.yaml",
    "policies/sg-ssh-world/cases/cfn-fail-if-undecided-param.yaml",
    "policies/sg-ssh-world/cases/cfn-fail-basic.json",
    "policies/sg-ssh-world/cases/tf-fail-basic/plan.json",
];

/// Tokens that tend to break parsers and resolvers when dropped anywhere.
const TOKENS: [&str; 12] = [
    "{", "}", "[", "]", ":", "\"", "\n  ", "!Ref ", "!If [", "&a ", "*a", "\u{0}",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, usize),
    Splice(usize, usize, usize),
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let at = |i: usize| i % (bytes.len() + 1);
    let mut out = bytes.to_vec();
    match *m {
        Mutation::Truncate(i) => out.truncate(at(i)),
        Mutation::Flip(i, bit) => {
            if !out.is_empty() {
                let i = i % out.len();
                out[i] ^= 1 << (bit % 8);
            }
        }
        Mutation::Insert(i, t) => {
            let i = at(i);
            out.splice(i..i, TOKENS[t % TOKENS.len()].bytes());
        }
        Mutation::Splice(a, b, c) => {
            // Copy a slice of the file somewhere else: duplicated keys, nested repeats.
            let (a, b) = (at(a).min(at(b)), at(a).max(at(b)));
            let piece = bytes[a..b.min(a + 200)].to_vec();
            let c = at(c);
            out.splice(c..c, piece);
        }
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<usize>(), any::<usize>(), any::<usize>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
    ]
}

proptest! {
    // Each case writes a directory of mutants and runs the binary once per format.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutated_inputs_never_break_a_report(
        mutants in proptest::collection::vec((0..SEEDS.len(), proptest::collection::vec(mutation(), 1..4)), 24)
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (i, (seed, ms)) in mutants.iter().enumerate() {
            let mut bytes = std::fs::read(root().join(SEEDS[*seed])).unwrap();
            for m in ms {
                bytes = apply(&bytes, m);
            }
            let ext = if SEEDS[*seed].ends_with(".yaml") { "yaml" } else { "json" };
            std::fs::write(dir.path().join(format!("m{i:02}.{ext}")), bytes).unwrap();
        }
        let d = dir.path().display().to_string();
        for format in ["human", "json", "sarif", "junit", "github"] {
            let out = run(&["check", &d, "-f", format]);
            prop_assert!(!out.stderr.contains("panicked"), "{format}: {}", out.stderr);
            prop_assert!([0, 1, 2].contains(&out.code), "{format}: exit {}", out.code);
            if matches!(format, "json" | "sarif") {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(&out.stdout);
                prop_assert!(parsed.is_ok(), "{format} output is not JSON");
            }
            if format == "junit" {
                let mut reader = quick_xml::Reader::from_str(&out.stdout);
                loop {
                    match reader.read_event() {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(_) => {}
                        Err(e) => prop_assert!(false, "JUnit output is not XML: {e}"),
                    }
                }
            }
        }
    }
}

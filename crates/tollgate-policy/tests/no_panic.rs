//! No input makes tollgate panic or run unbounded: arbitrary bytes, and real templates and
//! plans mutated (bit flips, truncation, splicing, YAML and JSON tokens inserted), go through
//! load → resolve → evaluate with both engines and the built-in pack. Each case must finish
//! in bounded time, whatever its outcome. (The longer campaign is `fuzz/`, see its README.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};
use tollgate_template::{load, LoadOptions, Outcome};

/// Real inputs to mutate: CloudFormation YAML and JSON, and Terraform plans.
const FIXTURES: &[&str] = &[
    "policies/sg-ssh-world/cases/cfn-fail-param-default.yaml",
    "policies/sg-ssh-world/cases/cfn-fail-if-undecided-param.yaml",
    "policies/default-sg-allows-traffic/cases/cfn-fail-ingress-on-default-sg.json",
    "policies/sg-ssh-world/cases/tf-fail-basic/plan.json",
    "policies/rds-public-access/cases/tf-fail-basic/plan.json",
    "testdata/corpus-samples/aws-cloudformation-templates-EC2InstanceWithSecurityGroupSample.yaml",
    "testdata/corpus-samples/regula-default_security_group_infra.yaml",
    "testdata/corpus-samples/aws-cf-templates-kms-key.yaml",
];

/// Tokens that change a document's structure when inserted anywhere.
const TOKENS: &[&str] = &[
    "!Ref ",
    "!GetAtt ",
    "!If [",
    "!Condition ",
    "!Sub '${",
    "!FindInMap [",
    "!Select [",
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "- ",
    ": ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "'",
    "\n",
    "\t",
    "  ",
    "---\n",
    "...\n",
    "|\n",
    ">-\n",
    "#",
    "!!binary ",
    "%YAML 1.2\n",
    ",",
    ":",
    "null",
    "true",
    "1e400",
    "-0",
    "123456789012345678901234567890",
    "\\u0000",
    "\\",
    "\"Ref\": ",
    "\"Fn::If\": [",
    "\"Fn::GetAtt\": ",
    "{\"Condition\": \"C\"}",
    "Condition: ",
    "Resources:\n",
    "Type: AWS::EC2::SecurityGroup\n",
    "\"resource_changes\": ",
    "\"format_version\": \"1.2\", ",
    "\u{feff}",
    "\u{0}",
    "é",
    "\u{1F600}",
    "\r",
];

/// Values that replace a value of the document (YAML, then JSON): intrinsics right and wrong,
/// odd scalars, aliases, nesting.
const YAML_VALUES: &[&str] = &[
    "!Ref Nope",
    "!Ref AWS::Region",
    "!Ref AWS::NoValue",
    "!If [C, 1, 2]",
    "!If [Nope, a, b]",
    "!GetAtt A.B",
    "!GetAtt [A]",
    "!Sub '${AWS::Region}-${Nope}'",
    "!Sub '${'",
    "!Select [5, [a]]",
    "!Select [-1, !Split [',', 'a,b']]",
    "!Join ['', [a, !Ref AWS::StackName]]",
    "!FindInMap [M, K, V]",
    "!Base64 x",
    "!Cidr [10.0.0.0/16, 4, 8]",
    "!GetAZs ''",
    "!Condition C",
    "!Not [!Condition C]",
    "!Equals [a, !Ref AWS::Region]",
    "[1, [2, [3, [4]]]]",
    "{Ref: AWS::NoValue}",
    "{'Fn::If': [C, {Ref: AWS::NoValue}, x]}",
    "*a",
    "&a [x, x, x]",
    "0.0.0.0/0",
    "::/0",
    "22",
    "-1",
    "'65536'",
    "1e400",
    "123456789012345678901234567890",
    "null",
    "~",
    "true",
    "\"\"",
    "|\n  block\n",
    "[]",
    "{}",
];
const JSON_VALUES: &[&str] = &[
    r#"{"Ref": "Nope"}"#,
    r#"{"Ref": "AWS::NoValue"}"#,
    r#"{"Fn::If": ["C", 1, 2]}"#,
    r#"{"Fn::If": "C"}"#,
    r#"{"Fn::GetAtt": ["A", "B"]}"#,
    r#"{"Fn::Sub": "${Nope}"}"#,
    r#"{"Fn::Select": ["9", []]}"#,
    r#"{"Condition": "C"}"#,
    r#"[[[[[]]]]]"#,
    "null",
    "true",
    "-1",
    "22",
    "1e400",
    "123456789012345678901234567890",
    r#""0.0.0.0/0""#,
    r#""""#,
    "{}",
    "[]",
    r#"{"a": 1, "a": 2}"#,
];

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn fixtures() -> &'static [(String, Vec<u8>)] {
    static FIXTURE_BYTES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FIXTURE_BYTES.get_or_init(|| {
        FIXTURES
            .iter()
            .map(|f| (f.to_string(), std::fs::read(root().join(f)).unwrap()))
            .collect()
    })
}

fn engines() -> &'static [Box<dyn Engine>] {
    static ENGINES: OnceLock<Vec<Box<dyn Engine>>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let mut rego = RegoEngine::builtin().unwrap();
        rego.set_time_limit(Duration::from_secs(10));
        let (guard, errors) = GuardEngine::new();
        assert!(errors.is_empty(), "{errors:?}");
        vec![Box::new(rego), Box::new(guard)]
    })
}

/// One edit of the input; positions are taken modulo the length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, usize),
    /// Replace a range with a range of another fixture.
    Splice(usize, usize, usize, usize),
    /// Repeat a range (nesting, long lines, many keys).
    Repeat(usize, usize, usize),
    /// Replace the value after the next `: ` with one of the values above.
    Value(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>();
    prop_oneof![
        1 => (n, 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        1 => (n, any::<u8>()).prop_map(|(at, b)| Mutation::SetByte(at, b)),
        1 => n.prop_map(Mutation::Truncate),
        1 => (n, 0usize..64).prop_map(|(at, len)| Mutation::Delete(at, len)),
        2 => (n, 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Insert(at, t)),
        1 => (n, 0usize..200, 0..FIXTURES.len(), n)
            .prop_map(|(at, len, other, from)| Mutation::Splice(at, len, other, from)),
        1 => (n, 1usize..40, 2usize..200).prop_map(|(at, len, times)| Mutation::Repeat(at, len, times)),
        8 => (n, any::<usize>()).prop_map(|(at, v)| Mutation::Value(at, v)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation, json: bool) {
    let len = bytes.len().max(1);
    match *m {
        Mutation::Value(at, v) => {
            let at = (at % len).min(bytes.len());
            let Some(colon) = bytes[at..].windows(2).position(|w| w == b": ") else {
                return;
            };
            let start = at + colon + 2;
            let stop: &[u8] = if json { b",}]\n" } else { b"\n" };
            let end = bytes[start..]
                .iter()
                .position(|b| stop.contains(b))
                .map_or(bytes.len(), |i| start + i);
            let value = if json {
                JSON_VALUES[v % JSON_VALUES.len()]
            } else {
                YAML_VALUES[v % YAML_VALUES.len()]
            };
            bytes.splice(start..end, value.bytes());
        }
        Mutation::FlipBit(at, bit) => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b ^= 1 << bit;
            }
        }
        Mutation::SetByte(at, value) => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b = value;
            }
        }
        Mutation::Truncate(at) => bytes.truncate(at % len),
        Mutation::Delete(at, n) => {
            let at = at % len;
            let end = (at + n).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        Mutation::Insert(at, t) => {
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, TOKENS[t].bytes());
        }
        Mutation::Splice(at, n, other, from) => {
            let src = &fixtures()[other].1;
            let from = from % src.len().max(1);
            let piece = &src[from..(from + n).min(src.len())];
            let at = (at % len).min(bytes.len());
            let end = (at + n).min(bytes.len());
            bytes.splice(at..end, piece.iter().copied());
        }
        Mutation::Repeat(at, n, times) => {
            let at = (at % len).min(bytes.len());
            let piece = bytes[at..(at + n).min(bytes.len())].to_vec();
            let repeated: Vec<u8> = piece
                .iter()
                .copied()
                .cycle()
                .take(piece.len() * times)
                .collect();
            bytes.splice(at..at, repeated);
        }
    }
}

/// Loads, resolves and evaluates `bytes` with both engines; panics only if something in
/// tollgate (or an engine) panics, or one case takes too long.
fn run(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let options = LoadOptions::default();
    match load(name, bytes, &options) {
        Ok(Outcome::Loaded(loaded)) => {
            for engine in engines() {
                let (findings, _errors) = check(engine.as_ref(), &loaded, &default_options());
                for f in &findings {
                    assert!(f.span.end as usize <= loaded.source.text.len(), "{f:?}");
                }
            }
        }
        Ok(Outcome::Skipped(reason)) => assert!(!reason.is_empty()),
        Err(e) => {
            let text = e.to_string();
            assert!(text.starts_with(name), "{text}");
            if let Some(span) = e.span() {
                assert!(span.start as usize <= bytes.len(), "{text}");
            }
        }
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(30),
        "{name}: one case took {took:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_templates_and_plans_never_panic(
        fixture in 0..FIXTURES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let (file, original) = &fixtures()[fixture];
        let json = file.ends_with(".json");
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m, json);
        }
        run(if json { "mutated.json" } else { "mutated.yaml" }, &bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        text in "\\PC{0,512}",
        json in any::<bool>(),
    ) {
        run(if json { "bytes.json" } else { "bytes.yaml" }, &bytes);
        run(if json { "text.json" } else { "text.yaml" }, text.as_bytes());
    }

    #[test]
    fn arbitrary_token_soup_never_panics(
        tokens in prop::collection::vec(0..TOKENS.len(), 0..64),
        json in any::<bool>(),
    ) {
        let text: String = tokens.iter().map(|t| TOKENS[*t]).collect();
        run(if json { "soup.json" } else { "soup.yaml" }, text.as_bytes());
    }
}

//! Templates that libyaml (PyYAML, cfn-lint, checkov) reads and plain saphyr rejects: one
//! fixture per shape in `testdata/yaml-compat/`, each loaded and compared with the value
//! PyYAML reads (`<name>.expected.json`, written by `ci/pyyaml-values.py`, which also checks
//! that no plain scalar there reads differently in YAML 1.1 and 1.2), and spans checked
//! after the tolerated construct. No Python needed here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use tollgate_template::{load, parse, Limits, LoadOptions, Outcome, Pointer, SourceFile};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/yaml-compat")
}

fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn source(name: &str) -> SourceFile {
    let path = dir().join(name);
    SourceFile::new(name, std::fs::read_to_string(path).unwrap())
}

#[test]
fn every_shape_loads_to_the_value_pyyaml_reads() {
    let files = fixtures();
    assert!(
        files.len() >= 11,
        "fixtures not found in {}",
        dir().display()
    );
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# Shape: "),
            "{name}: start with a comment saying which shape it is and where it was seen"
        );
        // Each fixture is a shape plain saphyr rejects (else it tests nothing here).
        let strict = saphyr_parser::Parser::new_from_str(&text).find_map(Result::err);
        assert!(
            strict.is_some(),
            "{name}: saphyr reads it as it is: not a tolerated shape"
        );
        let doc = parse(
            &SourceFile::new(name.as_str(), text.as_str()),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_path = path.with_extension("expected.json");
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!(
                    "{} is missing: run ci/pyyaml-values.py",
                    expected_path.display()
                )
            }),
        )
        .unwrap();
        assert_eq!(
            doc.value, expected,
            "{name}: tollgate's value differs from PyYAML's"
        );
        match load(&name, text.as_bytes(), &LoadOptions::default()) {
            Ok(Outcome::Loaded(_)) => {}
            Ok(Outcome::Skipped(why)) => panic!("{name}: skipped: {why}"),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// (fixture, pointer, line:column where its span starts, the text it covers): one value
/// after each tolerated construct, and one inside it.
const SPANS: &[(&str, &str, &str, &str)] = &[
    ("flow-sequence-close-at-key.yaml", "/Resources/Task/Properties/ContainerDefinitions/0/Command", "11:20", "[\n            \"/bin/bash\",\n            \"-c\",\n            \"echo hello\"\n          ]"),
    ("flow-sequence-close-at-key.yaml", "/Resources/Task/Properties/ContainerDefinitions/0/Essential", "16:22", "true"),
    ("flow-mapping-close-column-1.yaml", "/Resources/Bucket/Properties", "6:17", "{\n      BucketName: logs\n}"),
    ("flow-mapping-close-column-1.yaml", "/Resources/Topic/Type", "10:11", "AWS::SNS::Topic"),
    ("flow-mapping-entries-column-1.yaml", "/Resources/Queue/Properties/VisibilityTimeout", "8:20", "60"),
    ("flow-mapping-entries-column-1.yaml", "/Outputs/QueueUrl/Value", "12:12", "!Ref Queue"),
    ("flow-json-style-dedented.yaml", "/Resources/Bucket/Properties/BucketName/Fn::Join/1/1/Ref", "9:11", "\"AWS::AccountId\""),
    ("flow-json-style-dedented.yaml", "/Resources/Bucket/Properties/Tags/0/Value", "11:33", "core"),
    ("flow-tagged-sequence-dedented.yaml", "/Resources/Bucket/Properties/BucketName/Fn::Sub/1/Prefix", "8:13", "!Ref \"AWS::StackName\""),
    ("flow-tagged-sequence-dedented.yaml", "/Resources/Bucket/Properties/VersioningConfiguration/Status", "9:41", "Enabled"),
    ("flow-comment-column-1.yaml", "/Resources/Role/Properties/ManagedPolicyArns/1", "10:5", "\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\""),
    ("flow-comment-column-1.yaml", "/Resources/Role/Properties/AssumeRolePolicyDocument", "11:33", "{}"),
    ("flow-tab-indented.yaml", "/Resources/Group/Properties/SecurityGroupIngress/0/CidrIp", "10:56", "10.0.0.0/8"),
    ("flow-tab-indented.yaml", "/Resources/Group/Properties/VpcId", "12:14", "vpc-1"),
    ("single-quoted-column-1.yaml", "/Description", "3:14", "'Logs bucket\nfor the web tier'"),
    ("single-quoted-column-1.yaml", "/Resources/Bucket/Type", "7:11", "AWS::S3::Bucket"),
    ("single-quoted-column-1.yaml", "/Resources/Bucket/Properties/Tags/0/Key", "12:16", "note"),
    ("single-quoted-column-1.yaml", "/Resources/Bucket/Properties/Tags/0/Value", "13:18", "'first line\n  second line'"),
    ("double-quoted-column-1.yaml", "/Resources/Function/Properties/Runtime", "11:16", "python3.12"),
    ("double-quoted-column-1.yaml", "/Resources/Function/Properties/Role", "12:13", "!GetAtt Role.Arn"),
    ("quoted-in-flow-dedented.yaml", "/Resources/Topic/Properties/Tags/0/Value", "8:9", "\"alerts for\n the on-call team\""),
    ("quoted-in-flow-dedented.yaml", "/Resources/Topic/Properties/TopicName", "10:18", "alerts"),
    ("tab-after-colon.yaml", "/Resources/Bucket/Type", "6:11", "AWS::S3::Bucket"),
    ("tab-after-colon.yaml", "/Resources/Bucket/Properties/BucketName", "8:19", "logs-bucket"),
    ("tab-after-colon.yaml", "/Resources/Bucket/Properties/Tags/0/Value", "9:33", "core"),
    ("quoted-tab-indented.yaml", "/Resources/Bucket/Metadata/Note", "7:13", "\"kept for\n\taudits\""),
    ("quoted-tab-indented.yaml", "/Resources/Bucket/Properties/BucketName", "10:19", "audit"),
];

#[test]
fn spans_after_each_tolerated_shape_are_exact() {
    let mut wrong = Vec::new();
    for (name, pointer, at, text) in SPANS {
        let pointer_text: &'static str = pointer;
        let src = source(name);
        let doc = parse(&src, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let found = doc
            .find(Pointer::from_static(pointer_text))
            .unwrap_or_else(|| panic!("{name}: no {pointer}"));
        let start = src.position(found.info.span.start);
        let got = format!("{}:{}", start.line, start.column);
        let slice = src.slice(found.info.span);
        if got != *at || slice != *text {
            wrong.push(format!(
                "{name} {pointer}: at {got} {slice:?}, expected {at} {text:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Text saphyr rejects for indentation and libyaml rejects too keeps saphyr's error.
#[test]
fn block_indentation_errors_stay_errors() {
    for (name, text) in [
        // A plain scalar continued left of its key: an error for libyaml as well.
        (
            "plain.yaml",
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Description: first\ncontinued\n",
        ),
        // A tab indenting block structure.
        (
            "tab.yaml",
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n\tK: v\n",
        ),
        // A flow collection never closed: reported at its bracket, as before.
        (
            "open.yaml",
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: {\nK: v\n",
        ),
        // A document marker inside a flow collection.
        (
            "marker.yaml",
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: [a,\n---\n]\n",
        ),
    ] {
        let e = parse(&SourceFile::new(name, text), &Limits::default())
            .expect_err(name)
            .to_string();
        assert!(e.contains("invalid YAML"), "{name}: {e}");
    }
}

/// The tolerant path costs a few parses at most, and never a copy much larger than the file.
#[test]
fn the_tolerant_path_is_bounded() {
    let started = std::time::Instant::now();
    // A flow mapping opened 100,000 columns in (after a long anchor), with 100,000 lines
    // inside in column 1: re-indenting them all would take 10^10 bytes.
    let mut wide = String::from("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: &");
    wide.push_str(&"a".repeat(100_000));
    wide.push_str(" {\n");
    for i in 0..100_000 {
        wide.push_str(&format!("k{i}: v,\n"));
    }
    wide.push_str("}\n");
    let e = parse(&SourceFile::new("wide.yaml", wide), &Limits::default())
        .expect_err("too wide to re-indent")
        .to_string();
    assert!(e.contains("invalid indentation"), "{e}");
    // A long line of keys after a region saphyr rejects: the tokenizer stays linear.
    let mut long = String::from(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: {\nK: v}\n  C: ",
    );
    long.push_str(&"a: ".repeat(500_000));
    long.push('\n');
    assert!(parse(&SourceFile::new("long.yaml", long), &Limits::default()).is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// A file with a tab after every `:` loads in a few re-parses; a tab inside a block scalar,
/// which is content, stays a tab.
#[test]
fn tabs_after_colons_throughout_a_file() {
    let mut text = String::from("Resources:\n");
    for i in 0..200 {
        text.push_str(&format!(
            "  Bucket{i}:\n    Type:\tAWS::S3::Bucket\n    Properties:\n      BucketName:\tb{i}\n"
        ));
    }
    text.push_str("  Config:\n    Type:\tAWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: |\n        key:\tvalue\n");
    let doc = parse(&SourceFile::new("tabs.yaml", text), &Limits::default()).unwrap();
    assert_eq!(
        doc.value["Resources"]["Bucket199"]["Properties"]["BucketName"],
        "b199"
    );
    assert_eq!(
        doc.value["Resources"]["Config"]["Properties"]["Value"],
        "key:\tvalue\n"
    );
}

/// Every fixture cut short at each byte, and with each byte removed, loads or fails cleanly:
/// the tolerant path (its tokenizer, the re-indented copy) never panics.
#[test]
fn broken_fixtures_never_panic() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        for cut in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let _ = parse(
                &SourceFile::new(name.as_str(), &text[..cut]),
                &Limits::default(),
            );
            if cut < text.len() {
                let mut removed = text[..cut].to_string();
                removed.push_str(text[cut..].get(1..).unwrap_or(""));
                if let Ok(removed) = std::str::from_utf8(removed.as_bytes()) {
                    let _ = parse(&SourceFile::new(name.as_str(), removed), &Limits::default());
                }
            }
        }
    }
}

//! Every load error names the file, the line and the column; odd but valid input loads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use tollgate_template::{load, ErrorKind, LoadOptions, Outcome, Pointer};

fn error(name: &str, text: &[u8]) -> (ErrorKind, usize, usize, String) {
    match load(name, text, &LoadOptions::default()) {
        Err(e) => {
            let p = e
                .position
                .unwrap_or(tollgate_template::Position { line: 0, column: 0 });
            (e.kind, p.line, p.column, e.to_string())
        }
        Ok(o) => panic!("expected an error, got {o:?}"),
    }
}

fn loads(name: &str, text: &[u8]) -> serde_json::Value {
    match load(name, text, &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l.inputs[0].value().clone(),
        other => panic!("{other:?}"),
    }
}

const HEAD: &str = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n";

#[test]
fn invalid_yaml() {
    let (kind, line, _, msg) = error("t.yaml", format!("{HEAD}      A: [1, 2\n").as_bytes());
    assert_eq!(kind, ErrorKind::YamlSyntax);
    // The file ends inside the flow list: the error points at its `[`.
    assert_eq!(line, 5);
    assert!(msg.starts_with("t.yaml:5:10:"), "{msg}");
}

#[test]
fn getatt_without_a_dot() {
    let (kind, line, column, _) =
        error("t.yaml", format!("{HEAD}      A: !GetAtt Vpc\n").as_bytes());
    assert_eq!((kind, line, column), (ErrorKind::TagShape, 5, 10));
}

#[test]
fn tag_with_the_wrong_argument_shape() {
    let (kind, line, _, msg) = error(
        "t.yaml",
        format!("{HEAD}      A: !Join only-a-string\n").as_bytes(),
    );
    assert_eq!((kind, line), (ErrorKind::TagShape, 5));
    assert!(msg.contains("Fn::Join takes a list of 2"), "{msg}");
}

#[test]
fn unknown_tag_is_a_located_warning_and_an_unknown_value() {
    let text = format!("{HEAD}      A: !Bogus x\n      C: !Rain::Embed f.txt\n      D: 1\n");
    let l = match load("t.yaml", text.as_bytes(), &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    };
    let at: Vec<_> = l
        .warnings
        .iter()
        .map(|w| (w.kind, w.position.map(|p| (p.line, p.column))))
        .collect();
    assert_eq!(
        at,
        [
            (ErrorKind::UnknownTag, Some((5, 10))),
            (ErrorKind::UnknownTag, Some((6, 10)))
        ]
    );
    assert!(l.errors.is_empty());
    // Kept in the long form; the rest of the template is there.
    let props = &l.inputs[0].value()["Resources"]["B"]["Properties"];
    assert_eq!(props["A"], serde_json::json!({"Bogus": "x"}));
    assert_eq!(props["C"], serde_json::json!({"Rain::Embed": "f.txt"}));
    assert_eq!(props["D"], 1);
}

#[test]
fn duplicate_yaml_key() {
    let (kind, line, column, _) = error(
        "t.yaml",
        format!("{HEAD}      A: 1\n      A: 2\n").as_bytes(),
    );
    assert_eq!((kind, line, column), (ErrorKind::DuplicateKey, 6, 7));
}

#[test]
fn nesting_deeper_than_the_bound() {
    let deep = format!(
        "{HEAD}      A: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (kind, line, _, _) = error("t.yaml", deep.as_bytes());
    assert_eq!((kind, line), (ErrorKind::TooDeep, 5));
}

#[test]
fn alias_bomb() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    text.push_str("Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: *a11\n");
    let (kind, _, _, msg) = error("bomb.yaml", text.as_bytes());
    assert_eq!(kind, ErrorKind::AliasLimit, "{msg}");
}

#[test]
fn a_few_aliases_are_expanded() {
    let text = format!("X: &x {{k: v}}\n{HEAD}      A: *x\n");
    assert_eq!(
        loads("t.yaml", text.as_bytes())["Resources"]["B"]["Properties"]["A"],
        serde_json::json!({"k": "v"})
    );
}

#[test]
fn not_utf8() {
    let mut bytes = format!("{HEAD}      A: ").into_bytes();
    bytes.extend([0xff, 0xfe, b'\n']);
    let (kind, line, column, _) = error("t.yaml", &bytes);
    assert_eq!((kind, line, column), (ErrorKind::NotUtf8, 5, 10));
    let mut u16: Vec<u8> = vec![0xff, 0xfe];
    u16.extend(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let (kind, _, _, msg) = error("u16.yaml", &u16);
    assert_eq!(kind, ErrorKind::NotUtf8);
    assert!(msg.contains("UTF-16"), "{msg}");
}

#[test]
fn bom_and_crlf_are_accepted_and_columns_ignore_the_bom() {
    let text = format!("\u{feff}{HEAD}      A: !Ref AWS::Region\n").replace('\n', "\r\n");
    let l = match load("t.yaml", text.as_bytes(), &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    };
    let loc = l
        .locate(0, Pointer::from_static("/Resources/B/Properties/A"))
        .unwrap();
    let p = l.source.position(loc.span.start);
    assert_eq!((p.line, p.column), (5, 10));
    assert_eq!(l.source.slice(loc.span), "!Ref AWS::Region");
    assert_eq!(
        l.inputs[0].value()["Resources"]["B"]["Properties"]["A"],
        serde_json::json!({"Ref": "AWS::Region"})
    );
}

#[test]
fn every_short_form_becomes_its_long_form() {
    let text = format!(
        "Conditions:\n  C: !Equals [a, b]\n{HEAD}{}",
        concat!(
            "      GetAttList: !GetAtt [R, Arn]\n",
            "      GetAttDots: !GetAtt R.Outputs.X\n",
            "      Cidr: !Cidr [10.0.0.0/16, 4, 8]\n",
            "      Import: !ImportValue x\n",
            "      Azs: !GetAZs ''\n",
            "      And: !And [!Condition C, !Or [!Condition C, !Not [!Condition C]]]\n",
            "      Transform: !Transform {Name: M, Parameters: {}}\n",
            "  R:\n    Type: AWS::S3::Bucket\n",
        )
    );
    let p = &loads("t.yaml", text.as_bytes())["Resources"]["B"]["Properties"];
    assert_eq!(
        p["GetAttList"],
        serde_json::json!({"Fn::GetAtt": ["R", "Arn"]})
    );
    assert_eq!(
        p["GetAttDots"],
        serde_json::json!({"Fn::GetAtt": ["R", "Outputs.X"]})
    );
    assert_eq!(
        p["Cidr"],
        serde_json::json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]})
    );
    assert_eq!(p["Import"], serde_json::json!({"Fn::ImportValue": "x"}));
    assert_eq!(p["Azs"], serde_json::json!({"Fn::GetAZs": ""}));
    assert_eq!(
        p["And"],
        serde_json::json!({"Fn::And": [{"Condition": "C"}, {"Fn::Or": [{"Condition": "C"}, {"Fn::Not": [{"Condition": "C"}]}]}]})
    );
    assert_eq!(
        p["Transform"],
        serde_json::json!({"Fn::Transform": {"Name": "M", "Parameters": {}}})
    );
}

#[test]
fn detection_by_content() {
    for (name, text, what) in [
        ("a.yaml", "name: x\n", "Skipped"),
        (
            "b.json",
            r#"{"Resources": {"X": {"Type": "Other::Thing"}}}"#,
            "Skipped",
        ),
        (
            "c.yaml",
            "Transform: AWS::Serverless-2016-10-31\nResources: {}\n",
            "Loaded",
        ),
        (
            "d.json",
            r#"{"format_version": "1.2", "resource_changes": []}"#,
            "Loaded",
        ),
        ("e.yaml", "", "Skipped"),
    ] {
        let got = match load(name, text.as_bytes(), &LoadOptions::default()) {
            Ok(Outcome::Loaded(_)) => "Loaded",
            Ok(Outcome::Skipped(_)) => "Skipped",
            Err(e) => panic!("{e}"),
        };
        assert_eq!(got, what, "{name}");
    }
}

#[test]
fn unknown_plan_format_version_and_bad_resource_changes() {
    let (kind, ..) = error(
        "p.json",
        br#"{"format_version": "9.0", "resource_changes": []}"#,
    );
    assert_eq!(kind, ErrorKind::UnknownPlanVersion);
    let (kind, line, ..) = error(
        "p.json",
        b"{\"format_version\": \"1.2\",\n \"resource_changes\": {}}",
    );
    assert_eq!((kind, line), (ErrorKind::PlanShape, 2));
}

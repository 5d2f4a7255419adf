//! Unit tests of the Rego engine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;
use crate::engine::common::{Header, Scope};
use crate::finding::{RawFinding, RelatedPointer};
use crate::pack::{REGO_LIB, REGO_LIB_PATH};

use serde_json::json;

fn user(file: &str, text: &str) -> PolicySource {
    PolicySource {
        file: file.to_string(),
        text: text.to_string(),
        builtin: false,
    }
}

const ALWAYS_CFN: &str = r#"
package tollgate.rules.cloudformation.always
import data.tollgate.lib
metadata := {"id": "always", "title": "Always", "severity": "low", "description": "d"}
deny contains {"message": "m", "pointer": lib.pointer(["Resources", name]), "resource": name,
           "related": [{"pointer": "/Parameters", "message": "here"}]} if {
some name, _ in lib.items(input.Resources)
}
"#;

fn cfn_doc() -> serde_json::Value {
    json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
}

/// The rules of the built-in pack (each id once per input kind it has a file for): what
/// `from_sources(.., true)` loads before any user file.
fn builtin_rule_count() -> usize {
    RegoEngine::builtin()
        .unwrap_or_else(|e| panic!("{e:?}"))
        .rules()
        .len()
}

fn opts() -> serde_json::Value {
    json!({"admin_ports": [22, 3389]})
}

#[test]
fn user_rule_findings_metadata_and_related() {
    let (engine, errors) =
        RegoEngine::from_sources(vec![user("mine/always.rego", ALWAYS_CFN)], false);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        engine.rules(),
        &[RegoRule {
            id: "always".into(),
            kind: InputKind::CloudFormation,
            package: "tollgate.rules.cloudformation.always".into(),
            files: vec!["mine/always.rego".into()],
            builtin: false,
            title: Some("Always".into()),
            severity: Some(Severity::Low),
            description: Some("d".into()),
        }]
    );
    let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        findings,
        vec![RawFinding {
            rule: "always".into(),
            resource: "B".into(),
            pointer: tollgate_template::Pointer::from_static("/Resources/B").to_buf(),
            message: "m".into(),
            related: vec![RelatedPointer {
                pointer: tollgate_template::Pointer::from_static("/Parameters").to_buf(),
                message: "here".into()
            }],
        }]
    );
    // A CloudFormation rule never sees a Terraform document.
    let tf = json!({"Resources": {"B": {}}, "resources": []});
    let (findings, errors) = engine.evaluate(InputKind::TerraformPlan, &tf, &opts());
    assert!(findings.is_empty() && errors.is_empty());
}

#[test]
fn syntax_error_names_file_line_and_column_and_the_rest_loads() {
    let broken = "package tollgate.rules.cloudformation.broken\n\nmetadata := {\"id\": \"broken\"}\ndeny contains x if {\n  x := \n}\n";
    let (engine, errors) = RegoEngine::from_sources(
        vec![
            user("p/broken.rego", broken),
            user("p/always.rego", ALWAYS_CFN),
        ],
        true,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Syntax {
            file, line, column, ..
        } => {
            assert_eq!(file, "p/broken.rego");
            assert!(*line >= 5 && *line <= 6, "line {line}");
            assert!(*column >= 1);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(engine.rules().len(), builtin_rule_count() + 1);
    let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
    assert!(errors.is_empty());
    let rules: BTreeSet<_> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, BTreeSet::from(["always", "s3-bucket-unencrypted"]));
}

#[test]
fn analysis_error_is_attributed_to_its_file() {
    let unsafe_var = "package tollgate.rules.terraform.unsafe\nmetadata := {\"id\": \"unsafe\"}\ndeny contains x if {\n  y == 1\n  x := {}\n}\n";
    let (engine, errors) = RegoEngine::from_sources(vec![user("u/unsafe.rego", unsafe_var)], true);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(&errors[0], EvalError::Syntax { file, line: 4, .. } if file == "u/unsafe.rego"),
        "{errors:?}"
    );
    assert_eq!(engine.rules().len(), builtin_rule_count());
}

#[test]
fn package_and_metadata_mistakes_are_load_errors() {
    let sources = vec![
        user("a.rego", "package tollgate.rules.kubernetes.x\nmetadata := {\"id\": \"x\"}\n"),
        user("b.rego", "package tollgate.rules.terraform.nometa\ndeny contains 1 if false\n"),
        user("c.rego", "package tollgate.rules.terraform.badsev\nmetadata := {\"id\": \"s\", \"severity\": \"urgent\"}\n"),
        user("d.rego", "package tollgate.rules.terraform.dup\nmetadata := {\"id\": \"s3-bucket-unencrypted\"}\n"),
        user("e.rego", "package my.helpers\nf(x) := x\n"),
    ];
    let (engine, errors) = RegoEngine::from_sources(sources, true);
    let files: Vec<_> = errors
        .iter()
        .map(|e| match e {
            EvalError::Syntax { file, .. } => file.as_str(),
            _ => "?",
        })
        .collect();
    let mut files = files;
    files.sort_unstable();
    assert_eq!(
        files,
        vec!["a.rego", "b.rego", "c.rego", "d.rego"],
        "{errors:?}"
    );
    assert_eq!(engine.rules().len(), builtin_rule_count());
}

#[test]
fn runtime_error_names_the_file_and_other_rules_still_run() {
    let failing = r#"
package tollgate.rules.cloudformation.failing
metadata := {"id": "failing"}
f(_) := 1
f(_) := 2
deny contains {"message": "x", "pointer": "", "resource": "x"} if f(1) == 1
"#;
    let bad_entry = r#"
package tollgate.rules.cloudformation.bad_entry
metadata := {"id": "bad-entry"}
deny contains {"message": "no pointer", "resource": "x"}
"#;
    let (engine, errors) = RegoEngine::from_sources(
        vec![
            user("r/failing.rego", failing),
            user("r/bad.rego", bad_entry),
        ],
        true,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &cfn_doc(), &opts());
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "s3-bucket-unencrypted");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| matches!(e, EvalError::Runtime { file, .. } if file == "r/failing.rego")));
    assert!(errors.iter().any(
        |e| matches!(e, EvalError::Runtime { file, message } if file == "r/bad.rego" && message.contains("pointer"))
    ));
}

#[test]
fn a_runaway_rule_hits_the_time_limit() {
    let slow = r#"
package tollgate.rules.terraform.slow
metadata := {"id": "slow"}
deny contains {"message": "x", "pointer": "", "resource": "x"} if {
some i in numbers.range(1, 4000)
some j in numbers.range(1, 4000)
i * j < 0
}
"#;
    let (mut engine, errors) = RegoEngine::from_sources(vec![user("s/slow.rego", slow)], true);
    assert!(errors.is_empty(), "{errors:?}");
    engine.set_time_limit(Duration::from_millis(200));
    let doc = json!({"resources": [{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket",
        "mode": "managed", "config_address": "aws_s3_bucket.b", "after": {"bucket": "b"},
        "after_unknown": {}, "references": {}}]});
    let started = std::time::Instant::now();
    let (findings, errors) = engine.evaluate(InputKind::TerraformPlan, &doc, &opts());
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        matches!(&errors[..], [EvalError::Limit { file, .. }] if file == "s/slow.rego"),
        "{errors:?}"
    );
}

#[test]
fn options_are_data_tollgate_options_and_may_change() {
    let echo = r#"
package tollgate.rules.cloudformation.echo
metadata := {"id": "echo"}
deny contains {"message": sprintf("%v", [data.tollgate.options.admin_ports]), "pointer": "", "resource": "-"}
"#;
    let (engine, errors) = RegoEngine::from_sources(vec![user("echo.rego", echo)], false);
    assert!(errors.is_empty(), "{errors:?}");
    for ports in [json!([22]), json!([2222, 22]), json!([22])] {
        let (findings, errors) = engine.evaluate(
            InputKind::CloudFormation,
            &json!({}),
            &json!({"admin_ports": ports}),
        );
        assert!(errors.is_empty());
        assert_eq!(findings[0].message, ports.to_string().replace(',', ", "));
    }
}

#[test]
fn user_policy_directories() {
    let dir = std::env::temp_dir().join(format!("tollgate-rego-{}", std::process::id()));
    let nested = dir.join("nested");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(nested.join("always.rego"), ALWAYS_CFN).unwrap();
    std::fs::write(nested.join("always_test.rego"), "not even rego").unwrap();
    std::fs::write(dir.join("notes.txt"), "ignored").unwrap();
    let (engine, errors) = RegoEngine::with_user_policies(&[dir.clone(), dir.join("missing.rego")]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(&errors[0], EvalError::Syntax { file, .. } if file.ends_with("missing.rego")));
    assert!(engine
        .rules()
        .iter()
        .any(|r| r.id == "always" && !r.builtin));
}

/// The engine with the type filters of its resource-scoped groups dropped.
fn without_type_filter(mut engine: RegoEngine) -> RegoEngine {
    for kind in [&mut engine.cloudformation, &mut engine.terraform] {
        for group in &mut kind.groups {
            if group.scope == Scope::Resource {
                group.types = None;
            }
        }
    }
    engine
}

/// Resource-type literals (`"AWS::X::Y"`, `"aws_x"`) in Rego text, comments left out.
fn type_literals(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for (i, piece) in line.split('"').enumerate() {
            let is_type = piece.starts_with("AWS::") && piece.matches("::").count() == 2
                || piece.starts_with("aws_")
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if i % 2 == 1 && is_type {
                found.insert(piece.to_string());
            }
        }
    }
    found
}

/// The text of each top-level rule or function of a module, by name (all definitions).
fn definitions(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let starts = line
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if starts {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            current = Some(name);
        }
        if let Some(name) = &current {
            let body = out.entry(name.clone()).or_default();
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Every resource-scoped built-in rule file lists the types it looks at: statically (the
/// type literals of the file and of the library sets it refers to are in its list), and
/// by running every fixture and the shared corpus with and without the type filter.
#[test]
fn type_lists_cover_what_the_rules_look_at() {
    let lib = definitions(REGO_LIB);
    let mut checked_files = 0;
    for source in builtin_sources(true)
        .iter()
        .filter(|s| s.file != REGO_LIB_PATH)
    {
        let header = Header::read(&source.file, &source.text).unwrap_or_default();
        let types = header.types;
        if header.scope != Some(Scope::Resource) {
            continue;
        }
        let Some(types) = types else {
            continue; // `types=*`: every resource is kept.
        };
        let mut used = type_literals(&source.text);
        for (name, body) in &lib {
            if source.text.contains(&format!("data.tollgate.lib.{name}\n"))
                || source.text.contains(&format!("data.tollgate.lib.{name} "))
            {
                used.extend(type_literals(body));
            }
        }
        let missing: Vec<_> = used.difference(&types).collect();
        assert!(
            missing.is_empty(),
            "{} looks at types missing from its `# tollgate: types=` header: {missing:?}",
            source.file
        );
        checked_files += 1;
    }
    // 18 resource-scoped files: terraform ebs-unencrypted joins resources (encryption by
    // default), so it is document-scoped.
    assert!(checked_files >= 18, "{checked_files}");

    let filtered = RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let unfiltered = without_type_filter(RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}")));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = Vec::new();
    let corpus = tollgate_corpus::corpus();
    for dir in [root.join("testdata"), root.join("policies")]
        .into_iter()
        .chain(corpus.clone())
    {
        files.extend(
            walkdir::WalkDir::new(dir)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(walkdir::DirEntry::into_path),
        );
    }
    files.sort();
    let options = crate::default_options();
    let (mut documents, mut with_findings) = (0, 0);
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let name = path.display().to_string();
        let Ok(tollgate_template::Outcome::Loaded(loaded)) =
            tollgate_template::load(&name, &bytes, &tollgate_template::LoadOptions::default())
        else {
            continue;
        };
        let (a, ea) = crate::check(&filtered, &loaded, &options);
        let (b, eb) = crate::check(&unfiltered, &loaded, &options);
        let key = |f: &crate::Finding| {
            (
                f.rule.clone(),
                f.resource.clone(),
                f.pointer.clone(),
                f.message.clone(),
            )
        };
        let a: BTreeSet<_> = a.iter().map(key).collect();
        let b: BTreeSet<_> = b.iter().map(key).collect();
        assert_eq!(a, b, "{name}: the type filter changes the findings");
        assert_eq!(ea.len(), eb.len(), "{name}");
        documents += 1;
        with_findings += usize::from(!a.is_empty());
    }
    // The fixtures alone, or the fixtures and the corpus.
    let (at_least, with_findings_at_least) = if corpus.is_some() {
        (1600, 100)
    } else {
        (100, 50)
    };
    assert!(documents > at_least, "{documents} documents");
    assert!(
        with_findings > with_findings_at_least,
        "{with_findings} documents with findings"
    );
}

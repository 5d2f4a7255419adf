//! The engines themselves, not the rules' behaviour (that is in `policies/*/cases/`, run by
//! `crates/tollgate-cli/tests/cases.rs`): the built-in pack's metadata, input kinds, odd documents,
//! option defaults, and user policies.

#![allow(clippy::panic)] // helpers outside #[test] functions report failures by panicking

use std::sync::OnceLock;

use serde_json::{json, Value};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::{PolicySource, RegoEngine};
use tollgate_policy::{Engine, EvalError, InputKind, RawFinding, RuleMeta, Severity};

fn rego() -> &'static RegoEngine {
    static ENGINE: OnceLock<RegoEngine> = OnceLock::new();
    ENGINE.get_or_init(|| match RegoEngine::builtin() {
        Ok(engine) => engine,
        Err(errors) => panic!("built-in Rego rules do not load: {errors:#?}"),
    })
}

fn guard() -> &'static GuardEngine {
    static ENGINE: OnceLock<GuardEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let (engine, errors) = GuardEngine::new();
        assert!(
            errors.is_empty(),
            "built-in Guard rules do not load: {errors:?}"
        );
        engine
    })
}

/// Both built-in engines, named for assertion messages.
fn engines() -> [(&'static str, &'static dyn Engine); 2] {
    [("rego", rego()), ("guard", guard())]
}

fn default_options() -> Value {
    json!({"admin_ports": [22, 3389]})
}

fn run(engine: &dyn Engine, kind: InputKind, doc: &Value, options: &Value) -> Vec<RawFinding> {
    let (findings, errors) = engine.evaluate(kind, doc, options);
    assert!(errors.is_empty(), "errors: {errors:#?}");
    findings
}

/// `(resource, pointer)` of every finding of `rule`, sorted.
fn only(findings: &[RawFinding], rule: &str) -> Vec<(String, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.resource.clone(), f.pointer.to_string()))
        .collect();
    v.sort();
    v
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = items
        .iter()
        .map(|(r, p)| (r.to_string(), p.to_string()))
        .collect();
    v.sort();
    v
}

fn cfn(resources: Value) -> Value {
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})
}

fn plan(resources: Vec<Value>) -> Value {
    json!({"format_version": "1.2", "terraform_version": "1.9.0", "resources": resources})
}

/// A planned resource `<type>.<name>` with no unknowns and no references.
fn res(ty: &str, name: &str, after: Value) -> Value {
    let address = format!("{ty}.{name}");
    json!({
        "address": address, "config_address": address, "module_address": null,
        "mode": "managed", "type": ty, "name": name, "index": null,
        "actions": ["create"], "after": after, "after_unknown": {}, "references": {}
    })
}

/// A security group with one ingress rule per element of `rules`.
fn sg(rules: Value) -> Value {
    json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": rules}})
}

fn ssh_world_block() -> Value {
    json!({"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"],
           "ipv6_cidr_blocks": []})
}

// ------------------------------------------------------------------------------------------
// The built-in pack
// ------------------------------------------------------------------------------------------

/// The built-in rule ids an engine has for `kind`, one entry per rule it compiled.
fn builtin_ids(engine: &str, kind: InputKind) -> Vec<String> {
    match engine {
        "rego" => rego()
            .rules()
            .iter()
            .filter(|r| r.builtin && r.kind == kind)
            .map(|r| r.id.clone())
            .collect(),
        _ => guard()
            .policies()
            .iter()
            .filter(|p| p.builtin && p.kinds.contains(&kind))
            .flat_map(|p| p.rules.iter().map(|r| r.id.clone()))
            .collect(),
    }
}

#[test]
fn builtin_metadata_is_consistent() {
    use tollgate_policy::pack::BUILTIN;
    // Every rule folder is in the pack (build.rs discovers them); nothing here lists them, so
    // that adding a rule touches no Rust file. Severities are pinned by the rule docs and the
    // SARIF snapshots.
    let folders = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| e.path().join("rule.toml").is_file())
                .count()
        })
        .unwrap_or_default();
    assert_eq!(BUILTIN.len(), folders);
    for rule in BUILTIN {
        let meta: RuleMeta = toml::from_str(rule.meta_toml)
            .unwrap_or_else(|e| panic!("policies/{}/rule.toml: {e}", rule.id));
        let id = rule.id;
        assert_eq!(meta.id, id);
        assert!(!meta.title.is_empty(), "{id}");
        assert!(
            !meta.compliance.is_empty() && !meta.references.is_empty(),
            "{id}"
        );
        for reference in &meta.compliance {
            assert!(
                reference.starts_with("CIS AWS Foundations v")
                    || reference.starts_with("AWS Security Hub ")
                    || reference.starts_with("PCI DSS v")
                    // A practice AWS recommends, not a numbered benchmark control.
                    || reference.starts_with("AWS best practice ("),
                "{id}: {reference} does not name its benchmark version"
            );
        }
        for (engine, _) in engines() {
            for kind in [InputKind::CloudFormation, InputKind::TerraformPlan] {
                let found = builtin_ids(engine, kind);
                let count = found.iter().filter(|found| *found == id).count();
                assert_eq!(count, 1, "{engine}: {id} {kind:?}");
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Documents
// ------------------------------------------------------------------------------------------

#[test]
fn rules_of_one_kind_ignore_the_other_kind() {
    let template = cfn(json!({
        "B": {"Type": "AWS::S3::Bucket"},
        "Sg": sg(json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]))
    }));
    let tf = plan(vec![
        res("aws_s3_bucket", "b", json!({"bucket": "b"})),
        res(
            "aws_security_group",
            "web",
            json!({"ingress": [ssh_world_block()]}),
        ),
    ]);
    for (name, engine) in engines() {
        let options = default_options();
        // Each document has findings as its own kind, none as the other.
        assert!(!run(engine, InputKind::CloudFormation, &template, &options).is_empty());
        assert!(
            run(engine, InputKind::TerraformPlan, &template, &options).is_empty(),
            "{name}"
        );
        assert!(
            run(engine, InputKind::CloudFormation, &tf, &options).is_empty(),
            "{name}"
        );
        let bucket_only = plan(vec![res("aws_s3_bucket", "b", json!({"bucket": "b"}))]);
        assert_eq!(
            run(engine, InputKind::TerraformPlan, &bucket_only, &options).len(),
            1,
            "{name}"
        );
        assert!(!run(engine, InputKind::TerraformPlan, &tf, &options).is_empty());
    }
}

#[test]
fn empty_and_odd_documents() {
    for (name, engine) in engines() {
        for doc in [
            json!({}),
            json!({"Resources": null}),
            json!({"Resources": {"X": null}}),
            json!([]),
            json!("x"),
        ] {
            let found = run(engine, InputKind::CloudFormation, &doc, &default_options());
            assert!(found.is_empty(), "{name}: {doc}: {found:?}");
        }
        for doc in [
            json!({}),
            json!({"resources": []}),
            json!({"resources": [null, {"type": "aws_vpc"}]}),
        ] {
            let found = run(engine, InputKind::TerraformPlan, &doc, &default_options());
            assert!(found.is_empty(), "{name}: {doc}: {found:?}");
        }
    }
}

#[test]
fn without_options_the_defaults_apply() {
    let template = cfn(json!({"Sg": sg(json!([
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 5900, "ToPort": 5900, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}
    ]))}));
    let ingress = "/Resources/Sg/Properties/SecurityGroupIngress";
    for (name, engine) in engines() {
        let found = run(engine, InputKind::CloudFormation, &template, &json!({}));
        assert_eq!(
            only(&found, "sg-admin-ports-world-ipv4"),
            pairs(&[
                ("Sg", &format!("{ingress}/0/CidrIp")),
                ("Sg", &format!("{ingress}/2/CidrIp"))
            ]),
            "{name}"
        );
    }
}

/// Cost of an evaluation on each engine (run with `--ignored --nocapture`; dependencies are
/// built with opt-level 2 even in test builds).
#[test]
#[ignore]
fn measure_cost() {
    let group = |i: usize| {
        sg(json!([
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": if i % 2 == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" }},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "-1", "CidrIpv6": "::/0"}
        ]))
    };
    for (name, engine) in engines() {
        for n in [1usize, 10, 100, 1000, 4000] {
            let mut resources = serde_json::Map::new();
            for i in 0..n {
                resources.insert(format!("Sg{i}"), group(i));
                resources.insert(format!("B{i}"), json!({"Type": "AWS::S3::Bucket"}));
            }
            let doc = cfn(Value::Object(resources));
            let started = std::time::Instant::now();
            let (f, e) = engine.evaluate(InputKind::CloudFormation, &doc, &default_options());
            let took = started.elapsed();
            println!(
                "{name} cfn: {n} SGs + {n} buckets: {took:?} ({:?} per resource), {} findings, {} errors",
                took / (2 * n as u32),
                f.len(),
                e.len()
            );
        }
        for n in [1usize, 100, 1000, 4000] {
            let mut resources = Vec::new();
            for i in 0..n {
                let ingress = json!({"ingress": [ssh_world_block()]});
                resources.push(res("aws_security_group", &format!("sg{i}"), ingress));
                let bucket = json!({"bucket": format!("b{i}")});
                resources.push(res("aws_s3_bucket", &format!("b{i}"), bucket));
                let vpc = json!({"cidr_block": "10.0.0.0/16"});
                resources.push(res("aws_vpc", &format!("v{i}"), vpc));
            }
            let doc = plan(resources);
            let started = std::time::Instant::now();
            let (f, e) = engine.evaluate(InputKind::TerraformPlan, &doc, &default_options());
            let took = started.elapsed();
            println!(
                "{name} tf: {} resources: {took:?} ({:?} per resource), {} findings, {} errors",
                3 * n,
                took / (3 * n as u32),
                f.len(),
                e.len()
            );
        }
    }
}

// ------------------------------------------------------------------------------------------
// User policies: Rego
// ------------------------------------------------------------------------------------------

/// The worked example of docs/writing-rego-policies.md compiles and reports what the page says.
#[test]
fn rego_documented_worked_example() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/writing-rego-policies.md"
    ))
    .unwrap();
    let example = page.split("## Worked example").nth(1).unwrap();
    let sources: Vec<PolicySource> = example
        .split("```rego\n")
        .skip(1)
        .enumerate()
        .map(|(i, block)| PolicySource {
            file: format!("example{i}.rego"),
            text: block.split("```").next().unwrap().to_string(),
            builtin: false,
        })
        .collect();
    assert_eq!(sources.len(), 2);
    let (engine, errors) = RegoEngine::from_sources(sources, false);
    assert!(errors.is_empty(), "{errors:#?}");
    let doc = json!({"Resources": {
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "team", "Value": "platform"}]}},
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "owner", "Value": ""}]}}
    }});
    let findings = run(&engine, InputKind::CloudFormation, &doc, &default_options());
    let got: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f.rule.as_str(),
                f.resource.as_str(),
                f.pointer.as_str(),
                f.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "acme-s3-owner-tag",
                "Data",
                "/Resources/Data/Properties/Tags/0/Value",
                "S3 bucket's owner tag is empty"
            ),
            (
                "acme-s3-owner-tag",
                "Logs",
                "/Resources/Logs/Properties/Tags",
                "S3 bucket has no owner tag"
            ),
        ]
    );
    let tf = plan(vec![
        res(
            "aws_s3_bucket",
            "a",
            json!({"tags": null, "tags_all": {"owner": "platform"}}),
        ),
        res(
            "aws_s3_bucket",
            "b",
            json!({"tags": {"team": "x"}, "tags_all": {"team": "x"}}),
        ),
    ]);
    let findings = run(&engine, InputKind::TerraformPlan, &tf, &default_options());
    assert_eq!(
        only(&findings, "acme-s3-owner-tag"),
        pairs(&[("aws_s3_bucket.b", "/resources/1/after")])
    );
}

// ------------------------------------------------------------------------------------------
// User policies: Guard
// ------------------------------------------------------------------------------------------

/// What a user's rule returns as `pointer` that is not a JSON pointer behaves as it always
/// did: without its leading `/` the entry is an error of the rule; a `~` not followed by `0`
/// or `1` is a literal `~`, and the finding is located at the nearest value that exists.
#[test]
fn rego_user_pointers_that_are_not_pointers() {
    let rule = r#"package tollgate.rules.cloudformation.odd_pointers
import rego.v1
metadata := {"id": "odd-pointers", "severity": "low"}
deny contains {"message": "stray tilde", "resource": id, "pointer": sprintf("/Resources/%s/Properties/x~2", [id])} if {
    some id, _ in input.Resources
}
deny contains {"message": "no slash", "resource": id, "pointer": "Resources"} if {
    some id, _ in input.Resources
}
"#;
    let source = PolicySource {
        file: "odd.rego".into(),
        text: rule.into(),
        builtin: false,
    };
    let (engine, errors) = RegoEngine::from_sources(vec![source], false);
    assert!(errors.is_empty(), "{errors:#?}");
    let text = "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: x\n";
    let loaded = match tollgate_template::load("t.yaml", text.as_bytes(), &Default::default()) {
        Ok(tollgate_template::Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    };
    let (findings, errors) = tollgate_policy::check(&engine, &loaded, &default_options());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .to_string()
            .contains("\"Resources\" is not a JSON pointer"),
        "{}",
        errors[0]
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].pointer.as_str(), "/Resources/A/Properties/x~02");
    assert_eq!(loaded.source.slice(findings[0].span), "TopicName: x");
}

/// A fresh temporary directory `name` holding `files` (file name, text).
fn policy_dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tollgate-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    for (file, text) in files {
        if let Err(e) = std::fs::write(dir.join(file), text) {
            panic!("{file}: {e}");
        }
    }
    dir
}

#[test]
fn guard_user_policy_worked_example() {
    let dir = policy_dir(
        "example",
        &[(
            "no-public-buckets.guard",
            r#"# Buckets must block public ACLs.
# tollgate: severity=high
# tollgate: input=cloudformation
# tollgate: types=AWS::S3::Bucket

let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]

rule s3_block_public_acls when %buckets !empty {
  %buckets {
    Properties.PublicAccessBlockConfiguration.BlockPublicAcls IN [true, /^\s*(?i)true\s*$/]
      <<{"message": "S3 bucket does not block public ACLs", "missing": "resource"}>>
  }
}
"#,
        )],
    );
    let (engine, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert!(errors.is_empty(), "{errors:?}");
    let policy = engine
        .policies()
        .iter()
        .find(|p| !p.builtin)
        .expect("the user policy is loaded");
    assert_eq!(policy.rules[0].id, "s3-block-public-acls");
    assert_eq!(policy.severity, Some(Severity::High));
    assert_eq!(policy.kinds, vec![InputKind::CloudFormation]);

    let doc = cfn(json!({
        "Logs": {"Type": "AWS::S3::Bucket"},
        "Site": {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": false}}},
        "Private": {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": "true"}}}
    }));
    let f = run(&engine, InputKind::CloudFormation, &doc, &default_options());
    assert_eq!(
        only(&f, "s3-block-public-acls"),
        pairs(&[
            ("Logs", "/Resources/Logs"),
            (
                "Site",
                "/Resources/Site/Properties/PublicAccessBlockConfiguration/BlockPublicAcls"
            ),
        ])
    );
    assert!(f
        .iter()
        .filter(|x| x.rule == "s3-block-public-acls")
        .all(|x| x.message == "S3 bucket does not block public ACLs"));
    // input=cloudformation: not run on plans.
    let buckets = plan(vec![res("aws_s3_bucket", "b", json!({"bucket": "b"}))]);
    let (f, _) = engine.evaluate(InputKind::TerraformPlan, &buckets, &default_options());
    assert!(f.iter().all(|x| x.rule != "s3-block-public-acls"));
}

#[test]
fn guard_user_policy_plain_message_and_both_kinds() {
    let dir = policy_dir(
        "plain",
        &[(
            "tags.guard",
            "let vols = resources[ type == 'aws_ebs_volume' ]\n\
             rule ebs_has_tags when %vols !empty {\n  %vols.after.tags exists << volume has no tags >>\n}\n",
        )],
    );
    // A policy file given by its path, not its directory.
    let file = dir.join("tags.guard");
    let (engine, errors) = GuardEngine::with_user_policies(&[&file]);
    assert!(errors.is_empty(), "{errors:?}");
    let volumes = plan(vec![
        res("aws_ebs_volume", "a", json!({"encrypted": true})),
        res(
            "aws_ebs_volume",
            "b",
            json!({"encrypted": true, "tags": {"a/b": "c"}}),
        ),
    ]);
    let f = run(
        &engine,
        InputKind::TerraformPlan,
        &volumes,
        &default_options(),
    );
    let mine: Vec<&RawFinding> = f.iter().filter(|x| x.rule == "ebs-has-tags").collect();
    assert_eq!(mine.len(), 1, "{f:?}");
    assert_eq!(mine[0].resource, "aws_ebs_volume.a");
    assert_eq!(mine[0].pointer, "/resources/0/after");
    assert_eq!(mine[0].message, "volume has no tags");
}

#[test]
fn guard_user_policy_syntax_error_names_file_line_and_column() {
    let dir = policy_dir(
        "syntax",
        &[
            (
                "a-broken.guard",
                "rule ok_rule {\n  Resources exists\n}\nrule bad {\n  Foo ==\n}\n",
            ),
            (
                "b-good.guard",
                "rule good_rule when Resources exists {\n  Resources.* !empty\n}\n",
            ),
        ],
    );
    let (engine, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Syntax {
            file, line, column, ..
        } => {
            assert!(file.ends_with("a-broken.guard"), "{file}");
            assert_eq!((*line, *column), (5, 9));
        }
        other => panic!("not a syntax error: {other:?}"),
    }
    // The good file still loads.
    assert!(engine
        .policies()
        .iter()
        .any(|p| p.rules.iter().any(|r| r.id == "good-rule")));
}

#[test]
fn guard_user_policy_header_errors_and_duplicate_ids() {
    let dir = policy_dir(
        "header",
        &[
            (
                "sev.guard",
                "# tollgate: severity=severe\nrule x { Resources exists }\n",
            ),
            ("dup.guard", "rule sg_ssh_world { Resources exists }\n"),
        ],
    );
    let (_, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

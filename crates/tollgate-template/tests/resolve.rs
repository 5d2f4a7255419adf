//! Resolution of CloudFormation intrinsics and conditions, and the origin of resolved values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use serde_json::{json, Value};
use std::collections::BTreeMap;
use tollgate_template::{
    load, ErrorKind, LoadError, LoadOptions, Loaded, Outcome, Pointer, PolicyInput,
};

fn load_with(text: &str, params: &[(&str, &str)]) -> Result<Loaded, LoadError> {
    let options = LoadOptions {
        parameters: params
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect::<BTreeMap<_, _>>(),
        ..LoadOptions::default()
    };
    match load("t.yaml", text.as_bytes(), &options)? {
        Outcome::Loaded(l) => Ok(*l),
        Outcome::Skipped(r) => panic!("skipped: {r}"),
    }
}

fn resolved(text: &str) -> Vec<Value> {
    let l = load_with(text, &[]).unwrap_or_else(|e| panic!("{e}"));
    l.inputs
        .iter()
        .map(|i| i.value()["Resources"].clone())
        .collect()
}

fn props(text: &str) -> Value {
    let r = resolved(text);
    assert_eq!(r.len(), 1, "expected one variant");
    r[0]["R"]["Properties"].clone()
}

const HEAD: &str = "Parameters:\n  Cidr:\n    Type: String\n    Default: 0.0.0.0/0\n  NoDefault:\n    Type: String\n  Ports:\n    Type: CommaDelimitedList\n    Default: \"22, 3389\"\nMappings:\n  M:\n    prod:\n      cidr: 10.0.0.0/8\nConditions:\n  IsProd: !Equals [!Ref Cidr, 0.0.0.0/0]\n  Never: !Not [!Condition IsProd]\n";

fn with_props(p: &str) -> String {
    format!("{HEAD}Resources:\n  R:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n{p}")
}

#[test]
fn ref_to_parameter_uses_default_and_points_at_the_ref_with_default_related() {
    let text = with_props("      A: !Ref Cidr\n");
    let l = load_with(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        l.inputs[0].value()["Resources"]["R"]["Properties"]["A"],
        json!("0.0.0.0/0")
    );
    let loc = l
        .locate(0, Pointer::from_static("/Resources/R/Properties/A"))
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(l.source.slice(loc.span), "!Ref Cidr");
    assert_eq!(loc.related.len(), 1);
    assert_eq!(l.source.slice(loc.related[0].span), "0.0.0.0/0");
    assert_eq!(l.source.position(loc.related[0].span.start).line, 4);
}

#[test]
fn overrides_win_over_defaults() {
    let text = with_props("      A: !Ref Cidr\n");
    let l = load_with(&text, &[("Cidr", "10.1.0.0/16")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        l.inputs[0].value()["Resources"]["R"]["Properties"]["A"],
        json!("10.1.0.0/16")
    );
}

#[test]
fn unknown_values_stay_intrinsics() {
    let p = props(&with_props(
        "      A: !Ref NoDefault\n      B: !Ref AWS::Region\n      C: !GetAtt V.DefaultSecurityGroup\n      D: !ImportValue x\n      E: !Sub '${AWS::Region}-x'\n",
    ));
    assert_eq!(p["A"], json!({"Ref": "NoDefault"}));
    assert_eq!(p["B"], json!({"Ref": "AWS::Region"}));
    assert_eq!(p["C"], json!({"Fn::GetAtt": ["V", "DefaultSecurityGroup"]}));
    assert_eq!(p["D"], json!({"Fn::ImportValue": "x"}));
    assert_eq!(p["E"], json!({"Fn::Sub": "${AWS::Region}-x"}));
}

#[test]
fn novalue_removes_properties_and_list_elements() {
    let p = props(&with_props(
        "      A: !Ref AWS::NoValue\n      L:\n        - 1\n        - !If [Never, 2, !Ref AWS::NoValue]\n        - 3\n",
    ));
    assert_eq!(p, json!({"L": [1, 3]}));
}

#[test]
fn functions_are_evaluated() {
    let p = props(&with_props(concat!(
        "      J: !Join ['-', [a, !Ref Cidr]]\n",
        "      S: !Select [1, !Ref Ports]\n",
        "      P: !Split [',', 'a,b']\n",
        "      F: !FindInMap [M, prod, cidr]\n",
        "      B: !Base64 abc\n",
        "      U: !Sub ['${x}/${Cidr}', {x: y}]\n",
        "      L: !Sub 'lit ${!Literal}'\n",
    )));
    assert_eq!(p["J"], json!("a-0.0.0.0/0"));
    assert_eq!(p["S"], json!("3389"));
    assert_eq!(p["P"], json!(["a", "b"]));
    assert_eq!(p["F"], json!("10.0.0.0/8"));
    assert_eq!(p["B"], json!("YWJj"));
    assert_eq!(p["U"], json!("y/0.0.0.0/0"));
    assert_eq!(p["L"], json!("lit ${Literal}"));
}

#[test]
fn find_in_map_has_the_mapping_entry_as_related() {
    let l = load_with(&with_props("      F: !FindInMap [M, prod, cidr]\n"), &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let loc = l
        .locate(0, Pointer::from_static("/Resources/R/Properties/F"))
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(l.source.slice(loc.related[0].span), "10.0.0.0/8");
}

#[test]
fn decided_if_takes_its_branch_and_points_at_the_if() {
    let text = with_props("      A: !If [IsProd, {x: 1}, {x: 2}]\n");
    let l = load_with(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.inputs.len(), 1);
    assert_eq!(
        l.inputs[0].value()["Resources"]["R"]["Properties"]["A"],
        json!({"x": 1})
    );
    let top = l
        .locate(0, Pointer::from_static("/Resources/R/Properties/A"))
        .unwrap_or_else(|| panic!("no location"));
    assert!(l.source.slice(top.span).starts_with("!If"));
    let inner = l
        .locate(0, Pointer::from_static("/Resources/R/Properties/A/x"))
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(l.source.slice(inner.span), "1");
}

#[test]
fn undecided_conditions_give_one_variant_per_assignment() {
    let text = "Conditions:\n  East: !Equals [!Ref AWS::Region, us-east-1]\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !If [East, e, w]\n";
    let all = resolved(text);
    let values: Vec<&Value> = all.iter().map(|r| &r["R"]["Properties"]["A"]).collect();
    assert_eq!(values, vec![&json!("e"), &json!("w")]);
}

#[test]
fn resource_condition_false_skips_the_resource() {
    let text =
        with_props("      A: 1\n  Skipped:\n    Type: AWS::S3::Bucket\n    Condition: Never\n");
    let r = resolved(&text);
    assert!(r[0].get("Skipped").is_none());
    assert!(r[0].get("R").is_some());
}

#[test]
fn variants_are_bounded() {
    let mut text = String::from("Conditions:\n");
    for i in 0..8 {
        text.push_str(&format!("  C{i}: !Equals [!Ref AWS::Region, r{i}]\n"));
    }
    text.push_str("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n");
    for i in 0..8 {
        text.push_str(&format!("      P{i}: !If [C{i}, a, b]\n"));
    }
    let l = load_with(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.inputs.len(), 64);
    assert_eq!(l.warnings.len(), 1);
}

/// The first error of a template that still loads (resolution errors cost a value).
fn error_of(text: &str) -> (ErrorKind, usize) {
    match load_with(text, &[]) {
        Err(e) => panic!("the template does not load: {e}"),
        Ok(l) => {
            let e = l
                .errors
                .first()
                .unwrap_or_else(|| panic!("expected an error"));
            (e.kind, e.position.map(|p| p.line).unwrap_or(0))
        }
    }
}

#[test]
fn ref_to_nothing_is_an_error_at_the_ref() {
    assert_eq!(
        error_of(&with_props("      A: !Ref Nope\n")),
        (ErrorKind::RefToNothing, 21)
    );
}

#[test]
fn if_naming_a_missing_condition_is_an_error() {
    assert_eq!(
        error_of(&with_props("      A: !If [Nope, 1, 2]\n")),
        (ErrorKind::MissingCondition, 21)
    );
}

#[test]
fn condition_cycles_are_an_error() {
    let text = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Condition: A\n";
    assert_eq!(error_of(text).0, ErrorKind::ConditionCycle);
}

#[test]
fn plan_pointers_map_to_resource_changes() {
    let plan = r#"{"format_version":"1.2","resource_changes":[
      {"address":"aws_s3_bucket.gone","type":"aws_s3_bucket","name":"gone","change":{"actions":["delete"],"after":null}},
      {"address":"module.m.aws_s3_bucket.b[\"k\"]","module_address":"module.m","type":"aws_s3_bucket","name":"b","index":"k","change":{"actions":["create"],"after":{"bucket":"x"},"after_unknown":{"id":true}}}
    ],"configuration":{"root_module":{"module_calls":{"m":{"module":{"resources":[
      {"address":"aws_s3_bucket.b","expressions":{"bucket":{"references":["aws_kms_key.k.arn","aws_kms_key.k","var.x"]}}}]}}}}}}"#;
    let l = match load("p.json", plan.as_bytes(), &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    };
    let v = l.inputs[0].value();
    assert_eq!(v["resources"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        v["resources"][0]["config_address"],
        json!("module.m.aws_s3_bucket.b")
    );
    assert_eq!(
        v["resources"][0]["references"],
        json!({"bucket": ["module.m.aws_kms_key.k"]})
    );
    let PolicyInput::Plan(p) = &l.inputs[0] else {
        panic!("not a plan")
    };
    assert_eq!(
        p.plan_pointer(Pointer::from_static("/resources/0/after/bucket"))
            .map(|p| p.to_string())
            .as_deref(),
        Some("/resource_changes/1/change/after/bucket")
    );
    let loc = l
        .locate(0, Pointer::from_static("/resources/0/after/bucket"))
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(l.source.slice(loc.span), "\"x\"");
}

#[test]
fn language_extension_functions_are_evaluated() {
    let p = props(&with_props(concat!(
        "      L1:\n        Fn::Length: [a, !Ref NoDefault, !Ref AWS::NoValue]\n",
        "      L2:\n        Fn::Length: !Ref Ports\n",
        "      L3:\n        Fn::Length: !Split ['|', 'a|b|c']\n",
        "      J1:\n        Fn::ToJsonString: {key1: value1, key2: !Ref Cidr, n: [1, true]}\n",
        "      J2:\n        Fn::ToJsonString: [{a: 'é/x'}]\n",
        "      J3:\n        Fn::ToJsonString: {a: !Ref AWS::Region}\n",
    )));
    assert_eq!(p["L1"], json!(2));
    assert_eq!(p["L2"], json!(2));
    assert_eq!(p["L3"], json!(3));
    assert_eq!(
        p["J1"],
        json!(r#"{"key1":"value1","key2":"0.0.0.0/0","n":[1,true]}"#)
    );
    assert_eq!(p["J2"], json!(r#"[{"a":"é/x"}]"#));
    assert_eq!(
        p["J3"],
        json!({"Fn::ToJsonString": {"a": {"Ref": "AWS::Region"}}})
    );
}

#[test]
fn find_in_map_default_value_covers_a_missing_map_or_key_and_names_may_be_intrinsics() {
    let p = props(
        &with_props(concat!(
            "      Found: !FindInMap [M, !Ref Env, cidr, {DefaultValue: d}]\n",
            "      Joined: !FindInMap [M, !Join ['', [pr, od]], cidr]\n",
            "      NoKey: !FindInMap [M, prod, port, {DefaultValue: 22}]\n",
            "      NoTop: !FindInMap [M, dev, cidr, {DefaultValue: !Ref Cidr}]\n",
            "      NoMap: !FindInMap [Nope, prod, cidr, {DefaultValue: [a, b]}]\n",
            "      Gone: !FindInMap [M, dev, cidr, {DefaultValue: !Ref AWS::NoValue}]\n",
            "      Unknown: !FindInMap [M, !Ref AWS::Region, cidr, {DefaultValue: d}]\n",
            "      NoDefault: !FindInMap [M, dev, cidr]\n",
        ))
        .replace(
            "  NoDefault:\n",
            "  Env:\n    Type: String\n    Default: prod\n  NoDefault:\n",
        ),
    );
    assert_eq!(p["Found"], json!("10.0.0.0/8"));
    assert_eq!(p["Joined"], json!("10.0.0.0/8"));
    assert_eq!(p["NoKey"], json!(22));
    assert_eq!(p["NoTop"], json!("0.0.0.0/0"));
    assert_eq!(p["NoMap"], json!(["a", "b"]));
    assert!(p.get("Gone").is_none(), "{p}");
    assert_eq!(
        p["Unknown"],
        json!({"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "cidr", {"DefaultValue": "d"}]})
    );
    assert_eq!(
        p["NoDefault"],
        json!({"Fn::FindInMap": ["M", "dev", "cidr"]})
    );
}

#[test]
fn find_in_map_default_value_works_without_a_mappings_section() {
    let text = "Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !FindInMap [M, a, b, {DefaultValue: x}]\n";
    assert_eq!(resolved(text)[0]["R"]["Properties"]["A"], json!("x"));
}

/// The resource list of a plan: config address → references.
fn plan_references(plan: &Value) -> BTreeMap<String, Value> {
    let text = plan.to_string();
    let l = match load("p.json", text.as_bytes(), &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    };
    let v = l.inputs[0].value();
    v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["config_address"].as_str().unwrap().to_string(),
                r["references"].clone(),
            )
        })
        .collect()
}

/// A resource change that is created.
fn change(module: Option<&str>, rtype: &str, name: &str) -> Value {
    let local = format!("{rtype}.{name}");
    let address = module.map_or(local.clone(), |m| format!("{m}.{local}"));
    json!({"address": address, "module_address": module, "mode": "managed", "type": rtype,
           "name": name, "change": {"actions": ["create"], "after": {}}})
}

#[test]
fn plan_references_follow_module_inputs_and_outputs_three_levels_deep() {
    // module.b.module.c.module.d holds the VPC; its id goes up through three outputs
    // (d.o3 → c.o2 → b.out) and down through three inputs (a.x → inner.y → deep.z) to a
    // default security group in module.a.module.inner.module.deep. module.a has for_each and
    // refers to one instance of module.b: instance keys are dropped.
    let vpc_module = json!({
        "resources": [{"address": "aws_vpc.v", "expressions": {"cidr_block": {"constant_value": "10.0.0.0/16"}}}],
        "outputs": {"o3": {"expression": {"references": ["aws_vpc.v.id", "aws_vpc.v"]}},
                    "other": {"expression": {"references": ["aws_subnet.s.id"]}}}
    });
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [
            change(Some("module.b[\"k\"].module.c.module.d"), "aws_vpc", "v"),
            change(Some("module.a[\"x\"].module.inner.module.deep"), "aws_default_security_group", "g"),
            change(None, "aws_flow_log", "f"),
            change(None, "aws_flow_log", "whole"),
            change(None, "aws_flow_log", "root_var"),
        ],
        "configuration": {"root_module": {
            "resources": [
                {"address": "aws_flow_log.f", "expressions": {
                    "vpc_id": {"references": ["module.b[\"k\"].out", "module.b[\"k\"]", "module.b"]},
                    "tags": {"references": ["local.tags", "var.env"]}}},
                {"address": "aws_flow_log.whole", "expressions": {
                    "vpc_id": {"references": ["module.b", "each.key"]}}},
                {"address": "aws_flow_log.root_var", "expressions": {
                    "vpc_id": {"references": ["var.vpc_id"]}}}
            ],
            "module_calls": {
                "a": {"expressions": {"x": {"references": ["module.b[\"k\"].out", "module.b[\"k\"]", "module.b"]}},
                      "module": {
                          "variables": {"x": {}},
                          "module_calls": {"inner": {
                              "expressions": {"y": {"references": ["var.x"]}},
                              "module": {"module_calls": {"deep": {
                                  "expressions": {"z": {"references": ["var.y"]}},
                                  "module": {"resources": [{"address": "aws_default_security_group.g",
                                      "expressions": {"vpc_id": {"references": ["var.z"]}}}]}
                              }}}
                          }}
                      }},
                "b": {"module": {
                    "outputs": {"out": {"expression": {"references": ["module.c.o2", "module.c"]}},
                                "name": {"expression": {"constant_value": "b"}}},
                    "module_calls": {"c": {"module": {
                        "outputs": {"o2": {"expression": {"references": ["module.d.o3", "module.d"]}}},
                        "module_calls": {"d": {"module": vpc_module}}
                    }}}
                }}
            }
        }}
    });
    let refs = plan_references(&plan);
    let vpc = json!({"vpc_id": ["module.b.module.c.module.d.aws_vpc.v"]});
    assert_eq!(
        refs["module.a.module.inner.module.deep.aws_default_security_group.g"],
        vpc
    );
    assert_eq!(refs["aws_flow_log.f"], vpc);
    // `module.b` alone (a dynamic instance key): every output of module.b.
    assert_eq!(refs["aws_flow_log.whole"], vpc);
    // A root variable refers to no resource.
    assert_eq!(refs["aws_flow_log.root_var"], json!({}));
    assert_eq!(refs["module.b.module.c.module.d.aws_vpc.v"], json!({}));
}

#[test]
fn plan_references_terminate_on_cyclic_module_inputs_and_outputs() {
    // Not valid Terraform: module.m's output o is its input x, and the root passes
    // x = module.m.o; module.m.module.n does the same one level down, and a resource in it
    // refers to both. Resolution must end, and keep what is reachable (the bucket).
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [
            change(None, "aws_s3_bucket_server_side_encryption_configuration", "s"),
            change(Some("module.m.module.n"), "aws_s3_bucket_server_side_encryption_configuration", "t"),
        ],
        "configuration": {"root_module": {
            "resources": [{"address": "aws_s3_bucket_server_side_encryption_configuration.s",
                           "expressions": {"bucket": {"references": ["module.m.o", "module.m"]}}}],
            "module_calls": {"m": {
                "expressions": {"x": {"references": ["module.m.o", "module.m"]}},
                "module": {
                    "outputs": {"o": {"expression": {"references": ["var.x", "module.n.p", "aws_s3_bucket.b.id"]}}},
                    "resources": [{"address": "aws_s3_bucket.b"}],
                    "module_calls": {"n": {
                        "expressions": {"y": {"references": ["module.n.p", "var.x"]}},
                        "module": {
                            "outputs": {"p": {"expression": {"references": ["var.y"]}}},
                            "resources": [{"address": "aws_s3_bucket_server_side_encryption_configuration.t",
                                           "expressions": {"bucket": {"references": ["var.y", "module.nope.x"]}}}]
                        }
                    }}
                }
            }}
        }}
    });
    let refs = plan_references(&plan);
    let bucket = json!({"bucket": ["module.m.aws_s3_bucket.b"]});
    assert_eq!(
        refs["aws_s3_bucket_server_side_encryption_configuration.s"],
        bucket
    );
    assert_eq!(
        refs["module.m.module.n.aws_s3_bucket_server_side_encryption_configuration.t"],
        bucket
    );

    // A chain through 3,000 sibling modules (m_i's output is its input, which the root sets to
    // m_{i+1}'s output): cut, without exhausting the stack.
    let n = 3000;
    let mut calls = serde_json::Map::new();
    for i in 0..n {
        calls.insert(
            format!("m{i}"),
            json!({"expressions": {"x": {"references": [format!("module.m{}.o", i + 1)]}},
                   "module": {"outputs": {"o": {"expression": {"references": ["var.x", format!("aws_vpc.v{i}.id")]}}}}}),
        );
    }
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [change(None, "aws_flow_log", "f")],
        "configuration": {"root_module": {
            "resources": [{"address": "aws_flow_log.f", "expressions": {"vpc_id": {"references": ["module.m0.o"]}}}],
            "module_calls": calls
        }}
    });
    let refs = plan_references(&plan);
    let linked = refs["aws_flow_log.f"]["vpc_id"].as_array().unwrap().len();
    assert!((100..n).contains(&linked), "{linked}");

    // 40 modules, each output naming the next module's output twice (through two inputs), the
    // last one naming the first: nothing can be remembered inside the cycle, and following
    // every path would take 2^40 steps. The work budget ends it.
    let n = 40;
    let mut calls = serde_json::Map::new();
    for i in 0..n {
        let next = format!("module.m{}.o", (i + 1) % n);
        calls.insert(
            format!("m{i}"),
            json!({"expressions": {"a": {"references": [next]}, "b": {"references": [next]}},
                   "module": {"outputs": {"o": {"expression": {"references": ["var.a", "var.b", "aws_vpc.v.id"]}}}}}),
        );
    }
    let plan = json!({
        "format_version": "1.2",
        "resource_changes": [change(None, "aws_flow_log", "f")],
        "configuration": {"root_module": {
            "resources": [{"address": "aws_flow_log.f", "expressions": {"vpc_id": {"references": ["module.m0.o"]}}}],
            "module_calls": calls
        }}
    });
    let started = std::time::Instant::now();
    let refs = plan_references(&plan);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let linked = refs["aws_flow_log.f"]["vpc_id"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(linked <= n, "{linked}");
}

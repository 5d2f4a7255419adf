//! `Fn::ForEach` loops are expanded as CloudFormation expands them, and every expanded node
//! points at the loop body it came from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use serde_json::{json, Value};
use std::collections::BTreeMap;
use tollgate_template::{load, ErrorKind, LoadError, LoadOptions, Loaded, Outcome};

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

fn loaded(text: &str) -> Loaded {
    load_with(text, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn resources(l: &Loaded) -> Value {
    assert_eq!(l.inputs.len(), 1, "expected one variant");
    l.inputs[0].value()["Resources"].clone()
}

fn ids(l: &Loaded) -> Vec<String> {
    resources(l).as_object().unwrap().keys().cloned().collect()
}

/// The source text and line a pointer of the first variant lands on (the key for a resource).
fn at(l: &Loaded, pointer: &str) -> (String, usize) {
    let loc = l
        .locate(0, &tollgate_template::PointerBuf::parse(pointer).unwrap())
        .unwrap_or_else(|| panic!("no location for {pointer}"));
    let span = loc.key.unwrap_or(loc.span);
    (
        l.source.slice(span).to_string(),
        l.source.position(span.start).line,
    )
}

const GROUPS: &str = "\
Transform: AWS::LanguageExtensions
Resources:
  Vpc:
    Type: AWS::EC2::VPC
  Fn::ForEach::Groups:
    - Name
    - [Web, Db]
    - Sg${Name}:
        Type: AWS::EC2::SecurityGroup
        Properties:
          GroupDescription: !Sub '${Name} servers in ${AWS::Region}'
          GroupName: !Sub 'sg-${Name}'
          Plain: 'text ${Name}'
          Tier: !Ref Name
          VpcId: !Ref Vpc
          SecurityGroupIngress:
            - IpProtocol: tcp
              FromPort: 22
              ToPort: 22
              CidrIp: 0.0.0.0/0
";

#[test]
fn a_literal_collection_gives_one_resource_per_item_with_cloudformations_logical_ids() {
    let l = loaded(GROUPS);
    assert_eq!(ids(&l), ["Vpc", "SgWeb", "SgDb"]);
    let r = resources(&l);
    let p = &r["SgDb"]["Properties"];
    assert_eq!(r["SgDb"]["Type"], json!("AWS::EC2::SecurityGroup"));
    // `Ref: Identifier` and `${Identifier}` in `Fn::Sub` are replaced; a plain string is not.
    assert_eq!(p["Tier"], json!("Db"));
    assert_eq!(p["GroupName"], json!("sg-Db"));
    assert_eq!(
        p["GroupDescription"],
        json!({"Fn::Sub": "Db servers in ${AWS::Region}"})
    );
    assert_eq!(p["Plain"], json!("text ${Name}"));
    assert_eq!(p["VpcId"], json!({"Ref": "Vpc"}));
    // The document as written keeps the loop.
    assert!(l.document.value["Resources"]
        .get("Fn::ForEach::Groups")
        .is_some());
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
}

#[test]
fn expanded_nodes_point_at_the_loop_body() {
    let l = loaded(GROUPS);
    // The logical id points at the output-key template, for every item.
    assert_eq!(at(&l, "/Resources/SgWeb"), ("Sg${Name}".into(), 8));
    assert_eq!(at(&l, "/Resources/SgDb"), ("Sg${Name}".into(), 8));
    let cidr = "/Properties/SecurityGroupIngress/0/CidrIp";
    assert_eq!(
        at(&l, &format!("/Resources/SgDb{cidr}")),
        ("0.0.0.0/0".into(), 20)
    );
    assert_eq!(
        at(&l, "/Resources/SgWeb/Properties/Tier"),
        ("!Ref Name".into(), 14)
    );
    assert_eq!(
        at(&l, "/Resources/SgWeb/Properties/GroupName"),
        ("!Sub 'sg-${Name}'".into(), 12)
    );
    // Resources outside the loop keep their own place.
    assert_eq!(at(&l, "/Resources/Vpc"), ("Vpc".into(), 3));
}

#[test]
fn ampersand_keys_drop_non_alphanumeric_characters() {
    let l = loaded(
        "Resources:\n  Fn::ForEach::B:\n    - Name\n    - [my-app.logs, data_2]\n    - Bucket&{Name}:\n        Type: AWS::S3::Bucket\n        Properties:\n          BucketName: !Sub '${Name}-&{Name}'\n",
    );
    assert_eq!(ids(&l), ["Bucketmyapplogs", "Bucketdata2"]);
    assert_eq!(
        resources(&l)["Bucketmyapplogs"]["Properties"]["BucketName"],
        json!("my-app.logs-myapplogs")
    );
}

#[test]
fn nested_loops_combine_their_identifiers_and_refs_can_be_computed() {
    // The nested example of the AWS documentation.
    let text = "\
Transform: 'AWS::LanguageExtensions'
Resources:
  VPC:
    Type: 'AWS::EC2::VPC'
  'Fn::ForEach::SubnetResources':
  - Prefix
  - [Transit, Public]
  - 'Nacl${Prefix}Subnet':
      Type: 'AWS::EC2::NetworkAcl'
      Properties:
        VpcId: !Ref 'VPC'
    'Fn::ForEach::LoopInner':
    - Suffix
    - [A, B]
    - '${Prefix}Subnet${Suffix}':
        Type: 'AWS::EC2::Subnet'
        Properties:
          VpcId: !Ref 'VPC'
      'Nacl${Prefix}Subnet${Suffix}Association':
        Type: 'AWS::EC2::SubnetNetworkAclAssociation'
        Properties:
          SubnetId: !Ref
            'Fn::Sub': '${Prefix}Subnet${Suffix}'
          NetworkAclId: !Ref
            'Fn::Sub': 'Nacl${Prefix}Subnet'
";
    let l = loaded(text);
    assert_eq!(
        ids(&l),
        [
            "VPC",
            "NaclTransitSubnet",
            "TransitSubnetA",
            "NaclTransitSubnetAAssociation",
            "TransitSubnetB",
            "NaclTransitSubnetBAssociation",
            "NaclPublicSubnet",
            "PublicSubnetA",
            "NaclPublicSubnetAAssociation",
            "PublicSubnetB",
            "NaclPublicSubnetBAssociation",
        ]
    );
    let p = &resources(&l)["NaclPublicSubnetBAssociation"]["Properties"];
    assert_eq!(p["SubnetId"], json!({"Ref": "PublicSubnetB"}));
    assert_eq!(p["NetworkAclId"], json!({"Ref": "NaclPublicSubnet"}));
    assert_eq!(
        at(&l, "/Resources/PublicSubnetB"),
        ("'${Prefix}Subnet${Suffix}'".into(), 15)
    );
}

const PARAM: &str = "\
Transform: AWS::LanguageExtensions
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: 'logs, data'
Resources:
  Fn::ForEach::Buckets:
    - Name
    - !Ref Names
    - Bucket${Name}:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Ref Name
";

#[test]
fn a_list_parameter_collection_takes_its_default_or_its_override() {
    assert_eq!(ids(&loaded(PARAM)), ["Bucketlogs", "Bucketdata"]);
    let l = load_with(PARAM, &[("Names", "a,b,c")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&l), ["Bucketa", "Bucketb", "Bucketc"]);
    assert_eq!(
        resources(&l)["Bucketc"]["Properties"]["BucketName"],
        json!("c")
    );
}

#[test]
fn a_mapping_collection_is_looked_up() {
    let text = "\
Transform: AWS::LanguageExtensions
Parameters:
  Env:
    Type: String
    Default: prod
Mappings:
  Buckets:
    prod:
      Names: [a, b]
Resources:
  Fn::ForEach::Buckets:
    - Name
    - !FindInMap [Buckets, !Ref Env, Names]
    - Bucket${Name}:
        Type: AWS::S3::Bucket
";
    assert_eq!(ids(&loaded(text)), ["Bucketa", "Bucketb"]);
}

#[test]
fn an_undecided_collection_is_a_warning_and_the_body_is_checked_once() {
    let text = PARAM.replace("    Default: 'logs, data'\n", "");
    let l = loaded(&text);
    assert_eq!(ids(&l), ["Bucket${Name}"]);
    assert_eq!(
        resources(&l)["Bucket${Name}"]["Properties"]["BucketName"],
        json!({"Ref": "Name"})
    );
    assert_eq!(
        l.warnings
            .iter()
            .map(|w| {
                let p = w.position.unwrap();
                format!("{}:{}: {}", p.line, p.column, w.message())
            })
            .collect::<Vec<_>>(),
        [
            "6:3: the collection of loop Buckets is not known before deployment (parameter Names \
          has no Default and no --param value): its body is checked once, with Name unknown"
        ]
    );
    assert_eq!(
        at(&l, "/Resources/Bucket${Name}"),
        ("Bucket${Name}".into(), 9)
    );
    // A `--param` decides it.
    let l = load_with(&text, &[("Names", "x")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ids(&l), ["Bucketx"]);
    assert!(l.warnings.is_empty());
}

#[test]
fn a_getatt_collection_is_undecided() {
    let text = "Resources:\n  Fn::ForEach::B:\n    - N\n    - !GetAtt X.Names\n    - Q${N}:\n        Type: AWS::SQS::Queue\n        Properties:\n          QueueName: !Sub 'q-${N}'\n";
    let l = loaded(text);
    assert_eq!(ids(&l), ["Q${N}"]);
    assert_eq!(
        resources(&l)["Q${N}"]["Properties"]["QueueName"],
        json!({"Fn::Sub": "q-${N}"})
    );
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0].message().contains("Fn::GetAtt is not known"),
        "{:?}",
        l.warnings
    );
}

#[test]
fn loops_in_conditions_outputs_and_properties_are_expanded_elsewhere_not() {
    let text = "\
Transform: AWS::LanguageExtensions
Parameters:
  ParamA:
    Type: String
    Default: 'true'
Metadata:
  Fn::ForEach::Kept: [X, [a], {'K${X}': v}]
Conditions:
  Fn::ForEach::Checks:
    - Id
    - [A]
    - IsParam${Id}Enabled: !Equals [!Ref {'Fn::Sub': 'Param${Id}'}, 'true']
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsParamAEnabled
    Properties:
      Fn::ForEach::Props:
        - P
        - [DisplayName, TopicName]
        - ${P}: !Sub 'value-${P}'
Outputs:
  Fn::ForEach::Out:
    - Id
    - [A, B]
    - Out${Id}:
        Value: !Sub '${Id}'
";
    let l = loaded(text);
    let doc = l.inputs[0].value();
    assert_eq!(
        doc["Resources"]["Topic"]["Properties"],
        json!({"DisplayName": "value-DisplayName", "TopicName": "value-TopicName"})
    );
    assert_eq!(
        doc["Conditions"],
        json!({"IsParamAEnabled": {"Fn::Equals": [{"Ref": "ParamA"}, "true"]}})
    );
    assert_eq!(
        doc["Outputs"],
        json!({"OutA": {"Value": "A"}, "OutB": {"Value": "B"}})
    );
    assert_eq!(
        doc["Metadata"],
        json!({"Fn::ForEach::Kept": ["X", ["a"], {"K${X}": "v"}]})
    );
}

fn error_of(text: &str) -> (ErrorKind, usize, String) {
    match load_with(text, &[]) {
        Err(e) => (
            e.kind,
            e.position.map(|p| p.line).unwrap_or(0),
            e.message().to_string(),
        ),
        Ok(_) => panic!("expected an error"),
    }
}

#[test]
fn malformed_loops_are_errors_where_they_are_written() {
    let head = "Transform: AWS::LanguageExtensions\nParameters:\n  One:\n    Type: String\n    Default: a\nResources:\n";
    let cases: &[(&str, usize, &str)] = &[
        (
            "  Fn::ForEach::B: [N, [a]]\n",
            7,
            "Fn::ForEach::B takes [identifier, collection, {output key: value}]",
        ),
        (
            "  Fn::ForEach::B:\n    - N\n    - [a, b]\n    - Bucket:\n        Type: AWS::S3::Bucket\n",
            10,
            "Fn::ForEach generates key Bucket twice from this output key (two items of the collection give the same key)",
        ),
        (
            "  Bucketa:\n    Type: AWS::S3::Bucket\n  Fn::ForEach::B:\n    - N\n    - [a]\n    - Bucket${N}:\n        Type: AWS::S3::Bucket\n",
            12,
            "Fn::ForEach generates key Bucketa, which the mapping already has",
        ),
        (
            "  Fn::ForEach::Outer:\n    - N\n    - [a]\n    - Fn::ForEach::Inner:\n        - N\n        - [b]\n        - Q${N}:\n            Type: AWS::SQS::Queue\n",
            11,
            "loop Inner uses identifier N, which is already the identifier of the enclosing loop Outer",
        ),
        (
            "  Fn::ForEach::B:\n    - N\n    - !Ref One\n    - Q${N}:\n        Type: AWS::SQS::Queue\n",
            9,
            "the collection of loop B is parameter One, of type String: a Ref collection names a CommaDelimitedList or List<…> parameter",
        ),
        (
            "  Fn::ForEach::B:\n    - N\n    - a,b\n    - Q${N}:\n        Type: AWS::SQS::Queue\n",
            9,
            "the collection of loop B is a string, not a list: write a list or a Ref to a CommaDelimitedList or List<…> parameter",
        ),
    ];
    for (body, line, message) in cases {
        let (kind, l, m) = error_of(&format!("{head}{body}"));
        assert_eq!(
            (kind, l, m.as_str()),
            (ErrorKind::ForEachShape, *line, *message),
            "{body}"
        );
    }
}

#[test]
fn expansion_is_bounded() {
    let mut items = String::from("[");
    for i in 0..300 {
        items.push_str(&format!("i{i},"));
    }
    items.push(']');
    let text = format!(
        "Resources:\n  Fn::ForEach::A:\n    - X\n    - {items}\n    - Fn::ForEach::B:\n        - Y\n        - {items}\n        - Fn::ForEach::C:\n            - Z\n            - {items}\n            - Q${{X}}${{Y}}${{Z}}:\n                Type: AWS::SQS::Queue\n"
    );
    let options = LoadOptions::default();
    match load("t.yaml", text.as_bytes(), &options) {
        Err(e) => assert_eq!(e.kind, ErrorKind::ForEachLimit, "{e}"),
        Ok(_) => panic!("27 million resources expanded"),
    }
}

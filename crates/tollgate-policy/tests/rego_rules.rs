//! The built-in Rego rules on hand-written input documents (see docs/input-documents.md), with
//! the exact finding set each rule must report.

#![allow(clippy::panic)] // test helpers outside #[test] functions report failures by panicking

use std::sync::OnceLock;

use serde_json::{json, Value};
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{Engine, InputKind, RawFinding};

fn engine() -> &'static RegoEngine {
    static ENGINE: OnceLock<RegoEngine> = OnceLock::new();
    ENGINE.get_or_init(|| match RegoEngine::builtin() {
        Ok(engine) => engine,
        Err(errors) => panic!("built-in pack does not load: {errors:#?}"),
    })
}

fn default_options() -> Value {
    json!({"admin_ports": [22, 3389]})
}

fn run(kind: InputKind, doc: &Value, options: &Value) -> Vec<RawFinding> {
    let (findings, errors) = engine().evaluate(kind, doc, options);
    assert!(errors.is_empty(), "errors: {errors:#?}");
    findings
}

/// `(resource, pointer)` of every finding of `rule`, sorted.
fn only(findings: &[RawFinding], rule: &str) -> Vec<(String, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.resource.clone(), f.pointer.clone()))
        .collect();
    v.sort();
    v
}

fn cfn_rule(rule: &str, resources: Value) -> Vec<(String, String)> {
    cfn_rule_with(rule, resources, &default_options())
}

fn cfn_rule_with(rule: &str, resources: Value, options: &Value) -> Vec<(String, String)> {
    let doc = json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources});
    only(&run(InputKind::CloudFormation, &doc, options), rule)
}

fn tf_rule(rule: &str, resources: Vec<Value>) -> Vec<(String, String)> {
    only(
        &run(
            InputKind::TerraformPlan,
            &plan(resources),
            &default_options(),
        ),
        rule,
    )
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

fn with(mut resource: Value, key: &str, value: Value) -> Value {
    resource[key] = value;
    resource
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = items
        .iter()
        .map(|(r, p)| (r.to_string(), p.to_string()))
        .collect();
    v.sort();
    v
}

fn messages(kind: InputKind, doc: &Value, options: &Value, rule: &str) -> Vec<String> {
    let mut m: Vec<_> = run(kind, doc, options)
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.message)
        .collect();
    m.sort();
    m
}

fn sg(rules: Value) -> Value {
    json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": rules}})
}

const SG: &str = "/Resources/Sg/Properties/SecurityGroupIngress";

// ------------------------------------------------------------------------------------------
// sg-admin-ports-world-ipv4 / -ipv6 / sg-ssh-world: CloudFormation
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_sg_ipv4_protocol_spellings_and_port_ranges() {
    let rules = json!([
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "TCP", "FromPort": "3389", "ToPort": "3389", "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "6", "FromPort": 20, "ToPort": 4000, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": 6, "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": -1, "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "udp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "17", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "CidrIp": "0.0.0.0/0", "Description": "missing bounds"},
        {"IpProtocol": "tcp", "FromPort": 22, "CidrIp": "0.0.0.0/0"},
        // not flagged:
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "1", "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 23, "ToPort": 3388, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 0, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"}
    ]);
    let got = cfn_rule("sg-admin-ports-world-ipv4", json!({"Sg": sg(rules)}));
    let expected: Vec<String> = (0..10).map(|i| format!("{SG}/{i}/CidrIp")).collect();
    let expected: Vec<(&str, &str)> = expected.iter().map(|p| ("Sg", p.as_str())).collect();
    assert_eq!(got, pairs(&expected));
}

#[test]
fn cfn_sg_world_cidrs_are_parsed() {
    let rules = json!([
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "10.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": " 0.0.0.0/0\n"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/1"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/33"},
        {"IpProtocol": "-1", "CidrIp": "300.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "any"},
        {"IpProtocol": "-1", "CidrIp": ""},
        {"IpProtocol": "-1", "CidrIp": {"Ref": "AllowedCidr"}},
        {"IpProtocol": "-1", "CidrIp": {"Fn::ImportValue": "cidr"}},
        {"IpProtocol": "-1", "CidrIpv6": "::/0"}
    ]);
    let got = cfn_rule(
        "sg-admin-ports-world-ipv4",
        json!({"Sg": sg(rules.clone())}),
    );
    assert_eq!(
        got,
        pairs(&[
            ("Sg", &format!("{SG}/0/CidrIp")),
            ("Sg", &format!("{SG}/1/CidrIp")),
            ("Sg", &format!("{SG}/2/CidrIp")),
        ])
    );
    let doc = json!({"Resources": {"Sg": sg(rules)}});
    assert_eq!(
        messages(
            InputKind::CloudFormation,
            &doc,
            &default_options(),
            "sg-admin-ports-world-ipv4"
        ),
        vec![
            "Security group ingress allows ports 22 and 3389 from 0.0.0.0/0",
            "Security group ingress allows ports 22 and 3389 from 0.0.0.0/0",
            "Security group ingress allows ports 22 and 3389 from 10.0.0.0/0",
        ]
    );
}

#[test]
fn cfn_sg_ipv6_forms() {
    let rules = json!([
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "0::/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "0:0:0:0:0:0:0:0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "2001:db8::/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "  ::/0 "},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/1"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/129"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": ":::/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
    ]);
    let got = cfn_rule("sg-admin-ports-world-ipv6", json!({"Sg": sg(rules)}));
    let expected: Vec<String> = (0..5).map(|i| format!("{SG}/{i}/CidrIpv6")).collect();
    let expected: Vec<(&str, &str)> = expected.iter().map(|p| ("Sg", p.as_str())).collect();
    assert_eq!(got, pairs(&expected));
}

#[test]
fn cfn_sg_unknown_values_do_not_open_the_world() {
    let rules = json!([
        {"IpProtocol": {"Ref": "Proto"}, "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": {"Ref": "Port"}, "ToPort": {"Ref": "Port"}, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": {"Fn::GetAtt": ["X", "Port"]}, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": "abc", "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        // protocol all ignores the ports, known or not
        {"IpProtocol": "-1", "FromPort": {"Ref": "Port"}, "ToPort": {"Ref": "Port"}, "CidrIp": "0.0.0.0/0"}
    ]);
    let got = cfn_rule(
        "sg-admin-ports-world-ipv4",
        json!({"Sg": sg(rules), "Other": sg(json!({"Fn::If": ["C", [], []]}))}),
    );
    assert_eq!(got, pairs(&[("Sg", &format!("{SG}/4/CidrIp"))]));
}

#[test]
fn cfn_standalone_ingress_resources() {
    let resources = json!({
        "In4": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "0.0.0.0/0"}},
        "In6": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": "22", "ToPort": "22", "CidrIpv6": "::/0"}},
        "Eg": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}}
    });
    assert_eq!(
        cfn_rule("sg-admin-ports-world-ipv4", resources.clone()),
        pairs(&[("In4", "/Resources/In4/Properties/CidrIp")])
    );
    assert_eq!(
        cfn_rule("sg-admin-ports-world-ipv6", resources.clone()),
        pairs(&[("In6", "/Resources/In6/Properties/CidrIpv6")])
    );
    assert_eq!(
        cfn_rule("sg-ssh-world", resources),
        pairs(&[("In6", "/Resources/In6/Properties/CidrIpv6")])
    );
}

#[test]
fn cfn_admin_ports_option() {
    let rules = json!([
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 5900, "ToPort": 5900, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}
    ]);
    let doc = json!({"Resources": {"Sg": sg(rules.clone())}});
    let options = json!({"admin_ports": ["5900", 3389, 22]});
    assert_eq!(
        messages(
            InputKind::CloudFormation,
            &doc,
            &options,
            "sg-admin-ports-world-ipv4"
        ),
        vec![
            "Security group ingress allows port 22 from 0.0.0.0/0",
            "Security group ingress allows port 5900 from 0.0.0.0/0",
            "Security group ingress allows ports 22, 3389 and 5900 from 0.0.0.0/0",
        ]
    );
    // Without options the defaults apply.
    assert_eq!(
        cfn_rule_with(
            "sg-admin-ports-world-ipv4",
            json!({"Sg": sg(rules.clone())}),
            &json!({})
        ),
        pairs(&[
            ("Sg", &format!("{SG}/0/CidrIp")),
            ("Sg", &format!("{SG}/2/CidrIp"))
        ])
    );
    // sg-ssh-world is port 22 only, whatever the option says.
    assert_eq!(
        cfn_rule_with(
            "sg-ssh-world",
            json!({"Sg": sg(rules)}),
            &json!({"admin_ports": [5900]})
        ),
        pairs(&[
            ("Sg", &format!("{SG}/0/CidrIp")),
            ("Sg", &format!("{SG}/2/CidrIp"))
        ])
    );
}

#[test]
fn cfn_sg_ssh_world() {
    let rules = json!([
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/0"},
        {"IpProtocol": "-1", "CidrIpv6": "::/0"},
        {"IpProtocol": "udp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "192.168.0.0/16"}
    ]);
    let doc = json!({"Resources": {"Sg": sg(rules.clone())}});
    assert_eq!(
        cfn_rule("sg-ssh-world", json!({"Sg": sg(rules)})),
        pairs(&[
            ("Sg", &format!("{SG}/0/CidrIp")),
            ("Sg", &format!("{SG}/1/CidrIpv6")),
            ("Sg", &format!("{SG}/2/CidrIpv6")),
        ])
    );
    assert_eq!(
        messages(
            InputKind::CloudFormation,
            &doc,
            &default_options(),
            "sg-ssh-world"
        ),
        vec![
            "Security group ingress allows port 22 from 0.0.0.0/0",
            "Security group ingress allows port 22 from ::/0",
            "Security group ingress allows port 22 from ::/0",
        ]
    );
}

// ------------------------------------------------------------------------------------------
// Security groups: Terraform
// ------------------------------------------------------------------------------------------

fn ingress(protocol: Value, from: Value, to: Value, v4: Value, v6: Value) -> Value {
    json!({"protocol": protocol, "from_port": from, "to_port": to, "cidr_blocks": v4,
           "ipv6_cidr_blocks": v6, "description": "", "prefix_list_ids": [],
           "security_groups": [], "self": false})
}

#[test]
fn tf_sg_blocks() {
    let web = res(
        "aws_security_group",
        "web",
        json!({"ingress": [
            ingress(json!("tcp"), json!(22), json!(22), json!(["10.0.0.0/8", "0.0.0.0/0", "10.0.0.0/0"]), json!([])),
            ingress(json!("-1"), json!(0), json!(0), json!(["0.0.0.0/0"]), json!(["::/0"])),
            ingress(json!("all"), json!(0), json!(0), json!([]), json!(["0::/0"])),
            ingress(json!("TCP"), json!(0), json!(0), json!(["0.0.0.0/0"]), json!([])),
            ingress(json!("6"), json!(3000), json!(3500), json!(["0.0.0.0/0"]), json!([])),
            ingress(json!("udp"), json!(22), json!(22), json!(["0.0.0.0/0"]), json!(["::/0"])),
            ingress(json!("icmp"), json!(-1), json!(-1), json!(["0.0.0.0/0"]), json!([]))
        ], "egress": [
            ingress(json!("-1"), json!(0), json!(0), json!(["0.0.0.0/0"]), json!(["::/0"]))
        ]}),
    );
    let p = "/resources/0/after/ingress";
    assert_eq!(
        tf_rule("sg-admin-ports-world-ipv4", vec![web.clone()]),
        pairs(&[
            ("aws_security_group.web", &format!("{p}/0/cidr_blocks/1")),
            ("aws_security_group.web", &format!("{p}/1/cidr_blocks/0")),
            ("aws_security_group.web", &format!("{p}/4/cidr_blocks/0")),
            ("aws_security_group.web", &format!("{p}/5/cidr_blocks/0")),
        ])
    );
    assert_eq!(
        tf_rule("sg-admin-ports-world-ipv6", vec![web.clone()]),
        pairs(&[
            (
                "aws_security_group.web",
                &format!("{p}/1/ipv6_cidr_blocks/0")
            ),
            (
                "aws_security_group.web",
                &format!("{p}/2/ipv6_cidr_blocks/0")
            ),
            (
                "aws_security_group.web",
                &format!("{p}/5/ipv6_cidr_blocks/0")
            ),
        ])
    );
    // One finding per block, at its first world CIDR (IPv4 before IPv6); udp is not SSH.
    assert_eq!(
        tf_rule("sg-ssh-world", vec![web.clone()]),
        pairs(&[
            ("aws_security_group.web", &format!("{p}/0/cidr_blocks/1")),
            ("aws_security_group.web", &format!("{p}/1/cidr_blocks/0")),
            (
                "aws_security_group.web",
                &format!("{p}/2/ipv6_cidr_blocks/0")
            ),
        ])
    );
    let doc = plan(vec![web]);
    assert_eq!(
        messages(
            InputKind::TerraformPlan,
            &doc,
            &default_options(),
            "sg-admin-ports-world-ipv4"
        ),
        vec![
            "Security group ingress allows port 22 from 0.0.0.0/0",
            "Security group ingress allows port 22 from 0.0.0.0/0",
            "Security group ingress allows port 3389 from 0.0.0.0/0",
            "Security group ingress allows ports 22 and 3389 from 0.0.0.0/0",
        ]
    );
}

#[test]
fn tf_sg_rule_resources() {
    let resources = vec![
        res(
            "aws_security_group_rule",
            "ssh",
            json!({"type": "ingress", "protocol": "tcp",
            "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": null,
            "security_group_id": "sg-1"}),
        ),
        res(
            "aws_security_group_rule",
            "out",
            json!({"type": "egress", "protocol": "-1",
            "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}),
        ),
        res(
            "aws_vpc_security_group_ingress_rule",
            "all6",
            json!({"ip_protocol": "-1",
            "from_port": null, "to_port": null, "cidr_ipv4": null, "cidr_ipv6": "::/0"}),
        ),
        res(
            "aws_vpc_security_group_ingress_rule",
            "rdp",
            json!({"ip_protocol": "tcp",
            "from_port": 3389, "to_port": 3389, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null}),
        ),
        res(
            "aws_vpc_security_group_ingress_rule",
            "https",
            json!({"ip_protocol": "tcp",
            "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null}),
        ),
    ];
    assert_eq!(
        tf_rule("sg-admin-ports-world-ipv4", resources.clone()),
        pairs(&[
            (
                "aws_security_group_rule.ssh",
                "/resources/0/after/cidr_blocks/0"
            ),
            (
                "aws_vpc_security_group_ingress_rule.rdp",
                "/resources/3/after/cidr_ipv4"
            ),
        ])
    );
    assert_eq!(
        tf_rule("sg-admin-ports-world-ipv6", resources.clone()),
        pairs(&[(
            "aws_vpc_security_group_ingress_rule.all6",
            "/resources/2/after/cidr_ipv6"
        )])
    );
    assert_eq!(
        tf_rule("sg-ssh-world", resources),
        pairs(&[
            (
                "aws_security_group_rule.ssh",
                "/resources/0/after/cidr_blocks/0"
            ),
            (
                "aws_vpc_security_group_ingress_rule.all6",
                "/resources/2/after/cidr_ipv6"
            ),
        ])
    );
}

#[test]
fn tf_sg_unknown_values_and_data_sources() {
    let unknown_ports = with(
        res(
            "aws_security_group",
            "a",
            json!({"ingress": [
                {"protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}
            ]}),
        ),
        "after_unknown",
        json!({"ingress": [{"from_port": true, "to_port": true, "cidr_blocks": [false]}]}),
    );
    let unknown_cidr = with(
        res(
            "aws_security_group",
            "b",
            json!({"ingress": [
                {"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": [null], "ipv6_cidr_blocks": []}
            ]}),
        ),
        "after_unknown",
        json!({"ingress": [{"cidr_blocks": [true]}]}),
    );
    let unknown_ingress = with(
        res("aws_security_group", "c", json!({"name": "c"})),
        "after_unknown",
        json!({"ingress": true}),
    );
    let data = with(
        res(
            "aws_security_group",
            "d",
            json!({"ingress": [
                ingress(json!("-1"), json!(0), json!(0), json!(["0.0.0.0/0"]), json!([]))
            ]}),
        ),
        "mode",
        json!("data"),
    );
    let resources = vec![unknown_ports, unknown_cidr, unknown_ingress, data];
    assert_eq!(
        tf_rule("sg-admin-ports-world-ipv4", resources.clone()),
        vec![]
    );
    assert_eq!(tf_rule("sg-ssh-world", resources), vec![]);
}

#[test]
fn tf_default_sg_ingress_is_checked_too() {
    let dsg = res(
        "aws_default_security_group",
        "d",
        json!({"vpc_id": "vpc-1", "ingress": [
        ingress(json!("tcp"), json!(22), json!(22), json!(["0.0.0.0/0"]), json!([]))
    ], "egress": []}),
    );
    assert_eq!(
        tf_rule("sg-ssh-world", vec![dsg]),
        pairs(&[(
            "aws_default_security_group.d",
            "/resources/0/after/ingress/0/cidr_blocks/0"
        )])
    );
}

// ------------------------------------------------------------------------------------------
// nacl-admin-ports-world
// ------------------------------------------------------------------------------------------

fn nacl_entry(props: Value) -> Value {
    let mut p = json!({"NetworkAclId": {"Ref": "Acl"}, "RuleNumber": 100, "RuleAction": "allow"});
    if let (Some(base), Some(extra)) = (p.as_object_mut(), props.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    json!({"Type": "AWS::EC2::NetworkAclEntry", "Properties": p})
}

#[test]
fn cfn_nacl_entries() {
    let resources = json!({
        "AllV4": nacl_entry(json!({"Protocol": -1, "CidrBlock": "0.0.0.0/0"})),
        "AllV6": nacl_entry(json!({"Protocol": "-1", "Egress": "FALSE", "Ipv6CidrBlock": "::/0"})),
        "Ssh": nacl_entry(json!({"Protocol": 6, "Egress": false, "PortRange": {"From": 22, "To": 22}, "CidrBlock": "0.0.0.0/0"})),
        "RdpUdp": nacl_entry(json!({"Protocol": "17", "PortRange": {"From": "3389", "To": "3389"}, "CidrBlock": "0.0.0.0/0", "RuleAction": "ALLOW"})),
        "NoRange": nacl_entry(json!({"Protocol": 6, "CidrBlock": "10.1.0.0/0"})),
        // not flagged
        "Egress": nacl_entry(json!({"Protocol": -1, "Egress": true, "CidrBlock": "0.0.0.0/0"})),
        "EgressStr": nacl_entry(json!({"Protocol": -1, "Egress": "True", "CidrBlock": "0.0.0.0/0"})),
        "EgressUnknown": nacl_entry(json!({"Protocol": -1, "Egress": {"Ref": "IsEgress"}, "CidrBlock": "0.0.0.0/0"})),
        "Deny": nacl_entry(json!({"Protocol": -1, "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"})),
        "Http": nacl_entry(json!({"Protocol": 6, "PortRange": {"From": 80, "To": 80}, "CidrBlock": "0.0.0.0/0"})),
        "Icmp": nacl_entry(json!({"Protocol": 1, "CidrBlock": "0.0.0.0/0", "Icmp": {"Code": -1, "Type": -1}})),
        "Private": nacl_entry(json!({"Protocol": -1, "CidrBlock": "10.0.0.0/8"})),
        "UnknownRange": nacl_entry(json!({"Protocol": 6, "PortRange": {"Ref": "Range"}, "CidrBlock": "0.0.0.0/0"}))
    });
    assert_eq!(
        cfn_rule("nacl-admin-ports-world", resources),
        pairs(&[
            ("AllV4", "/Resources/AllV4/Properties/CidrBlock"),
            ("AllV6", "/Resources/AllV6/Properties/Ipv6CidrBlock"),
            ("Ssh", "/Resources/Ssh/Properties/CidrBlock"),
            ("RdpUdp", "/Resources/RdpUdp/Properties/CidrBlock"),
            ("NoRange", "/Resources/NoRange/Properties/CidrBlock"),
        ])
    );
    let doc = json!({"Resources": {"Ssh": nacl_entry(json!({"Protocol": 6, "PortRange": {"From": 22, "To": 22}, "CidrBlock": "0.0.0.0/0"}))}});
    assert_eq!(
        messages(
            InputKind::CloudFormation,
            &doc,
            &default_options(),
            "nacl-admin-ports-world"
        ),
        vec!["Network ACL entry allows port 22 from 0.0.0.0/0"]
    );
}

#[test]
fn tf_nacl_rules_and_blocks() {
    let block = |action: &str, protocol: &str, from: i64, to: i64, v4: &str, v6: &str| {
        json!({"action": action, "protocol": protocol, "from_port": from, "to_port": to,
               "cidr_block": v4, "ipv6_cidr_block": v6, "rule_no": 100, "icmp_code": 0, "icmp_type": 0})
    };
    let resources = vec![
        res(
            "aws_network_acl_rule",
            "ssh",
            json!({"egress": false, "rule_action": "allow", "protocol": "tcp",
            "from_port": 22, "to_port": 22, "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": null}),
        ),
        res(
            "aws_network_acl_rule",
            "out",
            json!({"egress": true, "rule_action": "allow", "protocol": "-1",
            "from_port": 0, "to_port": 0, "cidr_block": "0.0.0.0/0"}),
        ),
        res(
            "aws_network_acl_rule",
            "deny",
            json!({"egress": false, "rule_action": "deny", "protocol": "-1",
            "from_port": 0, "to_port": 0, "cidr_block": "0.0.0.0/0"}),
        ),
        with(
            res(
                "aws_network_acl_rule",
                "unknown",
                json!({"egress": null, "rule_action": "allow", "protocol": "-1",
                "from_port": 0, "to_port": 0, "cidr_block": "0.0.0.0/0"}),
            ),
            "after_unknown",
            json!({"egress": true}),
        ),
        res(
            "aws_network_acl",
            "main",
            json!({"ingress": [
            block("allow", "-1", 0, 0, "0.0.0.0/0", ""),
            block("allow", "6", 1024, 65535, "0.0.0.0/0", ""),
            block("allow", "tcp", 3389, 3389, "", "::/0"),
            block("deny", "-1", 0, 0, "0.0.0.0/0", "")
        ], "egress": [block("allow", "-1", 0, 0, "0.0.0.0/0", "")]}),
        ),
        res(
            "aws_default_network_acl",
            "default",
            json!({"ingress": [
                block("allow", "all", 0, 0, "0.0.0.0/0", "")
            ]}),
        ),
    ];
    assert_eq!(
        tf_rule("nacl-admin-ports-world", resources),
        pairs(&[
            ("aws_network_acl_rule.ssh", "/resources/0/after/cidr_block"),
            (
                "aws_network_acl.main",
                "/resources/4/after/ingress/0/cidr_block"
            ),
            // 1024-65535 (ephemeral ports) includes 3389
            (
                "aws_network_acl.main",
                "/resources/4/after/ingress/1/cidr_block"
            ),
            (
                "aws_network_acl.main",
                "/resources/4/after/ingress/2/ipv6_cidr_block"
            ),
            (
                "aws_default_network_acl.default",
                "/resources/5/after/ingress/0/cidr_block"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// default-sg-allows-traffic
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_default_sg() {
    let default_sg = json!({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]});
    let resources = json!({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": default_sg,
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}},
        "Out": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": {"Fn::GetAtt": "Vpc.DefaultSecurityGroup"},
            "IpProtocol": "-1", "CidrIp": "10.0.0.0/8"}},
        "Other": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Ref": "Sg"},
            "IpProtocol": "-1", "CidrIp": "10.0.0.0/8"}},
        "Instance": {"Type": "AWS::EC2::Instance", "Properties": {"SecurityGroupIds": [{"Ref": "Sg"}, default_sg]}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"VpcConfig": {"SecurityGroupIds": [default_sg], "SubnetIds": []}}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "NetworkInterfaces": [{"Groups": [default_sg]}],
            "SecurityGroups": [default_sg]}}},
        "Svc": {"Type": "AWS::ECS::Service", "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {
            "SecurityGroups": ["sg-123", {"Fn::GetAtt": ["Vpc", "CidrBlock"]}]}}}}
    });
    assert_eq!(
        cfn_rule("default-sg-allows-traffic", resources),
        pairs(&[
            ("In", "/Resources/In/Properties/GroupId"),
            ("Out", "/Resources/Out/Properties/GroupId"),
            (
                "Instance",
                "/Resources/Instance/Properties/SecurityGroupIds/1"
            ),
            (
                "Fn",
                "/Resources/Fn/Properties/VpcConfig/SecurityGroupIds/0"
            ),
            (
                "Lt",
                "/Resources/Lt/Properties/LaunchTemplateData/SecurityGroups/0"
            ),
        ])
    );
}

#[test]
fn tf_default_sg() {
    let vpc = |name: &str, id: Value| {
        res(
            "aws_vpc",
            name,
            json!({"id": id, "cidr_block": "10.0.0.0/16"}),
        )
    };
    let dsg = |name: &str, after: Value, refs: Value| {
        with(
            res("aws_default_security_group", name, after),
            "references",
            refs,
        )
    };
    let resources = vec![
        vpc("managed", Value::Null),
        dsg(
            "managed",
            json!({"vpc_id": null, "ingress": [], "egress": []}),
            json!({"vpc_id": ["aws_vpc.managed"]}),
        ),
        vpc("by_id", json!("vpc-123")),
        dsg(
            "by_id",
            json!({"vpc_id": "vpc-123", "ingress": [], "egress": []}),
            json!({}),
        ),
        vpc("unmanaged", Value::Null),
        dsg(
            "rules",
            json!({"vpc_id": "vpc-9", "ingress": [
                ingress(json!("-1"), json!(0), json!(0), json!([]), json!([]))
            ], "egress": [
                ingress(json!("-1"), json!(0), json!(0), json!(["0.0.0.0/0"]), json!([]))
            ]}),
            json!({}),
        ),
    ];
    assert_eq!(
        tf_rule("default-sg-allows-traffic", resources),
        pairs(&[
            ("aws_vpc.unmanaged", "/resources/4/after"),
            (
                "aws_default_security_group.rules",
                "/resources/5/after/ingress/0"
            ),
            (
                "aws_default_security_group.rules",
                "/resources/5/after/egress/0"
            ),
        ])
    );
}

#[test]
fn tf_default_sg_in_a_module() {
    let mut v = res("aws_vpc", "main", json!({"cidr_block": "10.0.0.0/16"}));
    v["address"] = json!("module.net.aws_vpc.main[0]");
    v["config_address"] = json!("module.net.aws_vpc.main");
    v["module_address"] = json!("module.net");
    let mut d = res(
        "aws_default_security_group",
        "this",
        json!({"ingress": [], "egress": []}),
    );
    d["address"] = json!("module.net.aws_default_security_group.this");
    d["config_address"] = json!("module.net.aws_default_security_group.this");
    d["references"] = json!({"vpc_id": ["module.net.aws_vpc.main"]});
    assert_eq!(
        tf_rule("default-sg-allows-traffic", vec![v.clone(), d]),
        vec![]
    );
    assert_eq!(
        tf_rule("default-sg-allows-traffic", vec![v]),
        pairs(&[("module.net.aws_vpc.main[0]", "/resources/0/after")])
    );
}

// ------------------------------------------------------------------------------------------
// rds-public-access
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_rds_public_access() {
    let db = |v: Value| json!({"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql", "PubliclyAccessible": v, "StorageEncrypted": true}});
    let resources = json!({
        "A": db(json!(true)), "B": db(json!("True")), "C": db(json!(false)), "D": db(json!("false")),
        "E": db(json!({"Ref": "Public"})), "F": {"Type": "AWS::RDS::DBInstance", "Properties": {"StorageEncrypted": true}}
    });
    assert_eq!(
        cfn_rule("rds-public-access", resources),
        pairs(&[
            ("A", "/Resources/A/Properties/PubliclyAccessible"),
            ("B", "/Resources/B/Properties/PubliclyAccessible"),
        ])
    );
}

#[test]
fn tf_rds_public_access() {
    let resources = vec![
        res(
            "aws_db_instance",
            "a",
            json!({"publicly_accessible": true, "storage_encrypted": true}),
        ),
        res(
            "aws_rds_cluster_instance",
            "b",
            json!({"publicly_accessible": true}),
        ),
        res(
            "aws_db_instance",
            "c",
            json!({"publicly_accessible": false, "storage_encrypted": true}),
        ),
        res(
            "aws_rds_cluster_instance",
            "d",
            json!({"publicly_accessible": null}),
        ),
    ];
    assert_eq!(
        tf_rule("rds-public-access", resources),
        pairs(&[
            (
                "aws_db_instance.a",
                "/resources/0/after/publicly_accessible"
            ),
            (
                "aws_rds_cluster_instance.b",
                "/resources/1/after/publicly_accessible"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// ebs-unencrypted
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_ebs() {
    let vol = |props: Value| json!({"Type": "AWS::EC2::Volume", "Properties": props});
    let resources = json!({
        "Absent": vol(json!({"Size": 10, "AvailabilityZone": "eu-west-1a"})),
        "False": vol(json!({"Size": 10, "Encrypted": false})),
        "FalseStr": vol(json!({"Size": 10, "Encrypted": "FALSE"})),
        "Unknown": vol(json!({"Size": 10, "Encrypted": {"Ref": "Enc"}})),
        "True": vol(json!({"Size": 10, "Encrypted": "true"})),
        "Snapshot": vol(json!({"SnapshotId": "snap-1"})),
        "SnapshotRef": vol(json!({"SnapshotId": {"Ref": "Snap"}})),
        "Instance": {"Type": "AWS::EC2::Instance", "Properties": {"BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}},
            {"DeviceName": "/dev/sdb", "Ebs": {"Encrypted": "false"}},
            {"DeviceName": "/dev/sdc", "Ebs": {"Encrypted": true}},
            {"DeviceName": "/dev/sdd", "Ebs": {"SnapshotId": "snap-2"}},
            {"DeviceName": "/dev/sde", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/sdf", "NoDevice": {}}
        ]}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": false}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 8}},
            {"DeviceName": "/dev/xvdc", "Ebs": {"Encrypted": "True"}}
        ]}}}
    });
    assert_eq!(
        cfn_rule("ebs-unencrypted", resources),
        pairs(&[
            ("Absent", "/Resources/Absent"),
            ("False", "/Resources/False/Properties/Encrypted"),
            ("FalseStr", "/Resources/FalseStr/Properties/Encrypted"),
            ("Unknown", "/Resources/Unknown"),
            (
                "Instance",
                "/Resources/Instance/Properties/BlockDeviceMappings/0/Ebs"
            ),
            (
                "Instance",
                "/Resources/Instance/Properties/BlockDeviceMappings/1/Ebs/Encrypted"
            ),
            (
                "Lt",
                "/Resources/Lt/Properties/LaunchTemplateData/BlockDeviceMappings/0/Ebs/Encrypted"
            ),
            (
                "Lt",
                "/Resources/Lt/Properties/LaunchTemplateData/BlockDeviceMappings/1/Ebs"
            ),
        ])
    );
}

#[test]
fn tf_ebs() {
    let resources = vec![
        res(
            "aws_ebs_volume",
            "plain",
            json!({"encrypted": false, "snapshot_id": null}),
        ),
        with(
            res("aws_ebs_volume", "unknown", json!({"size": 8})),
            "after_unknown",
            json!({"encrypted": true, "snapshot_id": true}),
        ),
        res(
            "aws_ebs_volume",
            "empty_snapshot",
            json!({"encrypted": null, "snapshot_id": ""}),
        ),
        res(
            "aws_ebs_volume",
            "snapshot",
            json!({"snapshot_id": "snap-1"}),
        ),
        with(
            res(
                "aws_ebs_volume",
                "snapshot_ref",
                json!({"snapshot_id": null}),
            ),
            "references",
            json!({"snapshot_id": ["aws_ebs_snapshot.s"]}),
        ),
        res("aws_ebs_volume", "ok", json!({"encrypted": true})),
        res(
            "aws_instance",
            "web",
            json!({
            "root_block_device": [{"encrypted": false, "volume_size": 8}],
            "ebs_block_device": [
                {"device_name": "/dev/sdb", "encrypted": null},
                {"device_name": "/dev/sdc", "encrypted": true}
            ]}),
        ),
        res(
            "aws_instance",
            "unset",
            json!({"root_block_device": [], "ebs_block_device": []}),
        ),
        res(
            "aws_launch_template",
            "lt",
            json!({"block_device_mappings": [
                {"device_name": "/dev/xvda", "ebs": [{"encrypted": "true"}]},
                {"device_name": "/dev/xvdb", "ebs": [{"encrypted": "false"}]},
                {"device_name": "/dev/xvdc", "ebs": [{"encrypted": ""}]},
                {"device_name": "/dev/xvdd", "ebs": [], "virtual_name": "ephemeral0"}
            ]}),
        ),
    ];
    assert_eq!(
        tf_rule("ebs-unencrypted", resources),
        pairs(&[
            ("aws_ebs_volume.plain", "/resources/0/after/encrypted"),
            ("aws_ebs_volume.unknown", "/resources/1/after"),
            ("aws_ebs_volume.empty_snapshot", "/resources/2/after"),
            (
                "aws_instance.web",
                "/resources/6/after/root_block_device/0/encrypted"
            ),
            ("aws_instance.web", "/resources/6/after/ebs_block_device/0"),
            // No root_block_device in the plan: the root volume's encryption is not set.
            ("aws_instance.unset", "/resources/7/after"),
            (
                "aws_launch_template.lt",
                "/resources/8/after/block_device_mappings/1/ebs/0/encrypted"
            ),
            (
                "aws_launch_template.lt",
                "/resources/8/after/block_device_mappings/2/ebs/0"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// rds-storage-unencrypted
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_rds_storage() {
    let db = |props: Value| json!({"Type": "AWS::RDS::DBInstance", "Properties": props});
    let cluster = |props: Value| json!({"Type": "AWS::RDS::DBCluster", "Properties": props});
    let resources = json!({
        "Plain": db(json!({"Engine": "postgres"})),
        "False": db(json!({"StorageEncrypted": "false"})),
        "True": db(json!({"StorageEncrypted": "TRUE"})),
        "Unknown": db(json!({"StorageEncrypted": {"Fn::ImportValue": "enc"}})),
        "InCluster": db(json!({"DBClusterIdentifier": {"Ref": "Cluster"}})),
        "Replica": db(json!({"SourceDBInstanceIdentifier": "primary"})),
        "Cluster": cluster(json!({"Engine": "aurora-mysql"})),
        "ClusterFalse": cluster(json!({"StorageEncrypted": false, "EngineMode": "provisioned"})),
        "Serverless": cluster(json!({"EngineMode": "serverless"})),
        "ClusterTrue": cluster(json!({"StorageEncrypted": true}))
    });
    assert_eq!(
        cfn_rule("rds-storage-unencrypted", resources),
        pairs(&[
            ("Plain", "/Resources/Plain"),
            ("False", "/Resources/False/Properties/StorageEncrypted"),
            ("Unknown", "/Resources/Unknown"),
            ("Cluster", "/Resources/Cluster"),
            (
                "ClusterFalse",
                "/Resources/ClusterFalse/Properties/StorageEncrypted"
            ),
        ])
    );
}

#[test]
fn tf_rds_storage() {
    let resources = vec![
        res(
            "aws_db_instance",
            "plain",
            json!({"storage_encrypted": false, "replicate_source_db": null}),
        ),
        with(
            res(
                "aws_db_instance",
                "unknown",
                json!({"replicate_source_db": null}),
            ),
            "after_unknown",
            json!({"storage_encrypted": true}),
        ),
        res(
            "aws_db_instance",
            "replica",
            json!({"storage_encrypted": false, "replicate_source_db": "primary"}),
        ),
        with(
            res(
                "aws_db_instance",
                "replica_ref",
                json!({"replicate_source_db": null}),
            ),
            "references",
            json!({"replicate_source_db": ["aws_db_instance.plain"]}),
        ),
        res("aws_db_instance", "ok", json!({"storage_encrypted": true})),
        res(
            "aws_rds_cluster",
            "c",
            json!({"storage_encrypted": "false", "engine_mode": "provisioned"}),
        ),
        res(
            "aws_rds_cluster",
            "sls",
            json!({"storage_encrypted": false, "engine_mode": "serverless"}),
        ),
    ];
    assert_eq!(
        tf_rule("rds-storage-unencrypted", resources),
        pairs(&[
            (
                "aws_db_instance.plain",
                "/resources/0/after/storage_encrypted"
            ),
            ("aws_db_instance.unknown", "/resources/1/after"),
            ("aws_rds_cluster.c", "/resources/5/after/storage_encrypted"),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// s3-bucket-unencrypted
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_s3() {
    let bucket = |enc: Value| json!({"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": enc}}});
    let sse = |alg: Value| json!({"ServerSideEncryptionByDefault": {"SSEAlgorithm": alg}});
    let resources = json!({
        "Bare": {"Type": "AWS::S3::Bucket"},
        "NoEnc": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "x"}},
        "Aes": bucket(json!([sse(json!("AES256"))])),
        "Kms": bucket(json!([{"BucketKeyEnabled": true, "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "Key"}}}])),
        "Dsse": bucket(json!([sse(json!("aws:kms:dsse"))])),
        "Bad": bucket(json!([sse(json!("aes256"))])),
        "Unknown": bucket(json!([sse(json!({"Ref": "Alg"}))])),
        "Empty": bucket(json!([]))
    });
    assert_eq!(
        cfn_rule("s3-bucket-unencrypted", resources),
        pairs(&[
            ("Bare", "/Resources/Bare"),
            ("NoEnc", "/Resources/NoEnc"),
            ("Bad", "/Resources/Bad/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm"),
            ("Unknown", "/Resources/Unknown"),
            ("Empty", "/Resources/Empty"),
        ])
    );
}

#[test]
fn tf_s3() {
    let sse = |name: &str, after: Value, refs: Value| {
        with(
            res(
                "aws_s3_bucket_server_side_encryption_configuration",
                name,
                after,
            ),
            "references",
            refs,
        )
    };
    let resources = vec![
        res(
            "aws_s3_bucket",
            "plain",
            json!({"bucket": "plain", "server_side_encryption_configuration": []}),
        ),
        res("aws_s3_bucket", "by_ref", json!({"bucket": null})),
        sse(
            "by_ref",
            json!({"bucket": null}),
            json!({"bucket": ["aws_s3_bucket.by_ref"]}),
        ),
        res("aws_s3_bucket", "by_name", json!({"bucket": "logs-123"})),
        sse("by_name", json!({"bucket": "logs-123"}), json!({})),
        res(
            "aws_s3_bucket",
            "inline",
            json!({"bucket": "inline", "server_side_encryption_configuration": [
                {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}
            ]}),
        ),
        with(
            res("aws_s3_bucket", "unknown", json!({"bucket": null})),
            "after_unknown",
            json!({"server_side_encryption_configuration": true}),
        ),
        sse(
            "other",
            json!({"bucket": "somebody-else"}),
            json!({"bucket": ["aws_s3_bucket.elsewhere"]}),
        ),
    ];
    assert_eq!(
        tf_rule("s3-bucket-unencrypted", resources),
        pairs(&[
            ("aws_s3_bucket.plain", "/resources/0/after"),
            ("aws_s3_bucket.unknown", "/resources/6/after"),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// efs-unencrypted and kms-rotation-disabled
// ------------------------------------------------------------------------------------------

#[test]
fn cfn_efs() {
    let fs = |props: Value| json!({"Type": "AWS::EFS::FileSystem", "Properties": props});
    let resources = json!({
        "Bare": {"Type": "AWS::EFS::FileSystem"},
        "False": fs(json!({"Encrypted": "False"})),
        "Unknown": fs(json!({"Encrypted": {"Fn::If": ["C", true, false]}})),
        "True": fs(json!({"Encrypted": true}))
    });
    assert_eq!(
        cfn_rule("efs-unencrypted", resources),
        pairs(&[
            ("Bare", "/Resources/Bare"),
            ("False", "/Resources/False/Properties/Encrypted"),
            ("Unknown", "/Resources/Unknown"),
        ])
    );
}

#[test]
fn tf_efs() {
    let resources = vec![
        with(
            res("aws_efs_file_system", "unknown", json!({"encrypted": null})),
            "after_unknown",
            json!({"encrypted": true}),
        ),
        res("aws_efs_file_system", "off", json!({"encrypted": false})),
        res("aws_efs_file_system", "on", json!({"encrypted": true})),
    ];
    assert_eq!(
        tf_rule("efs-unencrypted", resources),
        pairs(&[
            ("aws_efs_file_system.unknown", "/resources/0/after"),
            ("aws_efs_file_system.off", "/resources/1/after/encrypted"),
        ])
    );
}

#[test]
fn cfn_kms() {
    let key = |props: Value| json!({"Type": "AWS::KMS::Key", "Properties": props});
    let resources = json!({
        "Default": key(json!({"KeyPolicy": {}})),
        "Off": key(json!({"KeySpec": "SYMMETRIC_DEFAULT", "EnableKeyRotation": "false"})),
        "On": key(json!({"EnableKeyRotation": "TRUE"})),
        "Rsa": key(json!({"KeySpec": "RSA_2048"})),
        "Hmac": key(json!({"KeySpec": "HMAC_256", "EnableKeyRotation": false})),
        "UnknownSpec": key(json!({"KeySpec": {"Ref": "Spec"}})),
        "UnknownRotation": key(json!({"EnableKeyRotation": {"Ref": "Rotate"}}))
    });
    assert_eq!(
        cfn_rule("kms-rotation-disabled", resources),
        pairs(&[
            ("Default", "/Resources/Default"),
            ("Off", "/Resources/Off/Properties/EnableKeyRotation"),
            ("UnknownRotation", "/Resources/UnknownRotation"),
        ])
    );
}

#[test]
fn tf_kms() {
    let resources = vec![
        res(
            "aws_kms_key",
            "off",
            json!({"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": false}),
        ),
        res(
            "aws_kms_key",
            "unset",
            json!({"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": null}),
        ),
        res(
            "aws_kms_key",
            "on",
            json!({"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": true}),
        ),
        res(
            "aws_kms_key",
            "rsa",
            json!({"customer_master_key_spec": "RSA_4096", "enable_key_rotation": false}),
        ),
        res(
            "aws_kms_key",
            "hmac",
            json!({"key_spec": "HMAC_512", "enable_key_rotation": false}),
        ),
        with(
            res(
                "aws_kms_key",
                "unknown_spec",
                json!({"enable_key_rotation": false}),
            ),
            "after_unknown",
            json!({"customer_master_key_spec": true}),
        ),
    ];
    assert_eq!(
        tf_rule("kms-rotation-disabled", resources),
        pairs(&[
            ("aws_kms_key.off", "/resources/0/after/enable_key_rotation"),
            ("aws_kms_key.unset", "/resources/1/after"),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// Whole documents
// ------------------------------------------------------------------------------------------

#[test]
fn input_documents_example_exact_findings() {
    // The CloudFormation example of docs/input-documents.md.
    let doc = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {},
        "Resources": {"WebSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "VpcId": {"Ref": "VpcId"},
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]
        }}}
    });
    let mut got: Vec<_> = run(InputKind::CloudFormation, &doc, &default_options())
        .into_iter()
        .map(|f| (f.rule, f.resource, f.pointer, f.message))
        .collect();
    got.sort();
    let p = "/Resources/WebSecurityGroup/Properties/SecurityGroupIngress/0/CidrIp";
    let m = "Security group ingress allows port 22 from 0.0.0.0/0";
    assert_eq!(
        got,
        vec![
            (
                "sg-admin-ports-world-ipv4".into(),
                "WebSecurityGroup".into(),
                p.into(),
                m.into()
            ),
            (
                "sg-ssh-world".into(),
                "WebSecurityGroup".into(),
                p.into(),
                m.into()
            ),
        ]
    );
}

#[test]
fn rules_of_one_kind_ignore_the_other_kind() {
    // A CloudFormation-shaped document evaluated as Terraform (and the reverse) finds nothing.
    let cfn = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}});
    assert!(run(InputKind::TerraformPlan, &cfn, &default_options()).is_empty());
    let tf = plan(vec![res("aws_s3_bucket", "b", json!({"bucket": "b"}))]);
    assert!(run(InputKind::CloudFormation, &tf, &default_options()).is_empty());
    assert_eq!(
        run(InputKind::TerraformPlan, &tf, &default_options()).len(),
        1
    );
}

#[test]
fn empty_and_odd_documents() {
    for doc in [
        json!({}),
        json!({"Resources": null}),
        json!({"Resources": {"X": null}}),
        json!([]),
        json!("x"),
    ] {
        assert!(run(InputKind::CloudFormation, &doc, &default_options()).is_empty());
    }
    for doc in [
        json!({}),
        json!({"resources": []}),
        json!({"resources": [null, {"type": "aws_vpc"}]}),
    ] {
        assert!(run(InputKind::TerraformPlan, &doc, &default_options()).is_empty());
    }
}

#[test]
fn builtin_metadata_is_consistent() {
    use tollgate_policy::pack::BUILTIN;
    use tollgate_policy::{RuleMeta, Severity};
    let expected = [
        ("default-sg-allows-traffic", Severity::Medium),
        ("ebs-unencrypted", Severity::High),
        ("efs-unencrypted", Severity::High),
        ("kms-rotation-disabled", Severity::Medium),
        ("nacl-admin-ports-world", Severity::High),
        ("rds-public-access", Severity::Critical),
        ("rds-storage-unencrypted", Severity::High),
        ("s3-bucket-unencrypted", Severity::Low),
        ("sg-admin-ports-world-ipv4", Severity::High),
        ("sg-admin-ports-world-ipv6", Severity::High),
        ("sg-ssh-world", Severity::High),
    ];
    assert_eq!(BUILTIN.len(), expected.len());
    for (rule, (id, severity)) in BUILTIN.iter().zip(expected) {
        let meta: RuleMeta = toml::from_str(rule.meta_toml)
            .unwrap_or_else(|e| panic!("policies/{}/rule.toml: {e}", rule.id));
        assert_eq!(meta.id, id);
        assert_eq!(rule.id, id);
        assert_eq!(meta.severity, severity, "{id}");
        assert!(
            !meta.compliance.is_empty() && !meta.references.is_empty(),
            "{id}"
        );
        for reference in &meta.compliance {
            assert!(
                reference.starts_with("CIS AWS Foundations v")
                    || reference.starts_with("AWS Security Hub ")
                    || reference.starts_with("PCI DSS v"),
                "{id}: {reference} does not name its benchmark version"
            );
        }
        for kind in [InputKind::CloudFormation, InputKind::TerraformPlan] {
            let found: Vec<_> = engine()
                .rules()
                .iter()
                .filter(|r| r.id == id && r.kind == kind && r.builtin)
                .collect();
            assert_eq!(found.len(), 1, "{id} {kind:?}");
        }
    }
}

/// The worked example of docs/writing-rego-policies.md compiles and reports what the page says.
#[test]
fn documented_worked_example() {
    use tollgate_policy::engine::rego::PolicySource;
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
    let (findings, errors) = engine.evaluate(InputKind::CloudFormation, &doc, &default_options());
    assert!(errors.is_empty(), "{errors:#?}");
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
    let (findings, errors) = engine.evaluate(InputKind::TerraformPlan, &tf, &default_options());
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        only(&findings, "acme-s3-owner-tag"),
        pairs(&[("aws_s3_bucket.b", "/resources/1/after")])
    );
}

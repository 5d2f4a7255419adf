//! The built-in Guard rules on hand-written input documents (the shape `tollgate inspect`
//! prints, see docs/input-documents.md), with the exact finding set of each rule.

use std::sync::OnceLock;

use serde_json::{json, Value};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::{Engine, InputKind, RawFinding};

fn engine() -> &'static GuardEngine {
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

fn default_options() -> Value {
    json!({"admin_ports": [22, 3389]})
}

fn run_with(kind: InputKind, doc: &Value, options: &Value) -> Vec<RawFinding> {
    let (findings, errors) = engine().evaluate(kind, doc, options);
    assert!(errors.is_empty(), "evaluation errors: {errors:?}");
    findings
}

/// `(resource, pointer)` of `rule`'s findings, sorted.
fn of(findings: &[RawFinding], rule: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.resource.clone(), f.pointer.clone()))
        .collect();
    v.sort();
    v
}

fn exp(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|(r, p)| (r.to_string(), p.to_string()))
        .collect();
    v.sort();
    v
}

fn cfn(resources: Value) -> Value {
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})
}

fn tf(resources: Vec<Value>) -> Value {
    json!({"format_version": "1.2", "terraform_version": "1.9.0", "resources": resources})
}

fn tf_res(address: &str, after: Value, after_unknown: Value, references: Value) -> Value {
    let (config_address, rtype) = {
        let base = address.split('[').next().unwrap_or(address);
        let parts: Vec<&str> = base.rsplitn(2, '.').collect();
        let rtype = base.split('.').rev().nth(1).unwrap_or_default().to_string();
        let _ = parts;
        (base.to_string(), rtype)
    };
    json!({
        "address": address, "config_address": config_address, "mode": "managed",
        "type": rtype, "name": "x", "actions": ["create"],
        "after": after, "after_unknown": after_unknown, "references": references
    })
}

// ------------------------------------------------------------------------------------------
// Security groups, CloudFormation
// ------------------------------------------------------------------------------------------

fn sg_template() -> Value {
    cfn(json!({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "TCP", "FromPort": "20", "ToPort": "3390", "CidrIp": " 10.0.0.0/0 ", "Description": "range"},
            {"IpProtocol": "-1", "CidrIpv6": "::/0"},
            {"IpProtocol": 6, "FromPort": 23, "ToPort": 3388, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": {"Ref": "Port"}, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/8"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Cidr"}},
            {"IpProtocol": "udp", "FromPort": 3389, "ToPort": 3389, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": -1, "ToPort": -1, "CidrIpv6": "0:0:0:0:0:0:0:0/0"},
            {"IpProtocol": "tcp", "CidrIpv6": "0::/0"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "256.0.0.0/0"},
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": 17, "FromPort": "3389", "ToPort": "3389", "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "2001:db8::/0"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/64"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "1::2::/0"},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "010.0.0.0/0"}
        ]}},
        "Ing": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "CidrIp": "0.0.0.0/0"}},
        "Ing6": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "Sg"}, "IpProtocol": "-1", "CidrIpv6": "::ffff:1.2.3.4/0"}},
        "Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}}
    }))
}

const SGI: &str = "/Resources/Sg/Properties/SecurityGroupIngress";

#[test]
fn sg_admin_ports_world_ipv4_cloudformation() {
    let f = run_with(
        InputKind::CloudFormation,
        &sg_template(),
        &default_options(),
    );
    let p = |i: usize, k: &str| format!("{SGI}/{i}/{k}");
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv4"),
        exp(&[
            ("Sg", &p(0, "CidrIp")),
            ("Sg", &p(1, "CidrIp")),
            ("Sg", &p(7, "CidrIp")),
            ("Sg", &p(12, "CidrIp")),
            ("Ing", "/Resources/Ing/Properties/CidrIp"),
        ])
    );
    let range = f
        .iter()
        .find(|x| x.rule == "sg-admin-ports-world-ipv4" && x.pointer == p(1, "CidrIp"))
        .map(|x| x.message.clone());
    assert_eq!(
        range.as_deref(),
        Some("Security group ingress allows ports 22 and 3389 from 10.0.0.0/0")
    );
}

#[test]
fn sg_admin_ports_world_ipv6_cloudformation() {
    let f = run_with(
        InputKind::CloudFormation,
        &sg_template(),
        &default_options(),
    );
    let p = |i: usize| format!("{SGI}/{i}/CidrIpv6");
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv6"),
        exp(&[
            ("Sg", &p(2)),
            ("Sg", &p(8)),
            ("Sg", &p(9)),
            ("Sg", &p(13)),
            ("Ing6", "/Resources/Ing6/Properties/CidrIpv6"),
        ])
    );
}

#[test]
fn sg_ssh_world_cloudformation() {
    let f = run_with(
        InputKind::CloudFormation,
        &sg_template(),
        &default_options(),
    );
    let p = |i: usize, k: &str| format!("{SGI}/{i}/{k}");
    assert_eq!(
        of(&f, "sg-ssh-world"),
        exp(&[
            ("Sg", &p(0, "CidrIp")),
            ("Sg", &p(1, "CidrIp")),
            ("Sg", &p(2, "CidrIpv6")),
            ("Sg", &p(8, "CidrIpv6")),
            ("Sg", &p(9, "CidrIpv6")),
            ("Sg", &p(13, "CidrIpv6")),
            ("Ing", "/Resources/Ing/Properties/CidrIp"),
            ("Ing6", "/Resources/Ing6/Properties/CidrIpv6"),
        ])
    );
}

#[test]
fn admin_ports_come_from_the_options() {
    let doc = cfn(json!({
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "tcp", "FromPort": 5900, "ToPort": "5901", "CidrIp": "0.0.0.0/0"}
        ]}}
    }));
    let f = run_with(
        InputKind::CloudFormation,
        &doc,
        &json!({"admin_ports": [5900, "5901"]}),
    );
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv4"),
        exp(&[("Sg", &format!("{SGI}/1/CidrIp"))])
    );
    assert_eq!(
        f.iter()
            .find(|x| x.rule == "sg-admin-ports-world-ipv4")
            .map(|x| x.message.as_str()),
        Some("Security group ingress allows ports 5900 and 5901 from 0.0.0.0/0")
    );
    // sg-ssh-world is about port 22 whatever the option says.
    assert_eq!(
        of(&f, "sg-ssh-world"),
        exp(&[("Sg", &format!("{SGI}/0/CidrIp"))])
    );
    // No option at all: the defaults.
    let f = run_with(InputKind::CloudFormation, &doc, &json!({}));
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv4"),
        exp(&[("Sg", &format!("{SGI}/0/CidrIp"))])
    );
}

// ------------------------------------------------------------------------------------------
// Security groups, Terraform
// ------------------------------------------------------------------------------------------

fn sg_plan() -> Value {
    tf(vec![
        tf_res(
            "aws_security_group.web",
            json!({"ingress": [
                {"cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0", "10.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"],
                 "protocol": "tcp", "from_port": 22, "to_port": 22},
                {"cidr_blocks": [], "ipv6_cidr_blocks": ["0:0:0:0:0:0:0:0/0"], "protocol": "-1",
                 "from_port": 0, "to_port": 0},
                {"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "tcp",
                 "from_port": 80, "to_port": 80},
                {"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "ALL",
                 "from_port": 0, "to_port": 0},
                {"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "tcp",
                 "from_port": null, "to_port": 22},
                {"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "17",
                 "from_port": 3000, "to_port": 4000}
            ]}),
            json!({"ingress": [{}, {}, {}, {}, {"from_port": true}, {}]}),
            json!({}),
        ),
        tf_res(
            "aws_security_group_rule.ssh",
            json!({"type": "ingress", "cidr_blocks": ["0.0.0.0/0"], "protocol": "6",
                   "from_port": 0, "to_port": 65535}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_security_group_rule.egress",
            json!({"type": "egress", "cidr_blocks": ["0.0.0.0/0"], "protocol": "-1",
                   "from_port": 0, "to_port": 0}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_vpc_security_group_ingress_rule.unknown_port",
            json!({"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": null, "to_port": null}),
            json!({"from_port": true, "to_port": true}),
            json!({}),
        ),
        tf_res(
            "aws_vpc_security_group_ingress_rule.all",
            json!({"cidr_ipv6": "::/0", "ip_protocol": "-1", "from_port": null, "to_port": null}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_vpc_security_group_ingress_rule.rdp",
            json!({"cidr_ipv4": "0.0.0.0/0", "ip_protocol": "tcp", "from_port": 3389, "to_port": 3389}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "module.net.aws_default_security_group.d[\"a\"]",
            json!({"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "tcp",
                                "from_port": 22, "to_port": 22}], "egress": []}),
            json!({}),
            json!({}),
        ),
    ])
}

#[test]
fn sg_admin_ports_world_ipv4_terraform() {
    let f = run_with(InputKind::TerraformPlan, &sg_plan(), &default_options());
    let web = "aws_security_group.web";
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv4"),
        exp(&[
            // One block, several world CIDRs: one finding at the first.
            (web, "/resources/0/after/ingress/0/cidr_blocks/1"),
            (web, "/resources/0/after/ingress/3/cidr_blocks/0"),
            (web, "/resources/0/after/ingress/5/cidr_blocks/0"),
            (
                "aws_security_group_rule.ssh",
                "/resources/1/after/cidr_blocks/0"
            ),
            (
                "aws_vpc_security_group_ingress_rule.rdp",
                "/resources/5/after/cidr_ipv4"
            ),
            (
                "module.net.aws_default_security_group.d[\"a\"]",
                "/resources/6/after/ingress/0/cidr_blocks/0"
            ),
        ])
    );
}

#[test]
fn sg_admin_ports_world_ipv6_terraform() {
    let f = run_with(InputKind::TerraformPlan, &sg_plan(), &default_options());
    assert_eq!(
        of(&f, "sg-admin-ports-world-ipv6"),
        exp(&[
            (
                "aws_security_group.web",
                "/resources/0/after/ingress/0/ipv6_cidr_blocks/0"
            ),
            (
                "aws_security_group.web",
                "/resources/0/after/ingress/1/ipv6_cidr_blocks/0"
            ),
            (
                "aws_vpc_security_group_ingress_rule.all",
                "/resources/4/after/cidr_ipv6"
            ),
        ])
    );
}

#[test]
fn sg_ssh_world_terraform() {
    let f = run_with(InputKind::TerraformPlan, &sg_plan(), &default_options());
    let web = "aws_security_group.web";
    assert_eq!(
        of(&f, "sg-ssh-world"),
        exp(&[
            // IPv4 and IPv6 CIDRs of one block: one finding, at the first world IPv4 CIDR.
            (web, "/resources/0/after/ingress/0/cidr_blocks/1"),
            (web, "/resources/0/after/ingress/1/ipv6_cidr_blocks/0"),
            (web, "/resources/0/after/ingress/3/cidr_blocks/0"),
            (
                "aws_security_group_rule.ssh",
                "/resources/1/after/cidr_blocks/0"
            ),
            (
                "aws_vpc_security_group_ingress_rule.all",
                "/resources/4/after/cidr_ipv6"
            ),
            (
                "module.net.aws_default_security_group.d[\"a\"]",
                "/resources/6/after/ingress/0/cidr_blocks/0"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// Network ACLs
// ------------------------------------------------------------------------------------------

#[test]
fn nacl_admin_ports_world_cloudformation() {
    let entry = |egress: Value, action: &str, proto: Value, cidr: (&str, &str), range: Value| {
        let mut props = json!({"NetworkAclId": {"Ref": "Acl"}, "RuleNumber": 100,
                               "RuleAction": action, "Protocol": proto});
        props[cidr.0] = json!(cidr.1);
        if !egress.is_null() {
            props["Egress"] = egress;
        }
        if !range.is_null() {
            props["PortRange"] = range;
        }
        json!({"Type": "AWS::EC2::NetworkAclEntry", "Properties": props})
    };
    let doc = cfn(json!({
        "AllIn": entry(json!("false"), "allow", json!(-1), ("CidrBlock", "0.0.0.0/0"), Value::Null),
        "AllOut": entry(json!(true), "allow", json!(-1), ("CidrBlock", "0.0.0.0/0"), Value::Null),
        "Deny": entry(Value::Null, "deny", json!(-1), ("CidrBlock", "0.0.0.0/0"), Value::Null),
        "Ssh6": entry(Value::Null, "ALLOW", json!("6"), ("Ipv6CidrBlock", "::/0"), json!({"From": 20, "To": 25})),
        "Http": entry(Value::Null, "allow", json!(6), ("CidrBlock", "0.0.0.0/0"), json!({"From": 80, "To": 80})),
        "NoRange": entry(Value::Null, "allow", json!("udp"), ("CidrBlock", "0.0.0.0/0"), Value::Null),
        "Private": entry(Value::Null, "allow", json!(-1), ("CidrBlock", "10.0.0.0/8"), Value::Null),
        "Icmp": entry(Value::Null, "allow", json!(1), ("CidrBlock", "0.0.0.0/0"), Value::Null)
    }));
    let f = run_with(InputKind::CloudFormation, &doc, &default_options());
    assert_eq!(
        of(&f, "nacl-admin-ports-world"),
        exp(&[
            ("AllIn", "/Resources/AllIn/Properties/CidrBlock"),
            ("Ssh6", "/Resources/Ssh6/Properties/Ipv6CidrBlock"),
            ("NoRange", "/Resources/NoRange/Properties/CidrBlock"),
        ])
    );
    // The NACL rule is not a security-group rule.
    assert!(of(&f, "sg-ssh-world").is_empty());
}

#[test]
fn nacl_admin_ports_world_terraform() {
    let plan = tf(vec![
        tf_res(
            "aws_network_acl_rule.ssh",
            json!({"egress": false, "rule_action": "allow", "cidr_block": "0.0.0.0/0",
                   "protocol": "tcp", "from_port": 22, "to_port": 22}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_network_acl_rule.out",
            json!({"egress": true, "rule_action": "allow", "cidr_block": "0.0.0.0/0",
                   "protocol": "-1", "from_port": 0, "to_port": 0}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_network_acl.main",
            json!({"ingress": [
                {"action": "allow", "cidr_block": "", "ipv6_cidr_block": "::/0", "protocol": "-1",
                 "from_port": 0, "to_port": 0, "rule_no": 100},
                {"action": "deny", "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "", "protocol": "-1",
                 "from_port": 0, "to_port": 0, "rule_no": 90},
                {"action": "allow", "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "", "protocol": "6",
                 "from_port": 3390, "to_port": 65535, "rule_no": 110}
            ], "egress": [
                {"action": "allow", "cidr_block": "0.0.0.0/0", "ipv6_cidr_block": "", "protocol": "-1",
                 "from_port": 0, "to_port": 0, "rule_no": 100}
            ]}),
            json!({}),
            json!({}),
        ),
    ]);
    let f = run_with(InputKind::TerraformPlan, &plan, &default_options());
    assert_eq!(
        of(&f, "nacl-admin-ports-world"),
        exp(&[
            ("aws_network_acl_rule.ssh", "/resources/0/after/cidr_block"),
            (
                "aws_network_acl.main",
                "/resources/2/after/ingress/0/ipv6_cidr_block"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// Resource properties, CloudFormation
// ------------------------------------------------------------------------------------------

#[test]
fn property_rules_cloudformation() {
    let doc = cfn(json!({
        "DbPublic": {"Type": "AWS::RDS::DBInstance", "Properties": {"PubliclyAccessible": "TRUE", "StorageEncrypted": true}},
        "DbPrivate": {"Type": "AWS::RDS::DBInstance", "Properties": {"PubliclyAccessible": false, "StorageEncrypted": "true"}},
        "DbUnknown": {"Type": "AWS::RDS::DBInstance", "Properties": {"PubliclyAccessible": {"Ref": "Public"}, "StorageEncrypted": {"Ref": "Enc"}}},
        "DbPlain": {"Type": "AWS::RDS::DBInstance", "Properties": {"StorageEncrypted": "False"}},
        "DbMember": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}}},
        "DbReplica": {"Type": "AWS::RDS::DBInstance", "Properties": {"SourceDBInstanceIdentifier": "db-1"}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-mysql"}},
        "Serverless": {"Type": "AWS::RDS::DBCluster", "Properties": {"EngineMode": "serverless"}},
        "Vol": {"Type": "AWS::EC2::Volume", "Properties": {"Size": 10}},
        "VolFalse": {"Type": "AWS::EC2::Volume", "Properties": {"Encrypted": "false"}},
        "VolSnap": {"Type": "AWS::EC2::Volume", "Properties": {"SnapshotId": "snap-1"}},
        "VolOk": {"Type": "AWS::EC2::Volume", "Properties": {"Encrypted": true}},
        "Vm": {"Type": "AWS::EC2::Instance", "Properties": {"BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"Encrypted": true}},
            {"DeviceName": "/dev/xvdc", "Ebs": {"SnapshotId": "snap-1"}},
            {"DeviceName": "/dev/xvdd", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/xvde", "Ebs": {"Encrypted": false}},
            {"DeviceName": "/dev/xvdf", "Ebs": {"Encrypted": {"Fn::GetAtt": ["X", "Y"]}}},
            {"DeviceName": "/dev/xvdg", "VirtualName": "ephemeral1", "Ebs": {}}
        ]}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {"BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": "False"}}
        ]}}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "BucketOk": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}},
        "BucketOdd": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "none"}}]}}},
        "BucketNotList": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration":
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}}}},
        "Fs": {"Type": "AWS::EFS::FileSystem", "Properties": {}},
        "FsOk": {"Type": "AWS::EFS::FileSystem", "Properties": {"Encrypted": "true"}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}},
        "KeyOff": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": false, "KeySpec": "SYMMETRIC_DEFAULT"}},
        "KeyOn": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": "True"}},
        "KeyRsa": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "RSA_2048"}}
    }));
    let f = run_with(InputKind::CloudFormation, &doc, &default_options());
    assert_eq!(
        of(&f, "rds-public-access"),
        exp(&[(
            "DbPublic",
            "/Resources/DbPublic/Properties/PubliclyAccessible"
        )])
    );
    assert_eq!(
        of(&f, "rds-storage-unencrypted"),
        exp(&[
            ("DbUnknown", "/Resources/DbUnknown"),
            ("DbPlain", "/Resources/DbPlain/Properties/StorageEncrypted"),
            ("Cluster", "/Resources/Cluster"),
        ])
    );
    let bdm = "/Resources/Vm/Properties/BlockDeviceMappings";
    assert_eq!(
        of(&f, "ebs-unencrypted"),
        exp(&[
            ("Vol", "/Resources/Vol"),
            ("VolFalse", "/Resources/VolFalse/Properties/Encrypted"),
            ("Vm", &format!("{bdm}/0/Ebs")),
            ("Vm", &format!("{bdm}/4/Ebs/Encrypted")),
            ("Vm", &format!("{bdm}/5/Ebs")),
            // An empty `Ebs` among the selected values must not skip the others (`!empty`).
            ("Vm", &format!("{bdm}/6/Ebs")),
            (
                "Lt",
                "/Resources/Lt/Properties/LaunchTemplateData/BlockDeviceMappings/0/Ebs/Encrypted"
            ),
        ])
    );
    assert_eq!(
        of(&f, "s3-bucket-unencrypted"),
        exp(&[
            ("Bucket", "/Resources/Bucket"),
            ("BucketOdd", "/Resources/BucketOdd"),
            ("BucketNotList", "/Resources/BucketNotList"),
        ])
    );
    assert_eq!(of(&f, "efs-unencrypted"), exp(&[("Fs", "/Resources/Fs")]));
    assert_eq!(
        of(&f, "kms-rotation-disabled"),
        exp(&[
            ("Key", "/Resources/Key"),
            ("KeyOff", "/Resources/KeyOff/Properties/EnableKeyRotation"),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// Resource properties, Terraform
// ------------------------------------------------------------------------------------------

#[test]
fn property_rules_terraform() {
    let plan = tf(vec![
        tf_res(
            "aws_db_instance.public",
            json!({"publicly_accessible": true, "storage_encrypted": true}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_db_instance.plain",
            json!({"publicly_accessible": false, "storage_encrypted": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_db_instance.replica",
            json!({"replicate_source_db": "db-1", "storage_encrypted": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_rds_cluster_instance.member",
            json!({"publicly_accessible": "true"}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_rds_cluster.main",
            json!({"engine_mode": "provisioned", "storage_encrypted": null}),
            json!({"storage_encrypted": true}),
            json!({}),
        ),
        tf_res(
            "aws_rds_cluster.sls",
            json!({"engine_mode": "serverless", "storage_encrypted": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_ebs_volume.data",
            json!({"encrypted": null, "size": 10}),
            json!({"encrypted": true}),
            json!({}),
        ),
        tf_res(
            "aws_ebs_volume.snap",
            json!({"encrypted": false, "snapshot_id": "snap-1"}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_instance.vm",
            json!({
                "root_block_device": [{"encrypted": false, "volume_size": 8}],
                "ebs_block_device": [{"device_name": "/dev/sdb", "encrypted": true}, {"device_name": "/dev/sdc"}]
            }),
            json!({"ebs_block_device": [{}, {"encrypted": true}]}),
            json!({}),
        ),
        tf_res(
            "aws_launch_template.lt",
            json!({"block_device_mappings": [
                {"device_name": "/dev/xvda", "ebs": [{"encrypted": "true"}]},
                {"device_name": "/dev/xvdb", "ebs": [{"encrypted": ""}]}
            ]}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_efs_file_system.fs",
            json!({"encrypted": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_kms_key.k",
            json!({"customer_master_key_spec": "SYMMETRIC_DEFAULT", "enable_key_rotation": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_kms_key.rsa",
            json!({"customer_master_key_spec": "RSA_4096", "enable_key_rotation": false}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_kms_key.on",
            json!({"key_spec": null, "enable_key_rotation": true}),
            json!({}),
            json!({}),
        ),
    ]);
    let f = run_with(InputKind::TerraformPlan, &plan, &default_options());
    assert_eq!(
        of(&f, "rds-public-access"),
        exp(&[
            (
                "aws_db_instance.public",
                "/resources/0/after/publicly_accessible"
            ),
            (
                "aws_rds_cluster_instance.member",
                "/resources/3/after/publicly_accessible"
            ),
        ])
    );
    assert_eq!(
        of(&f, "rds-storage-unencrypted"),
        exp(&[
            (
                "aws_db_instance.plain",
                "/resources/1/after/storage_encrypted"
            ),
            ("aws_rds_cluster.main", "/resources/4/after"),
        ])
    );
    assert_eq!(
        of(&f, "ebs-unencrypted"),
        exp(&[
            ("aws_ebs_volume.data", "/resources/6/after"),
            (
                "aws_instance.vm",
                "/resources/8/after/root_block_device/0/encrypted"
            ),
            ("aws_instance.vm", "/resources/8/after/ebs_block_device/1"),
            (
                "aws_launch_template.lt",
                "/resources/9/after/block_device_mappings/1/ebs/0/encrypted"
            ),
        ])
    );
    assert_eq!(
        of(&f, "efs-unencrypted"),
        exp(&[("aws_efs_file_system.fs", "/resources/10/after/encrypted")])
    );
    assert_eq!(
        of(&f, "kms-rotation-disabled"),
        exp(&[("aws_kms_key.k", "/resources/11/after/enable_key_rotation")])
    );
}

// ------------------------------------------------------------------------------------------
// Joins
// ------------------------------------------------------------------------------------------

#[test]
fn s3_bucket_unencrypted_terraform() {
    let plan = tf(vec![
        tf_res(
            "aws_s3_bucket.linked",
            json!({"bucket": "linked"}),
            json!({"server_side_encryption_configuration": true}),
            json!({}),
        ),
        tf_res(
            "aws_s3_bucket.empty",
            json!({"bucket": "empty", "server_side_encryption_configuration": []}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_s3_bucket.unknown_name",
            json!({"bucket": null}),
            json!({"bucket": true}),
            json!({}),
        ),
        tf_res(
            "aws_s3_bucket.inline",
            json!({"bucket": "inline", "server_side_encryption_configuration": [
            {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}]}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_s3_bucket.by_name",
            json!({"bucket": "by-name"}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_s3_bucket_server_side_encryption_configuration.linked",
            json!({"bucket": null}),
            json!({"bucket": true}),
            json!({"bucket": ["aws_s3_bucket.linked"]}),
        ),
        tf_res(
            "aws_s3_bucket_server_side_encryption_configuration.named",
            json!({"bucket": "by-name"}),
            json!({}),
            json!({}),
        ),
    ]);
    let f = run_with(InputKind::TerraformPlan, &plan, &default_options());
    assert_eq!(
        of(&f, "s3-bucket-unencrypted"),
        exp(&[
            ("aws_s3_bucket.empty", "/resources/1/after"),
            ("aws_s3_bucket.unknown_name", "/resources/2/after"),
        ])
    );
}

#[test]
fn default_sg_allows_traffic_terraform() {
    let plan = tf(vec![
        tf_res(
            "aws_vpc.managed",
            json!({"cidr_block": "10.0.0.0/16"}),
            json!({"id": true}),
            json!({}),
        ),
        tf_res(
            "aws_vpc.unmanaged",
            json!({"cidr_block": "10.1.0.0/16"}),
            json!({"id": true}),
            json!({}),
        ),
        tf_res(
            "aws_vpc.by_id",
            json!({"cidr_block": "10.2.0.0/16", "id": "vpc-123"}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_default_security_group.managed",
            json!({"ingress": [{"protocol": "-1", "self": true}],
               "egress": [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]}),
            json!({}),
            json!({"vpc_id": ["aws_vpc.managed"]}),
        ),
        tf_res(
            "aws_default_security_group.by_id",
            json!({"vpc_id": "vpc-123", "ingress": [], "egress": []}),
            json!({}),
            json!({}),
        ),
    ]);
    let f = run_with(InputKind::TerraformPlan, &plan, &default_options());
    assert_eq!(
        of(&f, "default-sg-allows-traffic"),
        exp(&[
            ("aws_vpc.unmanaged", "/resources/1/after"),
            (
                "aws_default_security_group.managed",
                "/resources/3/after/ingress/0"
            ),
            (
                "aws_default_security_group.managed",
                "/resources/3/after/egress/0"
            ),
        ])
    );
}

#[test]
fn default_sg_allows_traffic_cloudformation() {
    let getatt = json!({"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]});
    let doc = cfn(json!({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "In": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": getatt, "IpProtocol": "-1", "SourceSecurityGroupId": "sg-1"}},
        "Out": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": {"Fn::GetAtt": "Vpc.DefaultSecurityGroup"}, "IpProtocol": "-1", "CidrIp": "10.0.0.0/8"}},
        "Other": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "IpProtocol": "-1", "CidrIp": "10.0.0.0/8"}},
        "Vm": {"Type": "AWS::EC2::Instance", "Properties": {"SecurityGroupIds": ["sg-1", getatt]}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"ZipFile": "x"}, "Runtime": "python3.12", "VpcConfig": {"SecurityGroupIds": [getatt], "SubnetIds": []}}},
        "Svc": {"Type": "AWS::ECS::Service", "Properties": {"NetworkConfiguration": {"AwsvpcConfiguration": {"SecurityGroups": [getatt]}}}}
    }));
    let f = run_with(InputKind::CloudFormation, &doc, &default_options());
    assert_eq!(
        of(&f, "default-sg-allows-traffic"),
        exp(&[
            ("In", "/Resources/In/Properties/GroupId"),
            ("Out", "/Resources/Out/Properties/GroupId"),
            ("Vm", "/Resources/Vm/Properties/SecurityGroupIds/1"),
            ("Fn", "/Resources/Fn/Properties/VpcConfig/SecurityGroupIds/0"),
            (
                "Svc",
                "/Resources/Svc/Properties/NetworkConfiguration/AwsvpcConfiguration/SecurityGroups/0"
            ),
        ])
    );
}

// ------------------------------------------------------------------------------------------
// Kinds and user policies
// ------------------------------------------------------------------------------------------

#[test]
fn rules_of_the_other_kind_are_not_evaluated() {
    // A CloudFormation-shaped document evaluated as Terraform: nothing applies.
    let f = run_with(InputKind::TerraformPlan, &sg_template(), &default_options());
    assert!(f.is_empty(), "{f:?}");
    let f = run_with(InputKind::CloudFormation, &sg_plan(), &default_options());
    assert!(f.is_empty(), "{f:?}");
}

fn temp_dir(name: &str) -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("tollgate-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[test]
fn user_policy_worked_example() {
    let dir = temp_dir("example").unwrap();
    std::fs::write(
        dir.join("no-public-buckets.guard"),
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
    )
    .unwrap();
    let (engine, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert!(errors.is_empty(), "{errors:?}");
    let policy = engine
        .policies()
        .iter()
        .find(|p| !p.builtin)
        .expect("the user policy is loaded");
    assert_eq!(policy.rules[0].id, "s3-block-public-acls");
    assert_eq!(policy.severity, Some(tollgate_policy::Severity::High));
    assert_eq!(policy.kinds, vec![InputKind::CloudFormation]);

    let doc = cfn(json!({
        "Logs": {"Type": "AWS::S3::Bucket"},
        "Site": {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": false}}},
        "Private": {"Type": "AWS::S3::Bucket", "Properties": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": "true"}}}
    }));
    let (f, errors) = engine.evaluate(InputKind::CloudFormation, &doc, &default_options());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        of(&f, "s3-block-public-acls"),
        exp(&[
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
    let (f, _) = engine.evaluate(InputKind::TerraformPlan, &sg_plan(), &default_options());
    assert!(f.iter().all(|x| x.rule != "s3-block-public-acls"));
}

#[test]
fn user_policy_plain_message_and_both_kinds() {
    let dir = temp_dir("plain").unwrap();
    let file = dir.join("tags.guard");
    std::fs::write(
        &file,
        "let vols = resources[ type == 'aws_ebs_volume' ]\n\
         rule ebs_has_tags when %vols !empty {\n  %vols.after.tags exists << volume has no tags >>\n}\n",
    )
    .unwrap();
    let (engine, errors) = GuardEngine::with_user_policies(&[&file]);
    assert!(errors.is_empty(), "{errors:?}");
    let plan = tf(vec![
        tf_res(
            "aws_ebs_volume.a",
            json!({"encrypted": true}),
            json!({}),
            json!({}),
        ),
        tf_res(
            "aws_ebs_volume.b",
            json!({"encrypted": true, "tags": {"a/b": "c"}}),
            json!({}),
            json!({}),
        ),
    ]);
    let (f, errors) = engine.evaluate(InputKind::TerraformPlan, &plan, &default_options());
    assert!(errors.is_empty(), "{errors:?}");
    let mine: Vec<&RawFinding> = f.iter().filter(|x| x.rule == "ebs-has-tags").collect();
    assert_eq!(mine.len(), 1, "{f:?}");
    assert_eq!(mine[0].resource, "aws_ebs_volume.a");
    assert_eq!(mine[0].pointer, "/resources/0/after");
    assert_eq!(mine[0].message, "volume has no tags");
}

#[test]
fn user_policy_syntax_error_names_file_line_and_column() {
    let dir = temp_dir("syntax").unwrap();
    std::fs::write(
        dir.join("a-broken.guard"),
        "rule ok_rule {\n  Resources exists\n}\nrule bad {\n  Foo ==\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b-good.guard"),
        "rule good_rule when Resources exists {\n  Resources.* !empty\n}\n",
    )
    .unwrap();
    let (engine, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        tollgate_policy::EvalError::Syntax {
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
fn user_policy_header_errors_and_duplicate_ids() {
    let dir = temp_dir("header").unwrap();
    std::fs::write(
        dir.join("sev.guard"),
        "# tollgate: severity=severe\nrule x { Resources exists }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("dup.guard"),
        "rule sg_ssh_world { Resources exists }\n",
    )
    .unwrap();
    let (_, errors) = GuardEngine::with_user_policies(&[&dir]);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// Cost of an evaluation (run with `--ignored --nocapture`; dependencies are built with
/// opt-level 2 even in test builds).
#[test]
#[ignore]
fn measure_cost() {
    let sg = |i: usize| {
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": if i % 2 == 0 { "0.0.0.0/0" } else { "10.0.0.0/8" }},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
            {"IpProtocol": "-1", "CidrIpv6": "::/0"}]}})
    };
    let bucket = json!({"Type": "AWS::S3::Bucket"});
    for n in [1usize, 10, 100, 1000, 4000] {
        let mut res = serde_json::Map::new();
        for i in 0..n {
            res.insert(format!("Sg{i}"), sg(i));
            res.insert(format!("B{i}"), bucket.clone());
        }
        let doc = cfn(Value::Object(res));
        let t = std::time::Instant::now();
        let (f, e) = engine().evaluate(InputKind::CloudFormation, &doc, &default_options());
        let el = t.elapsed();
        println!(
            "cfn: {n} SGs + {n} buckets: {:?} ({:?} per resource), {} findings, {} errors",
            el,
            el / (2 * n as u32),
            f.len(),
            e.len()
        );
    }
    for n in [1usize, 100, 1000, 4000] {
        let mut rs = Vec::new();
        for i in 0..n {
            rs.push(tf_res(
                &format!("aws_security_group.sg{i}"),
                json!({"ingress": [{"cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [], "protocol": "tcp", "from_port": 22, "to_port": 22}]}),
                json!({}),
                json!({}),
            ));
            rs.push(tf_res(
                &format!("aws_s3_bucket.b{i}"),
                json!({"bucket": format!("b{i}")}),
                json!({}),
                json!({}),
            ));
            rs.push(tf_res(
                &format!("aws_vpc.v{i}"),
                json!({"cidr_block": "10.0.0.0/16"}),
                json!({}),
                json!({}),
            ));
        }
        let plan = tf(rs);
        let t = std::time::Instant::now();
        let (f, e) = engine().evaluate(InputKind::TerraformPlan, &plan, &default_options());
        let el = t.elapsed();
        println!(
            "tf: {} resources: {:?} ({:?} per resource), {} findings, {} errors",
            3 * n,
            el,
            el / (3 * n as u32),
            f.len(),
            e.len()
        );
    }
}

//! A bad and a good example per built-in rule, for `tollgate explain` and the generated rule
//! docs. They are fixtures of `testdata/rules/<id>/` (compiled in), so the fixture tests keep
//! them honest; a test here checks that each bad example trips its rule and each good one
//! does not.

/// The examples of one rule.
pub struct Examples {
    pub rule: &'static str,
    pub cfn_bad: &'static str,
    pub cfn_good: &'static str,
    pub tf_bad: &'static str,
    pub tf_good: &'static str,
    /// The fixture names, relative to `testdata/rules/<rule>/`.
    pub names: [&'static str; 4],
}

macro_rules! examples {
    ($id:literal, $cfn_bad:literal, $cfn_good:literal, $tf_bad:literal, $tf_good:literal) => {
        Examples {
            rule: $id,
            cfn_bad: include_str!(concat!("../../../testdata/rules/", $id, "/", $cfn_bad)),
            cfn_good: include_str!(concat!("../../../testdata/rules/", $id, "/", $cfn_good)),
            tf_bad: include_str!(concat!(
                "../../../testdata/rules/",
                $id,
                "/",
                $tf_bad,
                "/main.tf"
            )),
            tf_good: include_str!(concat!(
                "../../../testdata/rules/",
                $id,
                "/",
                $tf_good,
                "/main.tf"
            )),
            names: [$cfn_bad, $cfn_good, $tf_bad, $tf_good],
        }
    };
}

pub static EXAMPLES: &[Examples] = &[
    examples!(
        "nacl-admin-ports-world",
        "cfn-fail-basic.yaml",
        "cfn-pass-deny.yaml",
        "tf-fail-acl-rule",
        "tf-pass-acl"
    ),
    examples!(
        "sg-admin-ports-world-ipv4",
        "cfn-fail-basic.yaml",
        "cfn-pass-cidr-private.yaml",
        "tf-fail-basic",
        "tf-pass-private"
    ),
    examples!(
        "sg-admin-ports-world-ipv6",
        "cfn-fail-basic.yaml",
        "cfn-pass-cidr-not-world.yaml",
        "tf-fail-basic",
        "tf-pass-private-ipv6"
    ),
    examples!(
        "default-sg-allows-traffic",
        "cfn-fail-ingress-on-default-sg.yaml",
        "cfn-pass-own-security-group.yaml",
        "tf-fail-default-sg-rules",
        "tf-pass-default-sg-no-rules"
    ),
    examples!(
        "sg-ssh-world",
        "cfn-fail-basic.yaml",
        "cfn-pass-private.yaml",
        "tf-fail-basic",
        "tf-pass-private-cidr"
    ),
    examples!(
        "rds-public-access",
        "cfn-fail-basic.yaml",
        "cfn-pass-false.yaml",
        "tf-fail-basic",
        "tf-pass-private"
    ),
    examples!(
        "ebs-unencrypted",
        "cfn-fail-instance-bdm-false.yaml",
        "cfn-pass-instance-bdm-encrypted.yaml",
        "tf-fail-instance",
        "tf-pass-instance-encrypted"
    ),
    examples!(
        "rds-storage-unencrypted",
        "cfn-fail-instance-false.yaml",
        "cfn-pass-cluster-encrypted.yaml",
        "tf-fail-instance-false",
        "tf-pass-encrypted"
    ),
    examples!(
        "s3-bucket-unencrypted",
        "cfn-fail-no-encryption.yaml",
        "cfn-pass-aes256.yaml",
        "tf-fail-basic",
        "tf-pass-inline-sse"
    ),
    examples!(
        "efs-unencrypted",
        "cfn-fail-false.yaml",
        "cfn-pass-encrypted.yaml",
        "tf-fail-basic",
        "tf-pass-encrypted"
    ),
    examples!(
        "kms-rotation-disabled",
        "cfn-fail-rotation-false.yaml",
        "cfn-pass-rotation-enabled.yaml",
        "tf-fail-basic",
        "tf-pass-rotation"
    ),
];

pub fn for_rule(id: &str) -> Option<&'static Examples> {
    EXAMPLES.iter().find(|e| e.rule == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate_policy::engine::rego::RegoEngine;
    use tollgate_template::{load, LoadOptions, Outcome};

    fn rules_hit(engine: &RegoEngine, name: &str, text: &str) -> Vec<String> {
        let Outcome::Loaded(loaded) = load(name, text.as_bytes(), &LoadOptions::default()).unwrap()
        else {
            panic!("{name} is not a template")
        };
        let (findings, errors) =
            tollgate_policy::check(engine, &loaded, &tollgate_policy::default_options());
        assert!(errors.is_empty(), "{errors:?}");
        findings.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn every_builtin_rule_has_examples_that_show_it() {
        let engine = RegoEngine::builtin().unwrap();
        for rule in tollgate_policy::pack::BUILTIN {
            let ex = for_rule(rule.id).unwrap_or_else(|| panic!("no examples for {}", rule.id));
            let bad = rules_hit(&engine, ex.names[0], ex.cfn_bad);
            assert!(bad.iter().any(|r| r == rule.id), "{}: {bad:?}", ex.names[0]);
            let good = rules_hit(&engine, ex.names[1], ex.cfn_good);
            assert!(
                !good.iter().any(|r| r == rule.id),
                "{}: {good:?}",
                ex.names[1]
            );
            assert!(ex.tf_bad.contains("resource \""), "{}", ex.names[2]);
            assert!(ex.tf_good.contains("resource \""), "{}", ex.names[3]);
        }
    }
}

//! The CloudFormation resolver: the input is read as YAML (any document that parses); it is
//! wrapped as the value of a resource's properties, beside fuzzed Parameters, Mappings and
//! Conditions, so that most runs reach `cfn::resolve_variants` with intrinsics in every place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use tollgate_template::{cfn, parse, Limits, Pointer, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The fuzzed text is split in four: parameters, mappings, conditions, properties.
    let mut parts = text.splitn(4, '\u{1}');
    let mut part = || parts.next().unwrap_or("{}");
    let (params, mappings, conditions, props) = (part(), part(), part(), part());
    let template = format!(
        "Parameters: {params}\nMappings: {mappings}\nConditions: {conditions}\n\
         Resources:\n  R:\n    Type: AWS::EC2::SecurityGroup\n    Condition: C\n    Properties: {props}\n"
    );
    let limits = Limits {
        max_alias_nodes: 10_000,
        max_alias_bytes: 1 << 20,
        ..Limits::default()
    };
    let source = SourceFile::new("fuzz.yaml", template);
    let Ok(document) = parse(&source, &limits) else {
        return;
    };
    let mut overrides = BTreeMap::new();
    overrides.insert("P".to_string(), serde_json::json!("0.0.0.0/0"));
    if let Ok(resolved) = cfn::resolve_variants(&source, &document, &overrides, &limits) {
        assert!(!resolved.variants.is_empty());
        for e in resolved.errors.iter().chain(&resolved.warnings) {
            assert!(e.to_string().starts_with("fuzz.yaml"));
        }
        for v in &resolved.variants {
            let _ = v.doc.find(Pointer::from_static("/Resources/R/Properties"));
            let _ = v.doc.walk();
        }
    }
});

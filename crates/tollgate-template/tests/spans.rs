//! Property: for every node of every fixture and corpus file, the span found by the node's
//! pointer, cut out of the source and parsed on its own, gives back the node's value.
//! And: the whole corpus loads, except the files listed below with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use tollgate_template::{load, parse, Indexed, Limits, LoadOptions, Outcome, SourceFile};

/// Corpus files that are not loadable as CloudFormation or plans, and why. Keep it exact:
/// a file that starts loading, or a new failure, fails the test.
/// Corpus files that do not load at all, and why CloudFormation itself rejects them.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    (
        "cloudformation/cfn-lint/test/fixtures/templates/bad/duplicate.json",
        "duplicate key \"MySNSTopic\": CloudFormation rejects duplicate keys",
    ),
    (
        "cloudformation/cfn-lint/test/fixtures/templates/bad/duplicate.yaml",
        "duplicate key \"mySnsTopic\": CloudFormation rejects duplicate keys",
    ),
    (
        "cloudformation/checkov/tests/cloudformation/parser/cfn_with_ref_bad.yaml",
        "Ref takes a string, found a list of 1: CloudFormation rejects `!Ref [x]`",
    ),
    (
        "cloudformation/checkov/tests/cloudformation/runner/resources/invalid.yaml",
        "duplicate key \"SslSupportMethod\": CloudFormation rejects duplicate keys",
    ),
];
/// Corpus files that load, but with errors that each cost a value (their first error): the
/// rest of each template is checked. CloudFormation rejects all of them; most are the bad
/// fixtures of other tools' test suites.
const EXPECTED_WITH_ERRORS: &[(&str, &str)] = &[
    ("cloudformation/aws-cloudformation-templates/RainModules/api-resource.yml", "Fn::Sub variable ${RestApi.RootResourceId} names RestApi, which is not a resource of this template"),
    ("cloudformation/aws-guard-rules-registry/rules/aws/validation_test_data/master_test_template.yml", "Ref to pAz, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/aws-refarch-wordpress/samples/aws-refarch-wordpress-master-existing-vpc.yaml", "Ref to EfsCopyDataFrom, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/conditions.yaml", "Fn::If names condition isProd, which is not defined in Conditions"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/core/conditions.yaml", "Fn::If takes [condition name, value if true, value if false]"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/functions_ref.yaml", "Ref to pIops, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/generic.yaml", "Ref to pIops, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/issues.yaml", "Ref to PrivateSecurityGroup, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/properties_rt_association.yaml", "resource AuxiliaryPublicSubnetRouteTableAssociation1 has Condition CreateAuxiliaryNetworks, which is not defined in Conditions"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/refs.yaml", "Ref to pIops, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/resources/codepipeline/stages_second_stage.yaml", "Ref to Github, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/resources/iam/iam_policy.yaml", "Fn::If names condition cCondition, which is not defined in Conditions"),
    ("cloudformation/cfn-lint/test/fixtures/templates/bad/resources/lambda/function_property_value_limits.yaml", "Fn::GetAtt names myLambdaExecutionRole, which is not a resource of this template"),
    ("cloudformation/cfn-lint/test/fixtures/templates/good/custom/is-defined.yaml", "Ref to NodeEnv, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn-lint/test/fixtures/templates/good/functions/sub_needed.yaml", "Fn::GetAtt names GreetingLambda, which is not a resource of this template"),
    ("cloudformation/cfn-lint/test/fixtures/templates/integration/aws-ec2-launchtemplate.yaml", "Ref to NetworkInterface, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn_nag/spec/test_templates/yaml/rds_dbcluster/rds_dbcluster_master_user_password_with_novalue_pseudo_parameter.yaml", "a condition must be a condition function"),
    ("cloudformation/cfn_nag/spec/test_templates/yaml/s3/bucket_with_no_policy.yml", "Ref to PreviousLifeCycle, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/cfn_nag/spec/test_templates/yaml/s3/bucket_with_non_literal_policy.yml", "Fn::Sub variable ${hello} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
    ("cloudformation/checkov/tests/cloudformation/checks/resource/aws/example_IAMStarActionPolicyDocument/cfn_bad_iam_pass.yaml", "Fn::If names condition cCondition, which is not defined in Conditions"),
    ("cloudformation/checkov/tests/cloudformation/checks/resource/aws/example_LambdaEnvironmentCredentials/PASS.yaml", "Ref to MySuperCoolFortyCharLongStateMachineeeee, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/checks/resource/aws/example_LambdaEnvironmentCredentials/PASS2.yaml", "Fn::GetAtt names LambdaExecutionRole, which is not a resource of this template"),
    ("cloudformation/checkov/tests/cloudformation/checks/resource/aws/unused/ec2_security_group.json", "Fn::GetAtt names KWOSInstance, which is not a resource of this template"),
    ("cloudformation/checkov/tests/cloudformation/graph/checks/resources/LambdaFunction/template.yaml", "Fn::Sub variable ${CompanyName} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
    ("cloudformation/checkov/tests/cloudformation/graph/checks/resources/SagemakerNotebookEncryption/template.yaml", "Ref to BasicNotebookInstance, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/graph/graph_runner/resources/complex_jsonpath_if_condition/example.yaml", "Ref to SSMLogGroup, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/parser/cfn_bad_iam.yaml", "Fn::If names condition cCondition, which is not defined in Conditions"),
    ("cloudformation/checkov/tests/cloudformation/parser/cfn_with_ref.yaml", "Ref to ElasticsearchVersion, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/runner/resources/skip_sub_dict.json", "Ref to SquidInstanceType, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/runner/resources/tags.yaml", "Ref to ClusterName, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/checkov/tests/cloudformation/utils/file_formats/test2.yaml", "Fn::Sub variable ${CompanyName} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
    ("cloudformation/checkov/tests/common/integration_features/example_custom_policy_dir/cfn.yaml", "Fn::Sub variable ${CompanyName} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
    ("cloudformation/checkov/tests/secrets/resources/cfn/secret.yml", "Fn::Sub variable ${CompanyName} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
    ("cloudformation/cloudformation-guard/guard/resources/validate/db_resource.yaml", "Ref to MasterUserPassword, which is neither a parameter, a resource nor a pseudo parameter"),
    ("cloudformation/trivy/pkg/iac/scanners/cloudformation/test/examples/roles/roles.yml", "Fn::Sub variable ${self:service} is neither a parameter, a resource, a pseudo parameter nor a variable of this Fn::Sub"),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json" | "template")
            )
        })
        // A rule's `documents.yaml` shares inputs between cases through aliases, and an alias's
        // span (`*name`) cannot be re-parsed on its own; it is test data, not an input.
        .filter(|p| p.file_name().is_none_or(|n| n != "documents.yaml"))
        .collect();
    out.sort();
    out
}

/// Checks every node of `doc`; returns the pointers whose span does not reparse to the value.
fn check_spans(src: &SourceFile, doc: &Indexed) -> Vec<String> {
    let mut bad = Vec::new();
    let walk = doc.walk();
    let mut parent_spans: Vec<(&tollgate_template::Pointer, tollgate_template::Span)> = Vec::new();
    for (pointer, value, info) in &walk {
        let span = info.span;
        // Nodes made up by the loader (the list of `!GetAtt A.B`) share their parent's span.
        while let Some((p, _)) = parent_spans.last() {
            if pointer.starts_with(p) && pointer.len() > p.len() {
                break;
            }
            parent_spans.pop();
        }
        let synthetic = parent_spans.last().is_some_and(|(_, s)| *s == span);
        parent_spans.push((pointer, span));
        let slice = src.slice(span);
        // Skipped: made-up nodes, huge containers (checked through their children), empty
        // scalars (`!GetAZs` alone), and block scalars with an explicit indentation indicator,
        // which is relative to a parent the piece no longer has.
        let explicit_indent = (slice.starts_with('|') || slice.starts_with('>'))
            && slice[1..]
                .trim_start_matches(['-', '+'])
                .starts_with(|c: char| c.is_ascii_digit());
        // Plan sections the loader validates but does not keep (see json.rs) stand in as null.
        let dropped =
            matches!(pointer.as_str(), "/planned_values" | "/prior_state") && value.is_null();
        if synthetic || dropped || span.len() > 20_000 || span.is_empty() || explicit_indent {
            continue;
        }
        let start = src.position(span.start);
        let text = format!("{}{}", " ".repeat(start.column - 1), src.slice(span));
        let piece = SourceFile::new("piece", text);
        match parse(&piece, &Limits::default()) {
            Ok(re) if &re.value == *value => {}
            Ok(re) => bad.push(format!(
                "{pointer}: {:?} reparsed as {}",
                src.slice(span),
                re.value
            )),
            Err(e) => bad.push(format!(
                "{pointer}: {:?} does not parse: {e}",
                src.slice(span)
            )),
        }
    }
    bad
}

fn check_dir(dir: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut problems = Vec::new();
    for path in files_under(dir) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        // The examples of docs/errors.md are broken on purpose (some only under a small
        // limit, such as an alias whose anchor a cut-out piece cannot see).
        if name.contains("testdata/errors/") {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes.clone()) else {
            continue;
        };
        let src = SourceFile::new(
            name.clone(),
            text.trim_start_matches('\u{feff}').to_string(),
        );
        let Ok(doc) = parse(&src, &Limits::default()) else {
            continue;
        };
        checked += 1;
        for b in check_spans(&src, &doc).into_iter().take(3) {
            problems.push(format!("{name}: {b}"));
        }
        let _ = load(&name, &bytes, &LoadOptions::default());
    }
    (checked, problems)
}

#[test]
fn spans_reparse_to_their_values_in_testdata() {
    // The rules' cases live in their folders, `policies/<id>/cases/`.
    let (mut checked, mut problems) = check_dir(&repo_root().join("testdata"));
    let (cases, case_problems) = check_dir(&repo_root().join("policies"));
    checked += cases;
    problems.extend(case_problems);
    assert!(checked > 0, "no fixtures found");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn spans_reparse_to_their_values_in_the_corpus() {
    let Some(corpus) = tollgate_corpus::corpus() else {
        return;
    };
    let (checked, problems) = check_dir(&corpus);
    assert!(checked > 1600, "only {checked} corpus files checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_whole_corpus_loads() {
    let Some(root) = tollgate_corpus::corpus() else {
        return;
    };
    let mut failures = Vec::new();
    let mut with_errors = Vec::new();
    let mut loaded = 0;
    for path in files_under(&root) {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        match load(&rel, &bytes, &LoadOptions::default()) {
            Ok(Outcome::Loaded(l)) => {
                loaded += 1;
                if let Some(e) = l.errors.first() {
                    with_errors.push((rel, e.to_string()));
                }
            }
            Ok(Outcome::Skipped(reason)) => failures.push((rel, format!("skipped: {reason}"))),
            Err(e) => failures.push((rel, e.to_string())),
        }
    }
    fn differ(
        found: &[(String, String)],
        expected: &[(&'static str, &'static str)],
    ) -> (Vec<String>, Vec<&'static str>) {
        let unexpected: Vec<String> = found
            .iter()
            .filter(|(f, _)| !expected.iter().any(|(e, _)| e == f))
            .map(|(f, why)| format!("{f}: {why}"))
            .collect();
        let gone: Vec<&str> = expected
            .iter()
            .filter(|(e, _)| !found.iter().any(|(f, _)| f == e))
            .map(|(e, _)| *e)
            .collect();
        (unexpected, gone)
    }
    let (unexpected, recovered) = differ(&failures, EXPECTED_FAILURES);
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        recovered.is_empty(),
        "now loading, remove from EXPECTED_FAILURES: {recovered:?}"
    );
    let (unexpected, clean) = differ(&with_errors, EXPECTED_WITH_ERRORS);
    assert!(
        unexpected.is_empty(),
        "{} files load with unexpected errors:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        clean.is_empty(),
        "now without errors, remove from EXPECTED_WITH_ERRORS: {clean:?}"
    );
    assert!(loaded > 1400, "only {loaded} files loaded");
}

//! Broken user policies (`testdata/user-policies/broken/`): a Rego syntax error, a Guard
//! syntax error, a Rego rule that fails at run time, one that runs away, one that allocates
//! without bound, and the same without `metadata`. Each is an
//! [`EvalError`] naming the policy file; every other rule still runs and reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine, EvalError};
use tollgate_template::{load, LoadOptions, Loaded, Outcome};

fn broken(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/user-policies/broken")
        .join(dir)
}

/// A template with two built-in findings (`sg-ssh-world`, `sg-admin-ports-world-ipv4`).
fn template() -> Box<Loaded> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../policies/sg-ssh-world/cases/cfn-fail-param-default.yaml");
    let bytes = std::fs::read(&path).unwrap();
    match load(
        "cfn-fail-param-default.yaml",
        &bytes,
        &LoadOptions::default(),
    ) {
        Ok(Outcome::Loaded(l)) => l,
        other => panic!("{other:?}"),
    }
}

/// The built-in findings are still reported, and the errors are what `check` returns.
fn built_in_findings_still_reported(engine: &dyn Engine) -> Vec<EvalError> {
    let (findings, errors) = check(engine, &template(), &default_options());
    let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"sg-ssh-world"), "{rules:?}");
    assert!(rules.contains(&"sg-admin-ports-world-ipv4"), "{rules:?}");
    errors
}

#[test]
fn a_rego_syntax_error_names_the_file_line_and_column() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (engine, errors) = RegoEngine::with_user_policies(&[broken("rego-syntax")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Syntax {
            file, line, column, ..
        } => {
            assert!(file.ends_with("rego-syntax/unclosed_rule.rego"), "{file}");
            assert!((11..=12).contains(line), "line {line}");
            assert!(*column >= 1);
        }
        other => panic!("{other:?}"),
    }
    let shown = errors[0].to_string();
    assert!(shown.contains("unclosed_rule.rego:1"), "{shown}");
    assert!(shown.contains("policy does not compile"), "{shown}");
    assert_eq!(code(&errors[0]), "tollgate::policy::syntax");
    assert!(!engine.rules().iter().any(|r| r.id == "unclosed-rule"));
    let errors = built_in_findings_still_reported(&engine);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_guard_syntax_error_names_the_file_line_and_column() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (engine, errors) = GuardEngine::with_user_policies(&[broken("guard-syntax")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Syntax { file, line, .. } => {
            assert!(
                file.ends_with("guard-syntax/unclosed_block.guard"),
                "{file}"
            );
            assert!(*line >= 5, "line {line}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&errors[0]), "tollgate::policy::syntax");
    assert!(!engine.policies().iter().any(|p| !p.builtin));
    let errors = built_in_findings_still_reported(&engine);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn a_rego_rule_that_fails_at_run_time_names_the_file_and_the_others_still_run() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (engine, errors) = RegoEngine::with_user_policies(&[broken("rego-runtime")]);
    assert!(errors.is_empty(), "{errors:?}");
    let errors = built_in_findings_still_reported(&engine);
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Runtime { file, message } => {
            assert!(
                file.ends_with("rego-runtime/conflicting_values.rego"),
                "{file}"
            );
            assert!(message.contains("conflicting-values"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&errors[0]), "tollgate::policy::runtime");
}

#[test]
fn a_runaway_rego_rule_is_stopped_at_the_time_limit_and_the_others_still_run() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (mut engine, errors) = RegoEngine::with_user_policies(&[broken("rego-runaway")]);
    assert!(errors.is_empty(), "{errors:?}");
    engine.set_time_limit(Duration::from_millis(300));
    let started = Instant::now();
    let errors = built_in_findings_still_reported(&engine);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Limit { file, limit } => {
            assert!(file.ends_with("rego-runaway/runaway.rego"), "{file}");
            assert!(limit.starts_with("time"), "{limit}");
        }
        other => panic!("{other:?}"),
    }
    assert!(errors[0].to_string().contains("runaway.rego"));
    assert_eq!(code(&errors[0]), "tollgate::policy::limit");
}

/// Issue 15: `numbers.range(1, 400000000)` took 9.4 GB and 32 s (here: 9.5 GB, then an abort
/// on a 28.8 GB allocation). regorus's counting allocator is this test binary's allocator too
/// (regorus declares it), so the bound is the one the CLI has.
#[test]
fn a_rego_rule_that_allocates_without_bound_is_stopped_at_the_memory_limit() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (engine, errors) = RegoEngine::with_user_policies(&[broken("rego-memory")]);
    assert!(errors.is_empty(), "{errors:?}");
    let started = Instant::now();
    let errors = built_in_findings_still_reported(&engine);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Limit { file, limit } => {
            assert!(file.ends_with("rego-memory/huge_range.rego"), "{file}");
            assert_eq!(limit, "memory (1 GiB)");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&errors[0]), "tollgate::policy::limit");
}

/// Evaluations running at once share their limits (see `engine::budget`): the test of a small
/// limit runs alone.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_smaller_memory_limit_stops_a_smaller_rule_and_no_limit_lets_it_run() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let rule = r#"
package tollgate.rules.cloudformation.mid
import rego.v1
metadata := {"id": "mid"}
deny contains {"message": "big", "pointer": "", "resource": "-"} if {
    count(numbers.range(1, 2000000)) > 0
}
"#;
    let source = tollgate_policy::engine::rego::PolicySource {
        file: "mid.rego".into(),
        text: rule.into(),
        builtin: false,
    };
    let (mut engine, errors) = RegoEngine::from_sources(vec![source], true);
    assert!(errors.is_empty(), "{errors:?}");
    let (findings, errors) = check(&engine, &template(), &default_options());
    assert!(errors.is_empty(), "{errors:?}");
    assert!(findings.iter().any(|f| f.rule == "mid"));
    engine.set_memory_limit(Some(8 << 20));
    let errors = built_in_findings_still_reported(&engine);
    assert!(
        matches!(&errors[..], [EvalError::Limit { file, limit }] if file == "mid.rego" && limit == "memory (8 MiB)"),
        "{errors:?}"
    );
    engine.set_memory_limit(None);
    let (findings, errors) = check(&engine, &template(), &default_options());
    assert!(errors.is_empty(), "{errors:?}");
    assert!(findings.iter().any(|f| f.rule == "mid"));
}

/// The ceiling is shared by the evaluations running at once: a runaway rule on one thread
/// must not cost an innocent rule on another its findings (it is run again).
#[test]
fn a_runaway_rule_on_one_thread_does_not_stop_the_rules_of_another() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (runaway, errors) = RegoEngine::with_user_policies(&[broken("rego-memory")]);
    assert!(errors.is_empty(), "{errors:?}");
    let busy = r#"
package tollgate.rules.cloudformation.busy
import rego.v1
metadata := {"id": "busy"}
deny contains {"message": "busy", "pointer": "", "resource": "-"} if {
    count(numbers.range(1, 300000)) > 0
}
"#;
    let source = tollgate_policy::engine::rego::PolicySource {
        file: "busy.rego".into(),
        text: busy.into(),
        builtin: false,
    };
    let (innocent, errors) = RegoEngine::from_sources(vec![source], true);
    assert!(errors.is_empty(), "{errors:?}");
    let loaded = template();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..20 {
                let (_, errors) = check(&runaway, &loaded, &default_options());
                assert_eq!(errors.len(), 1, "{errors:?}");
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut runs = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) || runs < 5 {
            let (findings, errors) = check(&innocent, &loaded, &default_options());
            assert!(errors.is_empty(), "run {runs}: {errors:?}");
            assert!(findings.iter().any(|f| f.rule == "busy"));
            runs += 1;
        }
    });
}

/// Reading `metadata` evaluated the whole package: the rule above without `metadata` took
/// 17 s and 4.7 GB to be rejected. Only the `metadata` rule is evaluated now.
#[test]
fn a_package_without_metadata_is_rejected_without_evaluating_it() {
    let _alone = ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let started = Instant::now();
    let (engine, errors) = RegoEngine::with_user_policies(&[broken("rego-memory-no-metadata")]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        EvalError::Syntax { file, message, .. } => {
            assert!(file.ends_with("huge_range_no_metadata.rego"), "{file}");
            assert!(
                message.contains("must define a constant object `metadata"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!engine.rules().iter().any(|r| !r.builtin));
    let errors = built_in_findings_still_reported(&engine);
    assert!(errors.is_empty(), "{errors:?}");
}

fn code(e: &EvalError) -> String {
    miette::Diagnostic::code(e)
        .map(|c| c.to_string())
        .unwrap_or_default()
}

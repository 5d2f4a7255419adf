//! `--format junit`: one `<testsuite>` per file and one `<testcase>` per rule and file, as
//! AWS CodeBuild test reports (and most CI dashboards) read it. A rule with a finding at or
//! above the threshold fails its test case; one whose findings are all suppressed is skipped.
//! Written by `quick-junit` (which also drops the control characters XML cannot carry).

use super::severity_name;
use crate::catalogue::RuleInfo;
use crate::diagnostics::{Diagnostic, FileEntry, FileStatus, Level, Run, Source};
use miette::{IntoDiagnostic, Result};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// XML 1.0 cannot carry these either; `quick-junit` removes the C0 controls.
fn xml(text: &str) -> String {
    text.replace(['\u{fffe}', '\u{ffff}'], "\u{fffd}")
}

/// A case that could not run: the file did not load, a suppression or a policy broke.
fn error_case(name: &str, classname: Option<&str>, message: &str, code: &str) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_message(xml(message))
        .set_type(xml(code))
        .set_description(xml(message));
    let mut case = TestCase::new(xml(name), status);
    if let Some(classname) = classname {
        case.set_classname(xml(classname));
        case.extra.insert("file".into(), xml(classname).into());
    }
    case
}

/// The error cases of a file: load or resolve errors, malformed suppressions, policy errors.
fn error_cases(file: &str, records: &[Diagnostic]) -> Vec<TestCase> {
    records
        .iter()
        .filter_map(Diagnostic::problem)
        .filter(|p| p.level == Level::Error)
        .map(|p| {
            // The suite names the file: a policy error says only what failed.
            let (name, message) = match p.source {
                Source::Load | Source::Resolve => ("load", &p.text),
                Source::Usage => ("suppressions", &p.text),
                _ => ("policy", &p.message),
            };
            error_case(
                name,
                Some(file),
                message,
                p.code.as_deref().unwrap_or_default(),
            )
        })
        .collect()
}

fn rule_case(run: &Run, file: &str, records: &[Diagnostic], rule: &RuleInfo) -> TestCase {
    let mut failing = String::new();
    let mut first = None;
    let mut out = String::new();
    let mut suppressed = Vec::new();
    let mut any = false;
    for f in records
        .iter()
        .filter_map(Diagnostic::finding)
        .filter(|f| f.rule.id == rule.id)
    {
        any = true;
        let (l, c) = (f.location.start.line, f.location.start.column);
        let line = format!(
            "{file}:{l}:{c}: [{}] {} — {} ({})\n",
            severity_name(f.severity),
            f.message,
            f.resource,
            f.pointer
        );
        if let Some(s) = &f.suppressed {
            suppressed.push(format!("{} ({})", s.reason, s.kind.as_str()));
            if run.show_suppressed {
                out.push_str(&format!("suppressed: {line}"));
            }
        } else if f.fails(run.threshold) {
            first.get_or_insert_with(|| format!("{file}:{l}:{c}: {}", f.message));
            failing.push_str(&line);
        } else {
            out.push_str(&format!("below the severity threshold: {line}"));
        }
    }
    let status = match first {
        Some(message) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(xml(&message))
                .set_type(severity_name(rule.severity))
                .set_description(xml(&failing));
            s
        }
        None if any && out.is_empty() && !suppressed.is_empty() => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(xml(&format!("suppressed: {}", suppressed.join("; "))));
            s
        }
        None => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(xml(&rule.id), status);
    case.set_classname(xml(file));
    case.extra.insert("file".into(), xml(file).into());
    if !out.is_empty() {
        case.set_system_out(xml(&out));
    }
    case
}

fn suite(run: &Run, file: &FileEntry) -> TestSuite {
    let records = run.of(file);
    let mut suite = TestSuite::new(xml(&file.name));
    suite.add_test_cases(error_cases(&file.name, records));
    if file.status == FileStatus::Checked {
        suite.add_test_cases(
            run.rules
                .iter()
                .map(|rule| rule_case(run, &file.name, records, rule)),
        );
    }
    suite
}

pub fn render(run: &Run) -> Result<String> {
    let mut report = Report::new("tollgate");
    report.set_time(run.elapsed);
    for file in run.files.iter().filter(|f| f.status != FileStatus::Skipped) {
        report.add_test_suite(suite(run, file));
    }
    // Errors outside any file get a suite of their own, so a broken policy fails the report.
    let global: Vec<TestCase> = run
        .diagnostics
        .iter()
        .filter(|d| d.file.is_none())
        .filter_map(Diagnostic::problem)
        .filter(|p| p.level == Level::Error)
        .enumerate()
        .map(|(i, p)| {
            let name = format!("setup-{}", i + 1);
            let mut case = error_case(&name, None, &p.text, p.code.as_deref().unwrap_or_default());
            case.set_classname("tollgate");
            case
        })
        .collect();
    if !global.is_empty() {
        let mut suite = TestSuite::new("tollgate");
        suite.add_test_cases(global);
        report.add_test_suite(suite);
    }
    let mut text = report.to_string().into_diagnostic()?;
    text.push('\n');
    Ok(text)
}

//! `--format junit`: one `<testsuite>` per file and one `<testcase>` per rule and file, as
//! AWS CodeBuild test reports (and most CI dashboards) read it. A rule with a finding at or
//! above the threshold fails its test case; one whose findings are all suppressed is skipped.

use super::{line_cols, severity_name, FileReport, Run};
use miette::Result;
use quick_xml::escape::escape;
use std::fmt::Write;

/// XML 1.0 cannot carry most control characters, even escaped.
fn xml(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect();
    escape(clean.as_str()).into_owned()
}

struct Case {
    name: String,
    classname: String,
    /// `(message, type, body)`
    failure: Option<(String, String, String)>,
    error: Option<(String, String)>,
    skipped: Option<String>,
    out: String,
}

impl Case {
    /// A case that could not run: the file did not load, a suppression or a policy broke.
    fn error(name: &str, classname: &str, message: String, code: String) -> Self {
        Case {
            name: name.into(),
            classname: classname.into(),
            failure: None,
            error: Some((message, code)),
            skipped: None,
            out: String::new(),
        }
    }
}

fn cases_for(run: &Run, file: &FileReport) -> Vec<Case> {
    let mut cases = Vec::new();
    let classname = file.name.clone();
    for e in &file.errors {
        let code = e.kind.code().to_string();
        cases.push(Case::error("load", &classname, e.to_string(), code));
    }
    for p in &file.problems {
        let code = p.code.to_string();
        cases.push(Case::error("suppressions", &classname, p.to_string(), code));
    }
    for e in &file.eval_errors {
        let code = super::json::code_of(e);
        cases.push(Case::error("policy", &classname, e.to_string(), code));
    }
    let Some(loaded) = &file.loaded else {
        return cases;
    };
    for rule in &run.rules {
        let findings: Vec<_> = file
            .findings
            .iter()
            .filter(|r| r.finding.rule == rule.id)
            .collect();
        let mut failing = String::new();
        let mut first = None;
        let mut out = String::new();
        let mut suppressed = Vec::new();
        for r in &findings {
            let ((l, c), _) = line_cols(&loaded.source, r.finding.span);
            let line = format!(
                "{}:{l}:{c}: [{}] {} — {} ({})\n",
                file.name,
                severity_name(r.severity),
                r.finding.message,
                r.finding.resource,
                r.finding.pointer
            );
            if let Some(s) = &r.suppressed {
                suppressed.push(format!("{} ({})", s.reason, s.kind.as_str()));
                if run.show_suppressed {
                    out.push_str(&format!("suppressed: {line}"));
                }
            } else if r.fails(run.threshold) {
                first
                    .get_or_insert_with(|| format!("{}:{l}:{c}: {}", file.name, r.finding.message));
                failing.push_str(&line);
            } else {
                out.push_str(&format!("below the severity threshold: {line}"));
            }
        }
        let failure = first.map(|m| (m, severity_name(rule.severity).to_string(), failing));
        let skipped =
            (failure.is_none() && !findings.is_empty() && out.is_empty() && !suppressed.is_empty())
                .then(|| format!("suppressed: {}", suppressed.join("; ")));
        cases.push(Case {
            name: rule.id.clone(),
            classname: classname.clone(),
            failure,
            error: None,
            skipped,
            out,
        });
    }
    cases
}

pub fn render(run: &Run) -> Result<String> {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for file in &run.files {
        if file.skipped.is_some() {
            continue;
        }
        let cases = cases_for(run, file);
        let f = cases.iter().filter(|c| c.failure.is_some()).count();
        let e = cases.iter().filter(|c| c.error.is_some()).count();
        let s = cases.iter().filter(|c| c.skipped.is_some()).count();
        tests += cases.len();
        failures += f;
        errors += e;
        skipped += s;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\">",
            xml(&file.name),
            cases.len()
        );
        for c in cases {
            let _ = write!(
                suites,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
                xml(&c.name),
                xml(&c.classname),
                xml(&c.classname)
            );
            if c.failure.is_none() && c.error.is_none() && c.skipped.is_none() && c.out.is_empty() {
                suites.push_str("/>\n");
                continue;
            }
            suites.push_str(">\n");
            if let Some((message, kind, body)) = &c.failure {
                let _ = writeln!(
                    suites,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    xml(message),
                    xml(kind),
                    xml(body)
                );
            }
            if let Some((message, kind)) = &c.error {
                let _ = writeln!(
                    suites,
                    "      <error message=\"{}\" type=\"{}\">{}</error>",
                    xml(message),
                    xml(kind),
                    xml(message)
                );
            }
            if let Some(reason) = &c.skipped {
                let _ = writeln!(suites, "      <skipped message=\"{}\"/>", xml(reason));
            }
            if !c.out.is_empty() {
                let _ = writeln!(suites, "      <system-out>{}</system-out>", xml(&c.out));
            }
            suites.push_str("    </testcase>\n");
        }
        suites.push_str("  </testsuite>\n");
    }
    // Errors outside any file get a suite of their own, so a broken policy fails the report.
    let global: Vec<(String, String)> = run
        .policy_errors
        .iter()
        .map(|e| (e.to_string(), super::json::code_of(e)))
        .chain(
            run.discovery_errors
                .iter()
                .map(|e| (e.clone(), "tollgate::discover".to_string())),
        )
        .collect();
    if !global.is_empty() {
        tests += global.len();
        errors += global.len();
        let _ = writeln!(
            suites,
            "  <testsuite name=\"tollgate\" tests=\"{0}\" failures=\"0\" errors=\"{0}\" skipped=\"0\">",
            global.len()
        );
        for (i, (message, kind)) in global.iter().enumerate() {
            let _ = writeln!(
                suites,
                "    <testcase name=\"setup-{}\" classname=\"tollgate\">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
                i + 1,
                xml(message),
                xml(kind),
                xml(message)
            );
        }
        suites.push_str("  </testsuite>\n");
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tollgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\">\n{suites}</testsuites>\n",
        run.elapsed.as_secs_f64()
    ))
}

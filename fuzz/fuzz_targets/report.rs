//! Every output format on a fuzzed run. The input, split on NUL bytes, gives a file's text
//! (loaded as YAML: a run's findings always belong to a loaded file) and the words of the
//! findings, related locations, policy errors, suppressions, problems and warnings built on it:
//! messages with control characters, odd Unicode and huge lines, pointers into nowhere, spans
//! anywhere in the text. Every format renders without panicking; JSON and SARIF parse as JSON
//! (SARIF with its required fields), JUnit as XML, and every GitHub line is a workflow command
//! or the summary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use std::time::Duration;
use tollgate_cli::catalogue::RuleInfo;
use tollgate_cli::cli::Format;
use tollgate_cli::diagnostics::{of_file, FileReport, RuleIndex, Run};
use tollgate_cli::filter::Reported;
use tollgate_cli::problem::Problem;
use tollgate_cli::report::render;
use tollgate_cli::suppress::{Suppressed, SuppressionKind};
use tollgate_policy::{EvalError, Finding, Severity};
use tollgate_template::{load, pointer, ErrorKind, LoadError, LoadOptions, Outcome, Related, Span};

/// The fuzzed words, read in turn (and again from the start when they run out).
struct Words<'a> {
    words: Vec<&'a [u8]>,
    next: usize,
}

impl<'a> Words<'a> {
    fn bytes(&mut self) -> &'a [u8] {
        if self.words.is_empty() {
            return b"";
        }
        let w = self.words[self.next % self.words.len()];
        self.next = self.next.wrapping_add(1);
        w
    }
    fn text(&mut self) -> String {
        String::from_utf8_lossy(self.bytes()).into_owned()
    }
    fn number(&mut self) -> usize {
        self.bytes().iter().fold(0usize, |n, b| {
            n.wrapping_mul(31).wrapping_add(usize::from(*b))
        })
    }
    /// A span of `text` on character boundaries.
    fn span(&mut self, text: &str) -> Span {
        let at = |n: usize| {
            let mut i = n % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let (a, b) = (at(self.number()), at(self.number()));
        Span::new(a.min(b), a.max(b))
    }
    fn severity(&mut self) -> Severity {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ][self.number() % 5]
    }
}

const FORMATS: [Format; 5] = [
    Format::Human,
    Format::Json,
    Format::Sarif,
    Format::Junit,
    Format::Github,
];

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0);
    let text = parts.next().unwrap_or_default();
    let mut w = Words {
        words: parts.collect(),
        next: 0,
    };
    let Ok(meta) = tollgate_policy::pack::builtin_meta() else {
        return;
    };
    let mut rules: Vec<RuleInfo> = meta
        .iter()
        .take(3)
        .map(|m| RuleInfo::builtin(m.clone()))
        .collect();
    let user_rule = w.text();
    rules.push(RuleInfo {
        severity: w.severity(),
        title: Some(w.text()),
        description: Some(w.text()),
        ..RuleInfo::unknown(&user_rule)
    });

    let name = format!("dir/{}.yaml", w.text());
    let mut file = FileReport::named(name.clone());
    match load(&name, text, &LoadOptions::default()) {
        Ok(Outcome::Loaded(loaded)) => {
            let src = loaded.source.clone();
            let n = w.number() % 6;
            for i in 0..n {
                let rule = if i % 2 == 0 {
                    user_rule.clone()
                } else {
                    rules[i % 3].id.clone()
                };
                let related = (0..w.number() % 3)
                    .map(|_| Related {
                        span: w.span(&src.text),
                        message: w.text(),
                    })
                    .collect();
                let suppressed = match w.number() % 4 {
                    0 => Some(Suppressed {
                        kind: SuppressionKind::Metadata,
                        reason: w.text(),
                    }),
                    1 => Some(Suppressed {
                        kind: SuppressionKind::Config,
                        reason: w.text(),
                    }),
                    _ => None,
                };
                file.findings.push(Reported {
                    finding: Finding {
                        rule,
                        resource: w.text(),
                        resource_type: None,
                        pointer: pointer::read(&w.text()).unwrap_or_default(),
                        message: w.text(),
                        span: w.span(&src.text),
                        related,
                    },
                    severity: w.severity(),
                    fingerprint: format!("{:016x}", w.number()),
                    suppressed,
                });
            }
            file.eval_errors.push(EvalError::Limit {
                file: w.text(),
                limit: w.text(),
            });
            file.eval_errors.push(EvalError::Runtime {
                file: w.text(),
                message: w.text(),
            });
            let range = w.span(&src.text);
            file.problems.push(Problem::at(
                "tollgate::suppress::invalid",
                &src,
                range.start as usize..range.end as usize,
                w.text(),
                w.text(),
            ));
            file.warnings.push(LoadError::at(
                ErrorKind::VariantLimit,
                &src,
                w.span(&src.text),
                w.text(),
                w.text(),
            ));
            file.errors.push(LoadError::at(
                ErrorKind::RefToNothing,
                &src,
                w.span(&src.text),
                w.text(),
                w.text(),
            ));
            file.loaded = Some(loaded);
        }
        Ok(Outcome::Skipped(reason)) => file.skipped = Some(reason),
        Err(e) => file.errors.push(e),
    }
    let other = FileReport::error(LoadError::file(ErrorKind::Io, &w.text(), w.text()));
    let rules: Vec<Arc<RuleInfo>> = rules.into_iter().map(Arc::new).collect();
    let index = RuleIndex::new(&rules);
    // The records are made as `tollgate check` makes them; the documents are dropped here.
    let files = vec![of_file(file, &index), of_file(other, &index)];
    let mut run = Run::new(
        vec![w.text()],
        files,
        vec![EvalError::Syntax {
            file: w.text(),
            line: w.number(),
            column: w.number(),
            message: w.text(),
        }],
        vec![w.text()],
        rules,
    );
    run.threshold = w.severity();
    run.show_suppressed = w.number() % 2 == 0;
    run.shard = (w.number() % 2 == 0).then_some((1, 2));
    run.verbose = w.number() % 2 == 0;
    run.colour = w.number() % 2 == 0;
    run.elapsed = Duration::from_millis(12);
    for format in FORMATS {
        let out = match render(&run, format) {
            Ok(out) => out,
            Err(e) => panic!("{format:?} failed to render: {e:?}"),
        };
        match format {
            Format::Json => {
                let v: serde_json::Value =
                    serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON: {e}\n{out}"));
                assert!(v.is_object());
            }
            Format::Sarif => check_sarif(&out),
            Format::Junit => check_xml(&out),
            Format::Github => {
                for line in out.lines() {
                    assert!(
                        line.starts_with("::") || line.starts_with("tollgate: "),
                        "not a workflow command: {line:?}"
                    );
                }
            }
            Format::Human => {}
        }
    }
});

fn check_sarif(out: &str) {
    let v: serde_json::Value =
        serde_json::from_str(out).unwrap_or_else(|e| panic!("SARIF: {e}\n{out}"));
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap_or_else(|| panic!("no runs"));
    assert!(!runs.is_empty());
    for run in runs {
        assert!(run["tool"]["driver"]["name"].is_string());
        for result in run["results"].as_array().into_iter().flatten() {
            assert!(result["message"]["text"].is_string(), "{result}");
            for location in result["locations"].as_array().into_iter().flatten() {
                let physical = &location["physicalLocation"];
                assert!(
                    physical["artifactLocation"]["uri"].is_string(),
                    "{location}"
                );
                if let Some(line) = physical["region"].get("startLine") {
                    assert!(line.as_u64().is_some_and(|l| l >= 1), "{location}");
                }
            }
        }
    }
}

fn check_xml(out: &str) {
    let mut reader = quick_xml::Reader::from_str(out);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("JUnit XML: {e} at {}\n{out}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced JUnit XML");
}

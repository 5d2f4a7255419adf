//! The whole pipeline on one fuzzed file: load it (`tollgate_template::load`, as YAML or as
//! JSON, half of the JSON runs prefixed with a plan header), evaluate it with the built-in
//! pack on both engines (`tollgate_policy::check`: Rego and Guard, each compiled once), and
//! locate every finding and related location inside the file. Nothing may panic, hang or run
//! out of memory; every finding must point into the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};
use tollgate_template::{load, LoadOptions, Loaded, Outcome, Span};

fn engines() -> &'static (RegoEngine, GuardEngine) {
    static ENGINES: OnceLock<(RegoEngine, GuardEngine)> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let rego = RegoEngine::builtin().unwrap_or_else(|e| panic!("built-in Rego pack: {e:?}"));
        let (guard, errors) = GuardEngine::with_user_policies::<&str>(&[]);
        assert!(errors.is_empty(), "built-in Guard pack: {errors:?}");
        (rego, guard)
    })
}

fn inside(loaded: &Loaded, span: Span) {
    let len = loaded.source.text.len();
    assert!(
        span.start <= span.end && span.end as usize <= len,
        "span {span:?} outside the {len} bytes of the file"
    );
    // Turning it into a line and column must work too.
    let _ = loaded.source.position(span.start);
}

fn run(loaded: &Loaded, engine: &dyn Engine) {
    let (findings, _errors) = check(engine, loaded, &default_options());
    for f in &findings {
        inside(loaded, f.span);
        for r in &f.related {
            inside(loaded, r.span);
        }
        for i in 0..loaded.inputs.len() {
            if let Some(location) = loaded.locate(i, &f.pointer) {
                inside(loaded, location.span);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (name, prefix, rest): (&str, &[u8], &[u8]) = match data.split_first() {
        Some((b, rest)) if b % 3 == 0 => ("fuzz.yaml", b"", rest),
        Some((b, rest)) if b % 3 == 1 => ("fuzz.json", b"", rest),
        Some((_, rest)) => (
            "fuzz.json",
            br#"{"format_version":"1.2","resource_changes":"#,
            rest,
        ),
        None => ("fuzz.yaml", b"", data),
    };
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(rest);
    let (rego, guard) = engines();
    match load(name, &bytes, &LoadOptions::default()) {
        Ok(Outcome::Loaded(loaded)) => {
            run(&loaded, rego);
            run(&loaded, guard);
        }
        Ok(Outcome::Skipped(reason)) => assert!(!reason.is_empty()),
        Err(e) => assert!(e.to_string().starts_with(name)),
    }
});

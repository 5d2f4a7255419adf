//! The YAML path of the loader: any bytes, named `.yaml`, through `load` (decode, parse,
//! detect, resolve or plan). Must never panic, whatever the outcome; every error must name
//! the file, and a position inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_template::{load, LoadOptions, Outcome, Pointer};

fuzz_target!(|data: &[u8]| {
    let mut options = LoadOptions::default();
    // Small bounds keep each run short; the limits themselves are under test too.
    options.limits.max_alias_nodes = 10_000;
    options.limits.max_alias_bytes = 1 << 20;
    match load("fuzz.yaml", data, &options) {
        Ok(Outcome::Loaded(l)) => {
            // Every node of every input can be located.
            for i in 0..l.inputs.len() {
                let _ = l.locate(i, Pointer::from_static(""));
                let _ = l.locate(i, Pointer::from_static("/Resources"));
            }
        }
        Ok(Outcome::Skipped(reason)) => assert!(!reason.is_empty()),
        Err(e) => {
            assert!(e.to_string().starts_with("fuzz.yaml"));
            if let Some(span) = e.span() {
                assert!(span.start as usize <= data.len());
            }
        }
    }
});

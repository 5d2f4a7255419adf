//! The JSON path of the loader (templates and Terraform plans): any bytes, named `.json`,
//! through `load`. The input is prefixed so that most runs reach the JSON parser and, half of
//! the time, the plan builder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate_template::{load, LoadOptions, Outcome, Pointer};

fuzz_target!(|data: &[u8]| {
    let (prefix, rest): (&[u8], &[u8]) = match data.split_first() {
        Some((b, rest)) if b % 2 == 0 => (br#"{"format_version":"1.2","resource_changes":"#, rest),
        Some((_, rest)) => (b"", rest),
        None => (b"", data),
    };
    let mut bytes = prefix.to_vec();
    bytes.extend_from_slice(rest);
    match load("fuzz.json", &bytes, &LoadOptions::default()) {
        Ok(Outcome::Loaded(l)) => {
            for i in 0..l.inputs.len() {
                let _ = l.locate(i, Pointer::from_static("/resources/0/after"));
                let _ = l.locate(i, Pointer::from_static("/resources/0"));
            }
        }
        Ok(Outcome::Skipped(reason)) => assert!(!reason.is_empty()),
        Err(e) => assert!(e.to_string().starts_with("fuzz.json")),
    }
});

//! Evaluation cost per engine: `cargo run --release -p tollgate-policy --example engine_bench -- PATH...`
//!
//! Loads every template and plan under PATH once, then evaluates the built-in pack with each
//! engine on every document (single thread) and prints documents per second. Loading is not
//! timed: this measures the engines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool

mod common;

use std::time::Instant;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let docs = common::load_all(&paths);
    let inputs: usize = docs.iter().map(|d| d.inputs.len()).sum();
    let t = Instant::now();
    let rego = RegoEngine::builtin().unwrap();
    let rego_compile = t.elapsed();
    let t = Instant::now();
    let (guard, _) = GuardEngine::new();
    let guard_compile = t.elapsed();
    for (name, engine, compile) in [
        ("rego", &rego as &dyn Engine, rego_compile),
        ("guard", &guard as &dyn Engine, guard_compile),
    ] {
        let t = Instant::now();
        let mut findings = 0;
        for d in &docs {
            findings += check(engine, d, &default_options()).0.len();
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:5}: compile {:>6.1} ms; {} files ({inputs} documents incl. variants) in {s:.2} s = {:.0} files/s single-threaded; {findings} findings",
            compile.as_secs_f64() * 1000.0,
            docs.len(),
            docs.len() as f64 / s
        );
    }
}

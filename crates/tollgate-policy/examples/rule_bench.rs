//! Per-rule evaluation cost: `cargo run --release -p tollgate-policy --example rule_bench -- [rego|guard|both] PATH...`
//!
//! Loads every template and plan under PATH, then evaluates each built-in rule on its own (one
//! engine per rule) and prints the time each takes, then the whole pack. A benchmark tool.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool

mod common;

use std::time::Instant;
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::{PolicySource, RegoEngine};
use tollgate_policy::pack::BUILTIN;
use tollgate_policy::{check, default_options, Engine};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let which = if matches!(
        args.first().map(String::as_str),
        Some("rego" | "guard" | "both")
    ) {
        args.remove(0)
    } else {
        "both".to_string()
    };
    let per_rule = std::env::var_os("PER_RULE").is_some();
    let t = Instant::now();
    let docs = common::load_all(&args);
    println!("load: {:.3} s", t.elapsed().as_secs_f64());
    let options = default_options();
    if per_rule && which != "guard" {
        for rule in BUILTIN {
            let sources = [rule.rego_cloudformation, rule.rego_terraform]
                .iter()
                .map(|text| PolicySource {
                    file: rule.id.to_string(),
                    text: text.to_string(),
                    builtin: true,
                })
                .collect();
            let (engine, errors) = RegoEngine::from_sources(sources, false);
            assert!(errors.is_empty(), "{errors:?}");
            let t = Instant::now();
            let mut n = 0;
            for d in &docs {
                n += check(&engine, d, &options).0.len();
            }
            println!(
                "rego {:28} {:8.3} s {n} findings",
                rule.id,
                t.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(file) = std::env::var_os("REGO_FILE") {
        let text = std::fs::read_to_string(&file).unwrap();
        let (engine, errors) = RegoEngine::from_sources(
            vec![PolicySource {
                file: "x.rego".into(),
                text,
                builtin: false,
            }],
            false,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let repeat: usize = std::env::var("REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1);
        let t = Instant::now();
        let mut n = 0;
        for _ in 0..repeat {
            for d in &docs {
                n += check(&engine, d, &options).0.len();
            }
        }
        println!("REGO_FILE {:8.3} s {n} findings", t.elapsed().as_secs_f64());
        return;
    }
    let mut engines: Vec<(&str, Box<dyn Engine>)> = Vec::new();
    let dump = std::env::var_os("DUMP").is_some();
    if which != "guard" {
        engines.push(("rego", Box::new(RegoEngine::builtin().unwrap())));
    }
    if which != "rego" {
        engines.push(("guard", Box::new(GuardEngine::new().0)));
    }
    for (name, engine) in engines {
        let t = Instant::now();
        let mut n = 0;
        let mut errors = 0;
        for d in &docs {
            let (f, e) = check(engine.as_ref(), d, &options);
            if dump {
                for x in &f {
                    println!(
                        "{}\t{}\t{}\t{}\t{:?}\t{}\t{:?}",
                        d.source.name, x.rule, x.resource, x.pointer, x.span, x.message, x.related
                    );
                }
                for x in &e {
                    println!("{}\tERROR\t{x}", d.source.name);
                }
            }
            n += f.len();
            errors += e.len();
        }
        println!(
            "{name:5} all rules {:8.3} s {n} findings {errors} errors",
            t.elapsed().as_secs_f64()
        );
    }
}

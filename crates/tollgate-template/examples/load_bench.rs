//! Load + index throughput: `cargo run --release -p tollgate-template --example load_bench -- [--rounds N] [--ext yaml,yml,template] [--resolve-only] PATH...`
//!
//! Loads every .yaml/.yml/.json/.template file under the given paths (parse, span index,
//! detection, resolution or plan model) a few times and prints MB/s and peak memory. With
//! `--resolve-only`, the files are parsed once beforehand and only the resolution of the
//! CloudFormation templates (`cfn::resolve_variants`: loops, variants, intrinsics) is timed. The
//! scripts in `bench/` call it with `--rounds 1` as the parse-only floor of `tollgate check`
//! (one load of each file, so the process can be timed like the other tools); it is a
//! benchmark, not a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark tool

use std::time::Instant;
use tollgate_template::{cfn, detect, load, parse, LoadOptions, SourceFile};

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    // `--rounds N` first: how many times to load everything (default: 5, 1 above 20 MB).
    let mut rounds_arg = None;
    if paths.first().map(String::as_str) == Some("--rounds") {
        let n = paths.get(1).and_then(|n| n.parse::<u32>().ok());
        rounds_arg = Some(n.expect("--rounds takes a number"));
        paths = paths.split_off(2);
    }
    // `--ext a,b` next: only files with these extensions (default: every kind tollgate reads).
    let mut exts: Vec<String> = ["yaml", "yml", "json", "template"]
        .map(String::from)
        .to_vec();
    if paths.first().map(String::as_str) == Some("--ext") {
        let list = paths.get(1).expect("--ext takes a list such as yaml,yml");
        exts = list.split(',').map(String::from).collect();
        paths = paths.split_off(2);
    }
    // `--resolve-only` next: time the resolution of templates only.
    let resolve_only = paths.first().map(String::as_str) == Some("--resolve-only");
    if resolve_only {
        paths.remove(0);
    }
    let mut files = Vec::new();
    for p in &paths {
        for e in walkdir::WalkDir::new(p).into_iter().filter_map(Result::ok) {
            let ext = e.path().extension().and_then(|x| x.to_str()).unwrap_or("");
            if e.file_type().is_file() && exts.iter().any(|x| x == ext) {
                files.push((
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                ));
            }
        }
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let rounds = rounds_arg.unwrap_or(if bytes > 20_000_000 { 1 } else { 5 });
    let options = LoadOptions::default();
    if resolve_only {
        return resolve_bench(&files, rounds, &options);
    }
    let mut best = f64::MAX;
    let mut errors = 0;
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        errors = 0;
        kinds.clear();
        for (name, b) in &files {
            if let Err(e) = load(name, b, &options) {
                errors += 1;
                *kinds.entry(e.kind.code()).or_default() += 1;
            }
        }
        times.push(format!("{:.3}", t.elapsed().as_secs_f64()));
        best = best.min(t.elapsed().as_secs_f64());
    }
    let peak_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!(
        "{} files, {:.1} MB, {} errors: best of {rounds} {:.3} s = {:.1} MB/s (rounds: {} s), peak RSS {:.0} MiB (inputs held in memory: {:.0} MiB)",
        files.len(),
        bytes as f64 / 1e6,
        errors,
        best,
        bytes as f64 / 1e6 / best,
        times.join(", "),
        peak_kib as f64 / 1024.0,
        bytes as f64 / 1048576.0
    );
    if !kinds.is_empty() {
        let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("errors by code: {}", by_kind.join(", "));
    }
}

/// Times `cfn::resolve_variants` over the templates among `files` (parsed beforehand).
fn resolve_bench(files: &[(String, Vec<u8>)], rounds: u32, options: &LoadOptions) {
    let mut templates = Vec::new();
    for (name, bytes) in files {
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let src = SourceFile::new(name.as_str(), text);
        let Ok(doc) = parse(&src, &options.limits) else {
            continue;
        };
        if matches!(detect::detect(&doc.value), detect::Detected::CloudFormation) {
            templates.push((src, doc));
        }
    }
    let mut best = f64::MAX;
    let mut times = Vec::new();
    let mut variants = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        variants = 0;
        for (src, doc) in &templates {
            if let Ok(r) = cfn::resolve_variants(src, doc, &options.parameters, &options.limits) {
                variants += r.variants.len();
            }
        }
        times.push(format!("{:.3}", t.elapsed().as_secs_f64()));
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} templates, {variants} variants: resolution best of {rounds} {:.3} s (rounds: {} s)",
        templates.len(),
        best,
        times.join(", ")
    );
}

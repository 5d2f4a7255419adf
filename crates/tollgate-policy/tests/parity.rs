//! Parity: the Rego and the Guard implementation of every built-in rule report the same
//! findings (rule, resource, pointer, location) on every file of the shared corpus (`tollgate_corpus::corpus()`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::{BTreeMap, BTreeSet};
use tollgate_policy::engine::guard::GuardEngine;
use tollgate_policy::engine::rego::RegoEngine;
use tollgate_policy::{check, default_options, Engine};
use tollgate_template::{load, LoadOptions, Outcome};

type Key = (String, String, tollgate_template::PointerBuf, u32, u32);

fn findings(engine: &dyn Engine, loaded: &tollgate_template::Loaded) -> BTreeSet<Key> {
    let (found, errors) = check(engine, loaded, &default_options());
    assert!(errors.is_empty(), "{}: {errors:?}", loaded.source.name);
    found
        .into_iter()
        .map(|f| (f.rule, f.resource, f.pointer, f.span.start, f.span.end))
        .collect()
}

#[test]
fn rego_and_guard_agree_on_the_whole_corpus() {
    let Some(root) = tollgate_corpus::corpus() else {
        return;
    };
    let rego = RegoEngine::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let (guard, errors) = GuardEngine::new();
    assert!(errors.is_empty(), "{errors:?}");
    let mut files: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| !p.ends_with("MANIFEST.tsv") && !p.ends_with("SOURCES.md"))
        .collect();
    files.sort();
    let mut checked = 0;
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let mut differences = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let bytes = std::fs::read(path).unwrap();
        let Ok(Outcome::Loaded(loaded)) = load(&rel, &bytes, &LoadOptions::default()) else {
            continue;
        };
        checked += 1;
        let r = findings(&rego, &loaded);
        let g = findings(&guard, &loaded);
        for f in &r {
            *totals.entry(f.0.clone()).or_default() += 1;
        }
        if r != g {
            differences.push(format!(
                "{rel}\n    rego only:  {:?}\n    guard only: {:?}",
                r.difference(&g).collect::<Vec<_>>(),
                g.difference(&r).collect::<Vec<_>>()
            ));
        }
    }
    println!("corpus: {checked} files checked; findings per rule: {totals:#?}");
    assert!(checked > 1600, "corpus not found at {}", root.display());
    assert!(
        differences.is_empty(),
        "{} files differ:\n{}",
        differences.len(),
        differences
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

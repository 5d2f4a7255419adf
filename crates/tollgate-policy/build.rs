//! Discovers the built-in rules: every `policies/<id>/` folder holding a `rule.toml` is one rule,
//! so adding a rule touches no Rust file. Writes `$OUT_DIR/builtin.rs`, the `BUILTIN` table that
//! `src/pack.rs` includes: the rule's four policy files and the example files its `rule.toml`
//! names, `include_str!`-ed by absolute path (the workspace layout is fixed), sorted by id.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The policy files every rule folder must hold, with the `BuiltinRule` field each fills.
const POLICY_FILES: [(&str, &str); 4] = [
    ("rego_cloudformation", "cloudformation.rego"),
    ("rego_terraform", "terraform.rego"),
    ("guard_cloudformation", "cloudformation.guard"),
    ("guard_terraform", "terraform.guard"),
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let policies = manifest.join("../../policies").canonicalize()?;
    println!("cargo:rerun-if-changed={}", policies.display());

    let mut folders: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&policies)? {
        let dir = entry?.path();
        let Some(id) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if id != "lib" && dir.join("rule.toml").is_file() {
            folders.push((id, dir));
        }
    }
    folders.sort();

    let mut out = String::from("/// Every built-in rule, sorted by id (the order `tollgate rules` lists them).\npub static BUILTIN: &[BuiltinRule] = &[\n");
    for (id, dir) in &folders {
        rule_entry(&mut out, id, dir)?;
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR")?).join("builtin.rs");
    std::fs::write(target, out)?;
    Ok(())
}

/// One `BuiltinRule { … }` literal.
fn rule_entry(out: &mut String, id: &str, dir: &Path) -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let meta = dir.join("rule.toml");
    writeln!(out, "    BuiltinRule {{\n        id: {id:?},")?;
    writeln!(out, "        meta_toml: {},", include(&meta, "")?)?;
    for (field, name) in POLICY_FILES {
        let missing = format!("policies/{id}/ has a rule.toml but no {name}");
        writeln!(
            out,
            "        {field}: {},",
            include(&dir.join(name), &missing)?
        )?;
    }
    out.push_str("        files: &[\n");
    for name in example_files(&meta)? {
        let missing = format!("policies/{id}/rule.toml: example {name} does not exist");
        let text = include(&dir.join(&name), &missing)?;
        writeln!(out, "            ({name:?}, {text}),")?;
    }
    out.push_str("        ],\n    },\n");
    Ok(())
}

/// The file names in the `[examples]` table of a `rule.toml` (relative to the rule folder).
/// Only the names are read here; `RuleMeta` checks the table's shape when the pack is loaded.
fn example_files(meta: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    let table: toml::Table = std::fs::read_to_string(meta)?.parse()?;
    let mut names = Vec::new();
    if let Some(examples) = table.get("examples").and_then(toml::Value::as_table) {
        for language in examples.values().filter_map(toml::Value::as_table) {
            names.extend(
                language
                    .values()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    Ok(names)
}

/// `include_str!("<absolute path>")`, or `missing` as the error when there is no such file.
fn include(file: &Path, missing: &str) -> Result<String, Box<dyn Error>> {
    if !file.is_file() {
        return Err(missing.into());
    }
    let path = file
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", file.display()))?;
    Ok(format!("include_str!({path:?})"))
}

//! `docs/errors.md` is true: every example under `testdata/errors/<group>/<name>.<ext>` fails
//! with the code `tollgate::<group>::<name>`, and the catalogue shows exactly what tollgate
//! prints for it (the `file:line:col: message` line and the help). Every code of
//! [`ErrorKind`] has an entry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use tollgate_template::{load, ErrorKind, LoadOptions, Outcome};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every kind, so that a new one without an entry fails here.
const KINDS: &[ErrorKind] = &[
    ErrorKind::Io,
    ErrorKind::NotUtf8,
    ErrorKind::TooLarge,
    ErrorKind::YamlSyntax,
    ErrorKind::JsonSyntax,
    ErrorKind::DuplicateKey,
    ErrorKind::UnknownTag,
    ErrorKind::TagShape,
    ErrorKind::TooDeep,
    ErrorKind::AliasLimit,
    ErrorKind::NotADocument,
    ErrorKind::RefToNothing,
    ErrorKind::IntrinsicShape,
    ErrorKind::ConditionCycle,
    ErrorKind::MissingCondition,
    ErrorKind::PlanShape,
    ErrorKind::UnknownPlanVersion,
    ErrorKind::TooManyResources,
    ErrorKind::StringTooLong,
    ErrorKind::GetAttToNothing,
    ErrorKind::SubToNothing,
    ErrorKind::VariantLimit,
    ErrorKind::ForEachShape,
    ErrorKind::ForEachUndecided,
    ErrorKind::ForEachLimit,
];

/// Limits an example sets in its first line: `# tollgate-test: max_depth=4`.
fn options_for(text: &str) -> LoadOptions {
    let mut options = LoadOptions::default();
    let Some(settings) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# tollgate-test: "))
    else {
        return options;
    };
    for setting in settings.split_whitespace() {
        let (key, value) = setting.split_once('=').unwrap();
        let value: usize = value.parse().unwrap();
        let l = &mut options.limits;
        match key {
            "max_file_bytes" => l.max_file_bytes = value,
            "max_depth" => l.max_depth = value,
            "max_alias_nodes" => l.max_alias_nodes = value,
            "max_string_len" => l.max_string_len = value,
            "max_resources" => l.max_resources = value,
            "max_undecided_conditions" => l.max_undecided_conditions = value,
            "max_expanded_nodes" => l.max_expanded_nodes = value,
            other => panic!("unknown setting {other}"),
        }
    }
    options
}

/// What tollgate prints for an example: the first line, and the help (if any).
fn printed(group: &str, file: &Path) -> (String, String, Option<String>) {
    let name = format!(
        "testdata/errors/{group}/{}",
        file.file_name().unwrap().to_string_lossy()
    );
    let bytes = std::fs::read(file).unwrap();
    let options = options_for(&String::from_utf8_lossy(&bytes));
    match load(&name, &bytes, &options) {
        Err(e) => {
            let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
            (e.kind.code().to_string(), e.to_string(), help)
        }
        // What the command line prints for a file named explicitly that is neither a
        // template nor a plan (`crates/tollgate-cli/src/commands/check.rs`).
        Ok(Outcome::Skipped(reason)) => (
            ErrorKind::NotADocument.code().to_string(),
            format!("{name}: neither a CloudFormation template nor a Terraform plan: {reason}"),
            None,
        ),
        // Errors that cost a value (the template is checked all the same), and warnings.
        Ok(Outcome::Loaded(l)) => {
            let e = l
                .errors
                .first()
                .or(l.warnings.first())
                .unwrap_or_else(|| panic!("{name} loads without an error or a warning"));
            let help = miette::Diagnostic::help(e).map(|h| h.to_string());
            (e.kind.code().to_string(), e.to_string(), help)
        }
    }
}

#[test]
fn every_example_fails_with_its_code_and_the_catalogue_shows_what_is_printed() {
    let doc = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    let mut examples = 0;
    let mut codes_with_examples = Vec::new();
    for group in ["load", "resolve", "plan"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("testdata/errors").join(group))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let stem = file.file_stem().unwrap().to_string_lossy().to_string();
            let expected = format!("tollgate::{group}::{stem}");
            let (code, line, help) = printed(group, &file);
            assert_eq!(code, expected, "{}", file.display());
            assert!(
                doc.contains(&line),
                "docs/errors.md does not show what tollgate prints for {}:\n{line}",
                file.display()
            );
            if let Some(help) = help {
                assert!(
                    doc.contains(&format!("help: {help}")),
                    "docs/errors.md does not show the help for {}:\nhelp: {help}",
                    file.display()
                );
            }
            codes_with_examples.push(code);
            examples += 1;
        }
    }
    assert!(examples >= 18, "{examples}");
    for kind in KINDS {
        let code = kind.code();
        assert!(
            doc.contains(&format!("### `{code}`")),
            "docs/errors.md has no entry for {code}"
        );
        // I/O errors come from reading the file, before the loader: the command line makes them.
        if *kind != ErrorKind::Io {
            assert!(
                codes_with_examples.iter().any(|c| c == code),
                "no example under testdata/errors for {code}"
            );
        }
    }
    for code in ["syntax", "runtime", "limit"] {
        assert!(doc.contains(&format!("### `tollgate::policy::{code}`")));
    }
}

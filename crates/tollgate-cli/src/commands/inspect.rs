//! `tollgate inspect FILE [--pointer P]`: what the policies see, and where a value is.

use crate::cli::InspectArgs;
use miette::{miette, IntoDiagnostic, Result};
use serde_json::{json, Value};
use std::process::ExitCode;
use tollgate_template::{load, pointer, LoadOptions, Outcome, PolicyInput, SourceFile, Span};

pub fn run(args: &InspectArgs) -> Result<ExitCode> {
    let stdin = args.file.as_os_str() == "-";
    let name = if stdin {
        crate::discover::STDIN_NAME.to_string()
    } else {
        args.file.display().to_string()
    };
    let bytes = super::read_file(
        &name,
        &args.file,
        stdin,
        &tollgate_template::Limits::default(),
    )?;
    let options = LoadOptions {
        parameters: crate::params::from_flags(&args.params).map_err(miette::Report::new)?,
        ..LoadOptions::default()
    };
    let loaded = match load(&name, &bytes, &options)? {
        Outcome::Loaded(l) => l,
        Outcome::Skipped(reason) => {
            return Err(miette!(
                "{name}: neither a CloudFormation template nor a Terraform plan: {reason}"
            ))
        }
    };
    let input = loaded.inputs.get(args.variant).ok_or_else(|| {
        miette!(
            "{name} has {} variant(s); --variant {} does not exist",
            loaded.inputs.len(),
            args.variant
        )
    })?;
    let out = match &args.pointer {
        None => input.value().clone(),
        Some(text) => {
            // Read as a rule's pointer is: text without a leading `/` names nothing.
            let nothing = || miette!("{name}: nothing at pointer {text}");
            let pointer = pointer::read(text).ok_or_else(nothing)?;
            // Plans: the pointer addresses the plan as written; templates: the resolved document.
            let (value, span, related) = match input {
                PolicyInput::Plan(plan) => {
                    let f = plan
                        .find_in_plan(&loaded.document, &pointer)
                        .ok_or_else(nothing)?;
                    (f.value.clone(), f.info.span, Vec::new())
                }
                PolicyInput::Template(v) => {
                    let f = v.doc.find(&pointer).ok_or_else(nothing)?;
                    (f.value.clone(), f.info.span, f.related.to_vec())
                }
            };
            let src = &loaded.source;
            json!({
                "value": value,
                "location": location(src, span),
                "related": related.iter().map(|r| json!({
                    "message": r.message,
                    "location": location(src, r.span),
                })).collect::<Vec<Value>>(),
            })
        }
    };
    let text = serde_json::to_string_pretty(&out).into_diagnostic()?;
    println!("{text}");
    for w in loaded.errors.iter().chain(&loaded.warnings) {
        let level = if w.kind.is_warning() {
            "warning"
        } else {
            "error"
        };
        eprintln!("{level}: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

fn location(src: &SourceFile, span: Span) -> Value {
    let s = src.position(span.start);
    let e = src.position(span.end);
    json!({"start": {"line": s.line, "column": s.column}, "end": {"line": e.line, "column": e.column}})
}

//! `tollgate rules`: the built-in rules as a table or JSON.

use crate::cli::{ListFormat, RulesArgs};
use crate::report::severity_name;
use miette::{miette, IntoDiagnostic, Result};
use std::process::ExitCode;

pub fn run(args: &RulesArgs) -> Result<ExitCode> {
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette!("{e}"))?;
    let text = match args.format {
        ListFormat::Json => {
            let rules: Vec<_> = meta
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "severity": m.severity,
                        "compliance": m.compliance,
                        "title": m.title,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rules).into_diagnostic()? + "\n"
        }
        ListFormat::Markdown => crate::rule_docs::table(&meta, "docs/rules/"),
        ListFormat::Table => {
            let id_w = meta.iter().map(|m| m.id.len()).max().unwrap_or(2).max(2);
            let mut out = format!(
                "{:id_w$}  {:8}  {:50}  COMPLIANCE\n",
                "ID", "SEVERITY", "TITLE"
            );
            for m in &meta {
                out.push_str(&format!(
                    "{:id_w$}  {:8}  {:50}  {}\n",
                    m.id,
                    severity_name(m.severity),
                    m.title,
                    m.compliance.join("; ")
                ));
            }
            out
        }
    };
    crate::output::stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

//! `tollgate rules`: the built-in rules (and those of `--policy-dir` policies) as a table or
//! JSON.

use crate::catalogue::RuleInfo;
use crate::cli::{ListFormat, RulesArgs};
use crate::report::severity_name;
use miette::{miette, IntoDiagnostic, Result};
use std::process::ExitCode;

pub fn run(args: &RulesArgs) -> Result<ExitCode> {
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette!("{e}"))?;
    let user = match super::user_rules(args.engine, &args.policy_dirs) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    let rules: Vec<RuleInfo> = meta
        .iter()
        .cloned()
        .map(RuleInfo::builtin)
        .chain(user)
        .collect();
    let compliance = |r: &RuleInfo| {
        r.meta
            .as_ref()
            .map(|m| m.compliance.clone())
            .unwrap_or_default()
    };
    let text = match args.format {
        ListFormat::Json => {
            let rules: Vec<_> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "severity": r.severity,
                        "compliance": compliance(r),
                        "title": r.title,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rules).into_diagnostic()? + "\n"
        }
        // The rule reference links only built-in rules.
        ListFormat::Markdown => crate::rule_docs::table(&meta, "docs/rules/"),
        ListFormat::Table => {
            // Columns as wide as their longest cell (in characters), so they line up.
            let width = |cells: &mut dyn Iterator<Item = usize>, header: &str| {
                cells.max().unwrap_or(0).max(header.chars().count())
            };
            let id_w = width(&mut rules.iter().map(|r| r.id.chars().count()), "ID");
            let title_w = width(
                &mut rules
                    .iter()
                    .map(|r| r.title.as_deref().unwrap_or_default().chars().count()),
                "TITLE",
            );
            let mut out = format!(
                "{:id_w$}  {:8}  {:title_w$}  COMPLIANCE\n",
                "ID", "SEVERITY", "TITLE"
            );
            for r in &rules {
                out.push_str(&format!(
                    "{:id_w$}  {:8}  {:title_w$}  {}\n",
                    r.id,
                    severity_name(r.severity),
                    r.title.as_deref().unwrap_or_default(),
                    compliance(r).join("; ")
                ));
            }
            out
        }
    };
    crate::output::stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

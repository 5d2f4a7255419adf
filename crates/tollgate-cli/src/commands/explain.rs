//! `tollgate explain RULE`: what a rule flags, why, how to fix it, and examples.

use crate::catalogue::RuleInfo;
use crate::cli::{ExplainArgs, ExplainFormat};
use crate::problem::Problem;
use crate::report::severity_name;
use miette::{miette, Result};
use std::process::ExitCode;

pub fn run(args: &ExplainArgs) -> Result<ExitCode> {
    let meta = tollgate_policy::pack::builtin_meta().map_err(|e| miette!("{e}"))?;
    let user = match super::user_rules(args.engine, &args.policy_dirs) {
        Ok(rules) => rules,
        Err(code) => return Ok(code),
    };
    if let Some(r) = user.iter().find(|r| r.id == args.rule) {
        crate::output::stdout(&user_rule(r, args.format))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(m) = meta.iter().find(|m| m.id == args.rule) else {
        let ids: Vec<&str> = meta
            .iter()
            .map(|m| m.id.as_str())
            .chain(user.iter().map(|r| r.id.as_str()))
            .collect();
        return Ok(super::fail(vec![Problem::file(
            "tollgate::usage::unknown-rule",
            "explain",
            format!("unknown rule {:?}", args.rule),
        )
        .with_help(format!("known rules: {}", ids.join(", ")))]));
    };
    if args.format == ExplainFormat::Markdown {
        let page = crate::rule_docs::page(m);
        crate::output::stdout(&page)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} — {}\n\nSeverity: {}\nCompliance: {}\n\n{}\n\nWhy it matters\n\n{}\n\nFix it (CloudFormation)\n\n{}\n\nFix it (Terraform)\n\n{}\n",
        m.id,
        m.title,
        severity_name(m.severity),
        m.compliance.join("; "),
        m.description.trim(),
        m.rationale.trim(),
        m.remediation.cloudformation.trim(),
        m.remediation.terraform.trim(),
    );
    for ex in crate::rule_docs::examples(m) {
        let title = if ex.flagged { "flagged" } else { "passes" };
        out.push_str(&format!(
            "\nExample ({title}, {}: {})\n\n{}",
            crate::rule_docs::kind_name(ex.kind),
            ex.path,
            indent(ex.text)
        ));
    }
    if !m.references.is_empty() {
        out.push_str("\nReferences\n\n");
        for r in &m.references {
            out.push_str(&format!("  {r}\n"));
        }
    }
    crate::output::stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// A user rule says what its policy's metadata declares: title, severity, description.
fn user_rule(r: &RuleInfo, format: ExplainFormat) -> String {
    let title = r.title.as_deref().unwrap_or("(no title)");
    let description = r.description.as_deref().unwrap_or_default().trim();
    let severity = severity_name(r.severity);
    match format {
        ExplainFormat::Markdown => {
            format!(
                "# {} — {title}

**Severity:** {severity}

{description}
",
                r.id
            )
        }
        ExplainFormat::Text => {
            format!(
                "{} — {title}

Severity: {severity}

{description}
",
                r.id
            )
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

//! The rule reference in Markdown, generated from `policies/<id>/rule.toml` and the
//! examples: `docs/rules/<id>.md`, `docs/rules/README.md`, and the rule table in README.md.
//! `tollgate explain RULE --format markdown` prints one page; a test fails when the files in
//! the repository differ from what this module renders (`TOLLGATE_UPDATE_DOCS=1` rewrites them).

use crate::examples::Examples;
use crate::report::severity_name;
use tollgate_policy::RuleMeta;

/// One rule's page.
pub fn page(m: &RuleMeta, ex: Option<&Examples>) -> String {
    let mut out = format!(
        "<!-- Generated from policies/{id}/rule.toml by `tollgate explain {id} --format markdown`; do not edit. -->\n\n# {id}: {title}\n\n| severity | compliance |\n| --- | --- |\n| {sev} | {comp} |\n\n## What it flags\n\n{desc}\n\n## Why it matters\n\n{why}\n",
        id = m.id,
        title = m.title,
        sev = severity_name(m.severity),
        comp = m.compliance.join("<br>"),
        desc = m.description.trim(),
        why = m.rationale.trim(),
    );
    if let Some(ex) = ex {
        let dir = format!("testdata/rules/{}", m.id);
        for (title, name, lang, text) in [
            (
                "Flagged: CloudFormation",
                ex.names[0].to_string(),
                "yaml",
                ex.cfn_bad,
            ),
            (
                "Passes: CloudFormation",
                ex.names[1].to_string(),
                "yaml",
                ex.cfn_good,
            ),
            (
                "Flagged: Terraform",
                format!("{}/main.tf", ex.names[2]),
                "hcl",
                ex.tf_bad,
            ),
            (
                "Passes: Terraform",
                format!("{}/main.tf", ex.names[3]),
                "hcl",
                ex.tf_good,
            ),
        ] {
            out.push_str(&format!(
                "\n## {title}\n\n`{dir}/{name}`:\n\n```{lang}\n{}\n```\n",
                text.trim_end()
            ));
        }
    }
    out.push_str(&format!(
        "\n## How to fix it: CloudFormation\n\n{}\n\n## How to fix it: Terraform\n\n{}\n",
        m.remediation.cloudformation.trim(),
        m.remediation.terraform.trim()
    ));
    out.push_str(&format!(
        "\n## Suppressing it\n\nWith a reason, on the resource (CloudFormation):\n\n```yaml\nMetadata:\n  tollgate:\n    skip:\n      - rule: {id}\n        reason: Why this resource is accepted\n```\n\nor in `tollgate.toml` (any input kind; see `docs/configuration.md`):\n\n```toml\n[[suppress]]\nrule = \"{id}\"\nresource = \"LogicalIdOrTerraformAddress\"\nreason = \"Why this resource is accepted\"\nexpires = 2027-01-31\n```\n",
        id = m.id
    ));
    if !m.references.is_empty() {
        out.push_str("\n## References\n\n");
        for r in &m.references {
            out.push_str(&format!("- <{r}>\n"));
        }
    }
    out
}

/// The rule table (README.md and docs/rules/README.md), linking each rule to its page.
pub fn table(metas: &[RuleMeta], link_prefix: &str) -> String {
    let mut out =
        String::from("| rule | severity | title | compliance |\n| --- | --- | --- | --- |\n");
    for m in metas {
        out.push_str(&format!(
            "| [`{id}`]({link_prefix}{id}.md) | {} | {} | {} |\n",
            severity_name(m.severity),
            m.title,
            m.compliance.join("<br>"),
            id = m.id
        ));
    }
    out
}

/// `docs/rules/README.md`.
#[cfg(test)]
pub fn index(metas: &[RuleMeta]) -> String {
    format!(
        "<!-- Generated from policies/*/rule.toml by the rule_docs test; do not edit. -->\n\n# Rule reference\n\nThe built-in pack: one page per rule, with what it flags, why, compliance references,\nflagged and passing examples for CloudFormation and Terraform (fixtures from\n`testdata/rules/`), and how to fix it. `tollgate rules` lists them; `tollgate explain RULE`\nprints a page in the terminal.\n\n{}",
        table(metas, "")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const README_START: &str = "<!-- rules:start (generated from policies/*/rule.toml) -->\n";
    const README_END: &str = "<!-- rules:end -->";

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
    }

    /// Compares a generated file with the repository, or rewrites it when asked.
    fn check(path: &Path, want: &str, stale: &mut Vec<String>) {
        let have = std::fs::read_to_string(path).unwrap_or_default();
        if have != want {
            if std::env::var_os("TOLLGATE_UPDATE_DOCS").is_some() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, want).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }

    #[test]
    fn rule_docs_are_up_to_date() {
        let metas = tollgate_policy::pack::builtin_meta().unwrap();
        let mut stale = Vec::new();
        let dir = root().join("docs/rules");
        for m in &metas {
            let page = page(m, crate::examples::for_rule(&m.id));
            check(&dir.join(format!("{}.md", m.id)), &page, &mut stale);
        }
        check(&dir.join("README.md"), &index(&metas), &mut stale);

        let readme_path = root().join("README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap();
        let start = readme
            .find(README_START)
            .expect("README.md has the rules:start marker");
        let end = readme
            .find(README_END)
            .expect("README.md has the rules:end marker");
        let want = format!(
            "{}{README_START}{}{}",
            &readme[..start],
            table(&metas, "docs/rules/"),
            &readme[end..]
        );
        check(&readme_path, &want, &mut stale);
        assert!(
            stale.is_empty(),
            "generated docs are out of date: {stale:?}; run `TOLLGATE_UPDATE_DOCS=1 cargo test -p tollgate-cli rule_docs`"
        );
    }
}

//! The rule reference in Markdown, generated from `policies/<id>/rule.toml` and the example
//! files it names: `docs/rules/<id>.md`, `docs/rules/README.md`, and the rule table in README.md.
//! `tollgate explain RULE --format markdown` prints one page; a test fails when the files in
//! the repository differ from what this module renders (`TOLLGATE_UPDATE_DOCS=1` rewrites them).

use crate::report::severity_name;
use tollgate_policy::{InputKind, RuleMeta};

/// One example input of a built-in rule, as `rule.toml` names it.
pub struct Example {
    /// Whether the rule flags it (or passes it).
    pub flagged: bool,
    pub kind: InputKind,
    /// From the repository root: `policies/<id>/cases/…`.
    pub path: String,
    pub text: &'static str,
}

impl Example {
    /// The fence language of a Markdown code block showing it.
    pub fn language(&self) -> &'static str {
        if self.path.ends_with(".tf") {
            "hcl"
        } else if self.path.ends_with(".json") {
            "json"
        } else {
            "yaml"
        }
    }
}

/// The examples of a built-in rule: flagged then passing, CloudFormation then Terraform.
/// Empty for a rule without examples (a test requires them of every built-in rule).
pub fn examples(m: &RuleMeta) -> Vec<Example> {
    let (Some(ex), Some(rule)) = (
        &m.examples,
        tollgate_policy::pack::BUILTIN.iter().find(|r| r.id == m.id),
    ) else {
        return Vec::new();
    };
    [
        (true, InputKind::CloudFormation, &ex.cloudformation.flagged),
        (false, InputKind::CloudFormation, &ex.cloudformation.passes),
        (true, InputKind::TerraformPlan, &ex.terraform.flagged),
        (false, InputKind::TerraformPlan, &ex.terraform.passes),
    ]
    .into_iter()
    .filter_map(|(flagged, kind, name)| {
        Some(Example {
            flagged,
            kind,
            path: format!("policies/{}/{name}", m.id),
            text: rule.file(name)?,
        })
    })
    .collect()
}

/// "CloudFormation" or "Terraform".
pub fn kind_name(kind: InputKind) -> &'static str {
    match kind {
        InputKind::CloudFormation => "CloudFormation",
        InputKind::TerraformPlan => "Terraform",
    }
}

/// One rule's page.
pub fn page(m: &RuleMeta) -> String {
    let mut out = format!(
        "<!-- Generated from policies/{id}/rule.toml by `tollgate explain {id} --format markdown`; do not edit. -->\n\n# {id}: {title}\n\n| severity | compliance |\n| --- | --- |\n| {sev} | {comp} |\n\n## What it flags\n\n{desc}\n\n## Why it matters\n\n{why}\n",
        id = m.id,
        title = m.title,
        sev = severity_name(m.severity),
        comp = m.compliance.join("<br>"),
        desc = m.description.trim(),
        why = m.rationale.trim(),
    );
    for ex in examples(m) {
        let title = if ex.flagged { "Flagged" } else { "Passes" };
        out.push_str(&format!(
            "\n## {title}: {}\n\n`{}`:\n\n```{}\n{}\n```\n",
            kind_name(ex.kind),
            ex.path,
            ex.language(),
            ex.text.trim_end()
        ));
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
        "<!-- Generated from policies/*/rule.toml by the rule_docs test; do not edit. -->\n\n# Rule reference\n\nThe built-in pack: one page per rule, with what it flags, why, compliance references,\nflagged and passing examples for CloudFormation and Terraform (cases from\n`policies/<id>/cases/`), and how to fix it. `tollgate rules` lists them; `tollgate explain RULE`\nprints a page in the terminal.\n\n{}",
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

    /// The rules an input under the repository root trips (Rego engine, default options).
    fn rules_hit(engine: &tollgate_policy::engine::rego::RegoEngine, path: &str) -> Vec<String> {
        let bytes = std::fs::read(root().join(path)).unwrap();
        let loaded = match tollgate_template::load(path, &bytes, &Default::default()) {
            Ok(tollgate_template::Outcome::Loaded(loaded)) => loaded,
            _ => panic!("{path} does not load"),
        };
        let (findings, errors) =
            tollgate_policy::check(engine, &loaded, &tollgate_policy::default_options());
        assert!(errors.is_empty(), "{path}: {errors:?}");
        findings.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn every_builtin_rule_has_examples_that_show_it() {
        let engine = tollgate_policy::engine::rego::RegoEngine::builtin().unwrap();
        for m in tollgate_policy::pack::builtin_meta().unwrap() {
            let examples = examples(&m);
            assert_eq!(examples.len(), 4, "{}: rule.toml names no [examples]", m.id);
            for ex in examples {
                // A Terraform example is shown as its main.tf; the plan beside it is checked.
                let input = match ex.kind {
                    InputKind::CloudFormation => ex.path.clone(),
                    InputKind::TerraformPlan => ex.path.replace("/main.tf", "/plan.json"),
                };
                let hit = rules_hit(&engine, &input).contains(&m.id);
                assert_eq!(hit, ex.flagged, "{input}: flagged by {}", m.id);
            }
        }
    }

    #[test]
    fn rule_docs_are_up_to_date() {
        let metas = tollgate_policy::pack::builtin_meta().unwrap();
        let mut stale = Vec::new();
        let dir = root().join("docs/rules");
        for m in &metas {
            let page = page(m);
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

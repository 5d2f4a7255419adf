//! Fingerprints and the baseline file (`--write-baseline`, `--baseline`).
//!
//! A fingerprint hashes what a finding *is* — rule, file, resource, and the path inside the
//! resource — never where it is written, so moving lines or reformatting keeps it.

use crate::problem::Problem;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use tollgate_template::pointer::{self, Pointer};

/// The stable identity of a finding. `pointer` is the pointer into the policy input; its
/// resource prefix (`/Resources/<id>` or `/resources/<i>`) is dropped, because a plan's
/// resource index shifts when resources are added, and the resource is hashed by name.
pub fn fingerprint(rule: &str, file: &str, resource: &str, pointer: &Pointer) -> String {
    let inner = resource_relative(pointer);
    let mut h = Sha256::new();
    for part in [rule, &normalize_path(file), resource, inner.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `./a\b.yaml` and `a/b.yaml` are the same file.
pub fn normalize_path(file: &str) -> String {
    let p = file.replace('\\', "/");
    p.strip_prefix("./").unwrap_or(&p).to_string()
}

/// The pointer below `/Resources/<id>` or `/resources/<i>`; any other pointer whole.
fn resource_relative(pointer: &Pointer) -> &Pointer {
    let below_resource = pointer.split_front().and_then(|(first, rest)| {
        let section = first.decoded();
        let is_resources =
            section == pointer::TEMPLATE_RESOURCES || section == pointer::PLAN_RESOURCES;
        is_resources.then(|| rest.split_front()).flatten()
    });
    below_resource.map_or(pointer, |(_, inner)| inner)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding; everything but `fingerprint` is there for the reader of the file.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
    pub resource: String,
    pub path: String,
}

/// The fingerprints of a baseline file.
pub fn read(path: &Path) -> Result<HashSet<String>, Problem> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Problem::file(
            "tollgate::baseline::invalid",
            &name,
            format!("cannot read: {e}"),
        )
        .with_help("create one with `tollgate check --write-baseline FILE`")
    })?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|e| {
        let src = tollgate_template::SourceFile::new(name.as_str(), text.as_str());
        let offset = src.line_start(e.line()) + e.column().saturating_sub(1);
        Problem::at(
            "tollgate::baseline::invalid",
            &src,
            offset..offset,
            "here",
            format!("not a tollgate baseline: {e}"),
        )
        .with_help(
            "a baseline is {\"version\": 1, \"findings\": [...]}, written by --write-baseline FILE",
        )
    })?;
    if file.version != 1 {
        return Err(Problem::file(
            "tollgate::baseline::invalid",
            &name,
            format!(
                "baseline version {} is not supported (expected 1)",
                file.version
            ),
        ));
    }
    Ok(file.findings.into_iter().map(|f| f.fingerprint).collect())
}

/// The baseline file's text for these findings, sorted so it diffs well in review.
pub fn render(mut findings: Vec<BaselineEntry>) -> String {
    findings.sort();
    findings.dedup();
    let file = BaselineFile {
        version: 1,
        findings,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(file: &str, resource: &str, pointer: &'static str) -> String {
        fingerprint("r", file, resource, Pointer::from_static(pointer))
    }

    #[test]
    fn fingerprint_ignores_the_resource_position_in_a_plan() {
        let a = fp(
            "p.json",
            "aws_security_group.a",
            "/resources/3/after/ingress/0",
        );
        let b = fp(
            "./p.json",
            "aws_security_group.a",
            "/resources/7/after/ingress/0",
        );
        assert_eq!(a, b);
        let c = fp(
            "p.json",
            "aws_security_group.b",
            "/resources/3/after/ingress/0",
        );
        assert_ne!(a, c);
        let d = fp(
            "p.json",
            "aws_security_group.a",
            "/resources/3/after/ingress/1",
        );
        assert_ne!(a, d);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn fingerprint_keeps_the_path_inside_a_template_resource() {
        let a = fp(
            "t.yaml",
            "Sg",
            "/Resources/Sg/Properties/SecurityGroupIngress/0",
        );
        let b = fp(
            "t.yaml",
            "Sg",
            "/Resources/Sg/Properties/SecurityGroupIngress/1",
        );
        assert_ne!(a, b);
        let relative = |p: &'static str| resource_relative(Pointer::from_static(p)).as_str();
        assert_eq!(relative("/Resources/Sg"), "");
        assert_eq!(relative("/Resources/a~1b/Properties"), "/Properties");
        assert_eq!(relative("/Resources"), "/Resources");
        assert_eq!(relative("/Outputs/X"), "/Outputs/X");
    }
}

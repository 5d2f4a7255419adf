//! What a parsed file is, decided by its content, not its name.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    CloudFormation,
    TerraformPlan,
    /// Why it is neither (shown with `--verbose`).
    Neither(String),
}

pub fn detect(value: &Value) -> Detected {
    let Some(root) = value.as_object() else {
        return Detected::Neither(not_a_mapping(value));
    };
    if root.contains_key("format_version")
        && (root.contains_key("planned_values") || root.contains_key("resource_changes"))
    {
        return Detected::TerraformPlan;
    }
    let is_sam = match root.get("Transform") {
        Some(Value::String(t)) => t.starts_with("AWS::Serverless"),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with("AWS::Serverless"))),
        _ => false,
    };
    match root.get("Resources") {
        Some(Value::Object(res)) => {
            let typed = res.values().any(|r| {
                r.get("Type").and_then(Value::as_str).is_some_and(|t| {
                    t.starts_with("AWS::") || t.starts_with("Custom::") || t.starts_with("Alexa::")
                })
            });
            // `Fn::ForEach::Name` loops (AWS::LanguageExtensions) are resources too.
            let loops = res.keys().any(|k| k.starts_with("Fn::ForEach::"));
            if typed || is_sam || loops {
                Detected::CloudFormation
            } else {
                Detected::Neither("Resources has no entry with an AWS:: or Custom:: Type".into())
            }
        }
        Some(_) => Detected::Neither("Resources is not a mapping".into()),
        None if root.contains_key("format_version") => Detected::Neither(
            "has format_version but neither planned_values nor resource_changes".into(),
        ),
        None => Detected::Neither("no Resources section and not a Terraform plan".into()),
    }
}

/// A SAM template (`Transform: AWS::Serverless-2016-10-31`, alone or in a list).
pub fn is_sam(value: &Value) -> bool {
    match value.get("Transform") {
        Some(Value::String(t)) => t.starts_with("AWS::Serverless"),
        Some(Value::Array(ts)) => ts
            .iter()
            .any(|t| t.as_str().is_some_and(|t| t.starts_with("AWS::Serverless"))),
        _ => false,
    }
}

/// Why a document that is not a mapping is neither a template nor a plan.
fn not_a_mapping(value: &Value) -> String {
    let what = match value {
        Value::Null => return "the document is empty (null)".into(),
        Value::Bool(_) => "a lone boolean",
        Value::Number(_) => "a lone number",
        Value::String(_) => "a lone string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    format!("the document is {what}, not a mapping with a Resources section")
}

/// Whether a file is worth parsing strictly, by cheap signs in its raw bytes (no decoding, no
/// parsing): `None` when it may be a template or a plan, else why it is not one.
///
/// A repository holds much YAML and JSON that is neither (Helm charts, Kubernetes manifests,
/// JSON with comments, mkdocs with `!ENV`, Ansible with `!vault`, Latin-1 files): those are
/// skipped here, before the strict parser could call them broken. The signs, any of which
/// makes a candidate (documented in `docs/input-documents.md`):
/// - a top-level `AWSTemplateFormatVersion` key;
/// - a top-level `Resources` key and a `Type` whose value starts with `AWS::`, `Custom::` or
///   `Alexa::`;
/// - a top-level `Transform` and `AWS::Serverless` (SAM) or `AWS::LanguageExtensions`
///   (`Fn::ForEach` loops);
/// - a `format_version` key with `terraform_version` or `resource_changes` (a plan).
///
/// "Top-level" in YAML means at the start of a line; in text that starts like JSON (`{`) a
/// key anywhere counts (a minified template is one line). A candidate that then fails to
/// parse is an error; one that parses but is neither (`detect`) is skipped.
pub fn not_a_candidate(bytes: &[u8]) -> Option<String> {
    let text = Text::new(bytes);
    let plan = text.has_key(b"format_version", false)
        && (text.has_key(b"terraform_version", false) || text.has_key(b"resource_changes", false));
    let template = text.has_key(b"AWSTemplateFormatVersion", true)
        || (text.has_key(b"Resources", true) && text.has_resource_type())
        || (text.has_key(b"Transform", true)
            && (text.contains(b"AWS::Serverless") || text.contains(b"AWS::LanguageExtensions")));
    if plan || template {
        return None;
    }
    let looks_like = text.looks_like();
    Some(format!(
        "no top-level AWSTemplateFormatVersion, Resources with an AWS::… Type, SAM Transform \
         or plan format_version{looks_like}"
    ))
}

/// The raw bytes of a file, searched for keys. UTF-16 text (every other byte NUL) is
/// searched with its NUL bytes dropped, so a template saved as UTF-16 still gets the
/// loader's "must be UTF-8" error rather than a silent skip.
struct Text<'a> {
    bytes: std::borrow::Cow<'a, [u8]>,
    /// Starts like JSON: keys count wherever they are.
    json: bool,
    /// YAML: the indentation of the first line with content; top-level keys sit there
    /// (some templates indent the whole document).
    top_indent: usize,
}

/// The indentation of the first line that is not blank, a comment, a directive or `---`.
fn top_indent(bytes: &[u8]) -> usize {
    bytes
        .split(|b| *b == b'\n')
        .map(|line| {
            let indent = line.iter().take_while(|b| **b == b' ').count();
            (indent, line[indent..].trim_ascii())
        })
        .find(|(_, rest)| {
            !rest.is_empty()
                && !rest.starts_with(b"#")
                && !rest.starts_with(b"%")
                && *rest != b"---"
        })
        .map_or(0, |(indent, _)| indent)
}

impl<'a> Text<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let nul = bytes.iter().take(4096).filter(|b| **b == 0).count();
        let bytes: std::borrow::Cow<'a, [u8]> = if nul * 4 > bytes.len().min(4096) {
            bytes
                .iter()
                .copied()
                .filter(|b| *b != 0)
                .collect::<Vec<u8>>()
                .into()
        } else {
            bytes.into()
        };
        // A byte-order mark is not the start of the first line.
        let bom = bytes
            .iter()
            .take(3)
            .take_while(|b| matches!(b, 0xEF | 0xBB | 0xBF | 0xFF | 0xFE))
            .count();
        let bytes = match bytes {
            std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(&b[bom..]),
            std::borrow::Cow::Owned(mut b) => {
                b.drain(..bom);
                std::borrow::Cow::Owned(b)
            }
        };
        let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let top_indent = top_indent(&bytes);
        Text {
            bytes,
            json,
            top_indent,
        }
    }

    fn contains(&self, needle: &[u8]) -> bool {
        memchr::memmem::find(&self.bytes, needle).is_some()
    }

    /// Every offset just after `key` written as a mapping key (optionally quoted, then `:`);
    /// with `top_level` and YAML text, only keys at the start of a line.
    fn key_ends<'s>(&'s self, key: &'s [u8], top_level: bool) -> impl Iterator<Item = usize> + 's {
        let b: &'s [u8] = &self.bytes;
        memchr::memmem::find_iter(b, key).filter_map(move |at| {
            let mut start = at;
            if start > 0 && matches!(b[start - 1], b'"' | b'\'') {
                start -= 1;
            }
            let before_ok = if top_level && !self.json {
                let line_start = b[..start]
                    .iter()
                    .rposition(|c| *c == b'\n')
                    .map_or(0, |i| i + 1);
                start - line_start == self.top_indent
                    && b[line_start..start].iter().all(|c| *c == b' ')
            } else {
                start == 0 || !b[start - 1].is_ascii_alphanumeric() && b[start - 1] != b'_'
            };
            if !before_ok {
                return None;
            }
            let mut end = at + key.len();
            if matches!(b.get(end), Some(b'"' | b'\'')) {
                end += 1;
            }
            while matches!(b.get(end), Some(b' ' | b'\t')) {
                end += 1;
            }
            (b.get(end) == Some(&b':')).then_some(end + 1)
        })
    }

    fn has_key(&self, key: &[u8], top_level: bool) -> bool {
        self.key_ends(key, top_level).next().is_some()
    }

    /// A `Type` key whose value starts with `AWS::`, `Custom::` or `Alexa::`.
    fn has_resource_type(&self) -> bool {
        self.key_ends(b"Type", false).any(|end| {
            let rest = &self.bytes[end..];
            let rest = rest
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'"' | b'\''))
                .map_or(&[][..], |i| &rest[i..]);
            [&b"AWS::"[..], b"Custom::", b"Alexa::"]
                .iter()
                .any(|p| rest.starts_with(p))
        })
    }

    /// What the file seems to be instead, for the skip reason (` (a Helm chart template)`).
    fn looks_like(&self) -> &'static str {
        if self.contains(b"{{") && self.contains(b"}}") {
            " (it holds `{{ … }}` directives: a Helm chart or similar)"
        } else if self.has_key(b"apiVersion", true) && self.has_key(b"kind", true) {
            " (it looks like a Kubernetes manifest)"
        } else if self.has_key(b"openapi", true) || self.has_key(b"swagger", true) {
            " (it looks like an OpenAPI document)"
        } else if self.has_key(b"service", true) && self.has_key(b"provider", true) {
            " (it looks like a Serverless Framework file)"
        } else if self.has_key(b"services", true) {
            " (it looks like a Compose file)"
        } else {
            ""
        }
    }
}

#[cfg(test)]
mod tests {
    use super::not_a_candidate;

    fn candidate(text: &str) -> bool {
        not_a_candidate(text.as_bytes()).is_none()
    }

    #[test]
    fn templates_and_plans_are_candidates() {
        assert!(candidate("AWSTemplateFormatVersion: '2010-09-09'\n"));
        assert!(candidate("\u{feff}AWSTemplateFormatVersion: x\r\n"));
        assert!(candidate(
            "# c\n---\n  AWSTemplateFormatVersion: x\n  Resources: {}\n"
        ));
        assert!(candidate("Resources:\n  B:\n    Type: 'AWS::S3::Bucket'\n"));
        assert!(candidate("Resources:\n  R:\n    Type: Custom::Thing\n"));
        assert!(candidate(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: Fn\n"
        ));
        assert!(candidate(
            r#"{"Resources":{"B":{"Type":"AWS::S3::Bucket"}}}"#
        ));
        assert!(candidate(
            r#"{"configuration":{},"format_version":"1.2","terraform_version":"1.9.0"}"#
        ));
    }

    #[test]
    fn other_files_are_not_candidates_whatever_they_hold() {
        for text in [
            "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\n{{- end }}\n",
            "apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n",
            "site_name: x\nextra:\n  key: !ENV [KEY, default]\n",
            "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n",
            "{\n  // comment\n  \"compilerOptions\": {}\n}\n",
            "FOO=bar\nRESOURCES=1\n",
            "service: api\nprovider:\n  name: aws\nresources:\n  Resources:\n    T:\n      Type: AWS::SNS::Topic\n",
            "openapi: 3.0.0\npaths: {}\n",
            // A key only nested, not at the top: a value that happens to look like one.
            "docs:\n  AWSTemplateFormatVersion: x\n",
            "Description: Type: AWS::S3::Bucket\n",
        ] {
            assert!(!candidate(text), "{text}");
        }
        // Not UTF-8 at all.
        assert!(not_a_candidate(b"name: caf\xe9\n").is_some());
        assert!(not_a_candidate(b"{{ x }}\n").is_some_and(|r| r.contains("Helm chart")));
    }
}

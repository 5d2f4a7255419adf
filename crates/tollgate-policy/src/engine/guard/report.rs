//! cfn-guard's structured report (`validate --payload --structured --output-format json`), read
//! through serde types that mirror the parts of its JSON tollgate uses (cfn-guard 3.2.1,
//! `rules/eval_context.rs`: `FileReport`, `ClauseReport` and what they hold; fields not
//! listed are ignored), and the failing checks ([`Hit`]s) found in it.

use serde::Deserialize;
use serde_json::Value;
use tollgate_template::PointerBuf;

/// The report on one document.
#[derive(Debug, Deserialize)]
pub(super) struct FileReport {
    #[serde(default)]
    not_compliant: Vec<ClauseReport>,
}

#[derive(Debug, Deserialize)]
enum ClauseReport {
    Rule(RuleReport),
    Block(BlockReport),
    Disjunctions(DisjunctionsReport),
    Clause(GuardClauseReport),
}

#[derive(Debug, Deserialize)]
struct RuleReport {
    name: String,
    #[serde(default)]
    messages: Messages,
    #[serde(default)]
    checks: Vec<ClauseReport>,
}

#[derive(Debug, Default, Deserialize)]
struct Messages {
    custom_message: Option<String>,
    error_message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DisjunctionsReport {
    #[serde(default)]
    checks: Vec<ClauseReport>,
}

/// A `when` block or a named-rule call whose selection did not resolve.
#[derive(Debug, Deserialize)]
struct BlockReport {
    #[serde(default)]
    messages: Messages,
    unresolved: Option<UnResolved>,
}

/// A query that stopped early: the deepest value it reached.
#[derive(Debug, Deserialize)]
struct UnResolved {
    traversed_to: PathValue,
}

/// cfn-guard's `PathAwareValue` as it serializes it.
#[derive(Debug, Deserialize)]
struct PathValue {
    path: String,
    value: Value,
}

#[derive(Debug, Deserialize)]
enum GuardClauseReport {
    Unary(UnaryReport),
    Binary(BinaryReport),
}

#[derive(Debug, Deserialize)]
struct UnaryReport {
    #[serde(default)]
    messages: Messages,
    check: UnaryCheck,
}

#[derive(Debug, Deserialize)]
enum UnaryCheck {
    UnResolved(ValueUnResolved),
    Resolved(UnaryComparison),
    /// A variable that did not resolve: no value to point at.
    UnResolvedContext(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
struct ValueUnResolved {
    value: UnResolved,
}

#[derive(Debug, Deserialize)]
struct UnaryComparison {
    value: PathValue,
}

#[derive(Debug, Deserialize)]
struct BinaryReport {
    #[serde(default)]
    messages: Messages,
    check: BinaryCheck,
}

#[derive(Debug, Deserialize)]
enum BinaryCheck {
    UnResolved(ValueUnResolved),
    Resolved(BinaryComparison),
    InResolved(InComparison),
}

#[derive(Debug, Deserialize)]
struct BinaryComparison {
    from: PathValue,
    to: PathValue,
}

#[derive(Debug, Deserialize)]
struct InComparison {
    from: PathValue,
}

/// One failing check, as Guard reported it.
#[derive(Debug, Default)]
pub(super) struct Hit {
    pub rule: String,
    /// The path of the offending value in the unit (for a missing value: the deepest node
    /// that exists), one token per segment of Guard's path: Guard joins keys with `/`
    /// without escaping them, so a key holding `/` is several tokens here until
    /// `findings::to_pointer` recovers it from the input. `None`: Guard reported no value.
    pub path: Option<PointerBuf>,
    pub missing: bool,
    pub value: Option<Value>,
    /// The other side of a binary comparison.
    pub to: Option<Value>,
    pub custom: Option<String>,
    pub error: Option<String>,
}

impl FileReport {
    /// The failing checks of every failed rule; a rule that failed without a failing check
    /// (cfn-guard reports an empty list when it could name nothing) is one hit without a path.
    pub(super) fn hits(self) -> Vec<Hit> {
        let mut hits = Vec::new();
        for entry in self.not_compliant {
            let ClauseReport::Rule(rule) = entry else {
                continue;
            };
            let before = hits.len();
            walk(rule.checks, &rule.name, &mut hits);
            if hits.len() == before {
                hits.push(Hit {
                    rule: rule.name,
                    custom: rule.messages.custom_message,
                    error: rule.messages.error_message,
                    ..Hit::default()
                });
            }
        }
        hits
    }
}

fn walk(checks: Vec<ClauseReport>, rule: &str, hits: &mut Vec<Hit>) {
    for check in checks {
        match check {
            // A rule called from this one: its failures are this rule's.
            ClauseReport::Rule(nested) => walk(nested.checks, rule, hits),
            ClauseReport::Disjunctions(d) => walk(d.checks, rule, hits),
            ClauseReport::Block(block) => {
                let missing = block.unresolved.is_some();
                let at = block.unresolved.map(|u| u.traversed_to);
                hits.push(Hit {
                    rule: rule.to_string(),
                    missing,
                    ..located(at, None, block.messages)
                });
            }
            ClauseReport::Clause(GuardClauseReport::Unary(u)) => {
                let (at, missing) = match u.check {
                    UnaryCheck::Resolved(r) => (Some(r.value), false),
                    UnaryCheck::UnResolved(r) => (Some(r.value.traversed_to), true),
                    UnaryCheck::UnResolvedContext(_) => (None, false),
                };
                hits.push(Hit {
                    rule: rule.to_string(),
                    missing,
                    ..located(at, None, u.messages)
                });
            }
            ClauseReport::Clause(GuardClauseReport::Binary(b)) => {
                let (at, to, missing) = match b.check {
                    BinaryCheck::Resolved(r) => (Some(r.from), Some(r.to.value), false),
                    BinaryCheck::UnResolved(r) => (Some(r.value.traversed_to), None, true),
                    BinaryCheck::InResolved(r) => (Some(r.from), None, false),
                };
                hits.push(Hit {
                    rule: rule.to_string(),
                    missing,
                    ..located(at, to, b.messages)
                });
            }
        }
    }
}

/// A hit at `at` (path and value), with the other side `to` and the clause's messages.
fn located(at: Option<PathValue>, to: Option<Value>, messages: Messages) -> Hit {
    let (path, value) = match at {
        Some(PathValue { path, value }) => (Some(segments(&path)), Some(value)),
        None => (None, None),
    };
    Hit {
        path,
        value,
        to,
        custom: messages.custom_message,
        error: messages.error_message,
        ..Hit::default()
    }
}

/// Guard's path (`/Resources/A/Properties/Port`) as one token per segment; `""` and `/` are
/// the root.
pub(super) fn segments(path: &str) -> PointerBuf {
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return PointerBuf::new();
    }
    PointerBuf::from_tokens(path.split('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_are_read_into_hits() {
        let report = json!({"name": "", "not_compliant": [
            {"Rule": {"name": "r", "messages": {"custom_message": null, "error_message": null},
              "checks": [
                {"Clause": {"Binary": {"context": "c", "messages": {"custom_message": "m", "error_message": null},
                  "check": {"Resolved": {"from": {"path": "/Resources/A/Properties/Port", "value": 22},
                                         "to": {"path": "", "value": 3389}, "comparison": ["Eq", true]}}}}},
                {"Disjunctions": {"checks": [
                  {"Block": {"context": "b", "messages": {}, "unresolved": {
                      "traversed_to": {"path": "/Resources/A", "value": {}}, "remaining_query": "x", "reason": null}}}]}},
                {"Clause": {"Unary": {"context": "u", "messages": {}, "check": {"UnResolvedContext": "x"}}}}
              ]}},
            {"Rule": {"name": "empty", "messages": {"custom_message": "c"}, "checks": []}}
        ], "compliant": []});
        let hits = FileReport::deserialize(&report).map(FileReport::hits);
        let hits = hits.unwrap_or_default();
        assert_eq!(hits.len(), 4, "{hits:?}");
        let path = |i: usize| hits[i].path.as_ref().map(|p| p.as_str());
        assert_eq!(path(0), Some("/Resources/A/Properties/Port"));
        assert_eq!(
            (hits[0].to.clone(), hits[0].custom.as_deref()),
            (Some(json!(3389)), Some("m"))
        );
        assert!(hits[1].missing && path(1) == Some("/Resources/A"));
        assert!(hits[2].path.is_none());
        assert_eq!(
            (hits[3].rule.as_str(), hits[3].custom.as_deref()),
            ("empty", Some("c"))
        );
    }
}

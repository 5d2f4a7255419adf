//! The intrinsic functions computed from known arguments (`Fn::Join`, `Fn::Sub`,
//! `Fn::FindInMap`, …), and the mapping lookups they need.

use super::context::{short, Context, Param};
use crate::index::{Indexed, Related};
use crate::value::scalar_text;
use base64::Engine as _;
use serde_json::{Map, Value};

/// A computed value and where its parts were defined (a mapping entry, a parameter default).
type Computed = (Value, Vec<Related>);

/// Computes an intrinsic whose arguments are all known; `None` when it cannot be known
/// before deployment (or its arguments have the wrong shape).
pub(super) fn compute(f: &str, args: &Value, ctx: &Context<'_>) -> Option<Computed> {
    let plain = |v: Value| Some((v, Vec::new()));
    match f {
        "Fn::Join" => {
            let [delim, list] = args.as_array()?.as_slice() else {
                return None;
            };
            let delim = delim.as_str()?;
            let parts: Option<Vec<String>> = list.as_array()?.iter().map(scalar_text).collect();
            plain(Value::String(parts?.join(delim)))
        }
        "Fn::Select" => {
            let [i, list] = args.as_array()?.as_slice() else {
                return None;
            };
            let i: usize = scalar_text(i)?.parse().ok()?;
            plain(list.as_array()?.get(i)?.clone())
        }
        "Fn::Split" => {
            let [delim, s] = args.as_array()?.as_slice() else {
                return None;
            };
            let parts = s.as_str()?.split(delim.as_str()?);
            plain(Value::Array(
                parts.map(|p| Value::String(p.to_string())).collect(),
            ))
        }
        "Fn::Base64" => plain(Value::String(
            base64::engine::general_purpose::STANDARD.encode(scalar_text(args)?),
        )),
        "Fn::Sub" => {
            let (text, vars) = match args {
                Value::String(s) => (s.as_str(), None),
                Value::Array(a) => match a.as_slice() {
                    [Value::String(s)] => (s.as_str(), None),
                    [Value::String(s), Value::Object(v)] => (s.as_str(), Some(v)),
                    _ => return None,
                },
                _ => return None,
            };
            substitute(text, vars, ctx).map(|(s, related)| (Value::String(s), related))
        }
        "Fn::FindInMap" => {
            let a = args.as_array()?;
            let (m, top, second) = (
                scalar_text(a.first()?)?,
                scalar_text(a.get(1)?)?,
                scalar_text(a.get(2)?)?,
            );
            match map_entry(ctx, &m, &top, &second) {
                Some((v, related)) => Some((v.clone(), vec![related])),
                None => a
                    .get(3)
                    .and_then(|d| d.get("DefaultValue"))
                    .map(|d| (d.clone(), Vec::new())),
            }
        }
        "Fn::Length" => plain(Value::from(args.as_array()?.len())),
        // Compact JSON, members in the order written, as CloudFormation writes it.
        "Fn::ToJsonString" if args.is_object() || args.is_array() => {
            plain(Value::String(serde_json::to_string(args).ok()?))
        }
        _ => None,
    }
}

/// The entry `m.top.second` of the template's `Mappings`, with its location as related.
pub(super) fn map_entry<'c>(
    ctx: &Context<'c>,
    m: &str,
    top: &str,
    second: &str,
) -> Option<(&'c Value, Related)> {
    let (maps, midx) = ctx.mappings?;
    let found = maps.get(m)?.get(top)?.get(second)?;
    let tpl = ctx.template;
    let span = maps_entry_node(tpl, midx, maps, [m, top, second])
        .map(|i| tpl.span(i))
        .unwrap_or_default();
    let message = format!("{} comes from mapping {m}.{top}.{second}", short(found));
    Some((found, Related { span, message }))
}

/// The node index of `Mappings.m.top.second` (the `Mappings` section at node `idx`).
fn maps_entry_node(tpl: &Indexed, mut idx: usize, maps: &Value, path: [&str; 3]) -> Option<usize> {
    let mut value = maps;
    for key in path {
        let child = tpl.member(idx, value, key)?;
        (idx, value) = (child.idx, child.value);
    }
    Some(idx)
}

/// `Fn::Sub` substitution; `None` when any variable is unknown before deployment.
fn substitute(
    text: &str,
    vars: Option<&Map<String, Value>>,
    ctx: &Context<'_>,
) -> Option<(String, Vec<Related>)> {
    let mut out = String::with_capacity(text.len());
    let mut related = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(literal);
            out.push('}');
        } else if let Some(v) = vars.and_then(|v| v.get(name)) {
            out.push_str(&scalar_text(v)?);
        } else if let Some(Param {
            value: Some(v),
            related: r,
        }) = ctx.params.get(name)
        {
            out.push_str(&scalar_text(v)?);
            related.extend(r.iter().cloned());
        } else {
            return None;
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some((out, related))
}

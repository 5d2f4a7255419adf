//! One module per subcommand.

pub mod check;
pub mod inspect;

use miette::{miette, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// `KEY=VALUE` pairs from `--param`.
pub fn parse_params(raw: &[String]) -> Result<BTreeMap<String, Value>> {
    raw.iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), Value::String(v.to_string())))
                .ok_or_else(|| miette!("--param {p:?} is not KEY=VALUE"))
        })
        .collect()
}

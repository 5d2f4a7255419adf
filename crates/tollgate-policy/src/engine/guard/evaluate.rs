//! Evaluating one Guard policy file on one document: its units in batches, on all cores,
//! through cfn-guard's `validate` in payload mode; each hit's path mapped back to the input
//! by its unit's chunk map before findings are made.

use cfn_guard::commands::validate::{OutputFormatType, ShowSummaryType};
use cfn_guard::commands::Executable;
use cfn_guard::utils::reader::{ReadBuffer, Reader};
use cfn_guard::utils::writer::{WriteBuffer, Writer};
use cfn_guard::{CommandBuilder, ValidateBuilder};
use rayon::prelude::*;
use serde_json::Value;
use tollgate_template::InputKind;

use super::findings::findings_from_hits;
use super::report::{FileReport, Hit};
use super::units::{batches, build_units, Unit};
use super::{GuardEngine, GuardPolicy};
use crate::engine::EvalError;
use crate::finding::RawFinding;

impl GuardEngine {
    /// Evaluates one policy file on one document.
    pub(super) fn evaluate_policy(
        &self,
        policy: &GuardPolicy,
        kind: InputKind,
        input: &Value,
        options: &Value,
    ) -> (Vec<RawFinding>, Option<EvalError>) {
        let runtime = |message: String| EvalError::Runtime {
            file: policy.file.clone(),
            message,
        };
        let units = match build_units(policy, kind, input, options) {
            Ok(units) => units,
            Err(e) => return (Vec::new(), Some(runtime(e.to_string()))),
        };
        // Batches are independent: evaluate them on all cores, keep their order.
        let results: Vec<Result<Vec<Hit>, String>> = batches(&units)
            .into_par_iter()
            .map(|batch| {
                let reports = run_batch(&policy.source, batch)?;
                let mut hits = Vec::new();
                for (unit, report) in batch.iter().zip(reports) {
                    for mut hit in report.hits() {
                        if let Some(path) = &mut hit.path {
                            unit.map.to_input(path);
                        }
                        hits.push(hit);
                    }
                }
                Ok(hits)
            })
            .collect();
        let mut hits: Vec<Hit> = Vec::new();
        for result in results {
            match result {
                Ok(mut h) => hits.append(&mut h),
                Err(message) => {
                    return (Vec::new(), Some(runtime(message)));
                }
            }
        }
        findings_from_hits(policy, kind, input, hits)
    }
}

/// Evaluates one rule file on a batch of documents; one structured report per document.
fn run_batch(source: &str, batch: &[Unit]) -> Result<Vec<FileReport>, String> {
    let data: Vec<&str> = batch.iter().map(|u| u.json.as_str()).collect();
    let payload = serde_json::json!({ "rules": [source], "data": data }).to_string();
    let command = ValidateBuilder::default()
        .payload(true)
        .structured(true)
        .output_format(OutputFormatType::JSON)
        .show_summary(vec![ShowSummaryType::None])
        .try_build()
        .map_err(|e| e.to_string())?;
    let mut reader = Reader::new(ReadBuffer::Cursor(std::io::Cursor::new(
        payload.into_bytes(),
    )));
    let mut writer =
        Writer::new_with_err(WriteBuffer::Vec(Vec::new()), WriteBuffer::Vec(Vec::new()))
            .map_err(|e| e.to_string())?;
    command
        .execute(&mut writer, &mut reader)
        .map_err(|e| e.to_string())?;
    let text = writer.into_string().map_err(|e| e.to_string())?;
    let reports: Vec<FileReport> =
        serde_json::from_str(&text).map_err(|e| format!("unreadable cfn-guard report: {e}"))?;
    if reports.len() != batch.len() {
        return Err(format!(
            "cfn-guard reported on {} documents instead of {}",
            reports.len(),
            batch.len()
        ));
    }
    Ok(reports)
}

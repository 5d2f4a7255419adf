//! CloudFormation YAML → value + span index.
//!
//! `saphyr-parser` (a maintained, YAML 1.2 compliant event parser that reports spans) does
//! the scanning. This module turns its events into JSON values the way CloudFormation reads
//! them: short-form tags become their long forms (`!GetAtt A.B` → `{"Fn::GetAtt": ["A",
//! "B"]}`), duplicate keys are rejected, aliases are expanded under a hard bound, and plain
//! scalars get YAML 1.2 core-schema types. Where libyaml (PyYAML: what cfn-lint and checkov
//! read templates with) is more lenient than saphyr about indentation, `compat` makes the
//! loader lenient too.
//!
//! The jobs are apart: `events` (saphyr's events with byte spans, its errors as
//! diagnostics), `builder` (events → value and span index, duplicate keys), `spans` (where a
//! node as written starts and ends), `limits` (nesting, string length, alias expansion),
//! `tags` (short forms → long forms, their argument shapes) and `scalars` (plain scalars'
//! types).

use crate::error::LoadError;
use crate::index::Indexed;
use crate::source::SourceFile;
use crate::Limits;
use builder::build;
use events::{collect, scan_error, CharOffsets, ScanFailure, Stop};

mod builder;
mod compat;
mod events;
mod limits;
mod scalars;
mod spans;
mod tags;

pub fn parse(src: &SourceFile, limits: &Limits) -> Result<Indexed, LoadError> {
    parse_with_warnings(src, limits).map(|(doc, _)| doc)
}

/// [`parse`], with the warnings about the document: tags that are not CloudFormation's
/// (`!Rain::Embed`, …), each kept as an unknown value in its long form.
pub fn parse_with_warnings(
    src: &SourceFile,
    limits: &Limits,
) -> Result<(Indexed, Vec<LoadError>), LoadError> {
    let offsets = CharOffsets::new(&src.text);
    let failure = match collect(src, &src.text, &offsets) {
        Ok(events) => return build(src, limits, &events),
        Err(Stop::Load(error)) => return Err(error),
        Err(Stop::Scan(failure)) => failure,
    };
    // saphyr follows YAML 1.2 on indentation where libyaml (PyYAML, cfn-lint, checkov) does
    // not: see `compat`. Only a file saphyr rejects takes this path.
    if compat::tolerable(failure.error.info()) {
        if let Some(parsed) = tolerant(src, limits, &failure)? {
            return Ok(parsed);
        }
    }
    Err(scan_error(src, &failure))
}

/// Re-parses a file saphyr rejected for the indentation of a flow collection or of a quoted
/// scalar's continuation line, with those lines indented further (which changes no value:
/// leading white space is not content there), or for a tab after a mapping's `:`, with that
/// tab made a space; spans still point into the original text. `None` when that does not
/// help: the original error stands.
fn tolerant(
    src: &SourceFile,
    limits: &Limits,
    first: &ScanFailure,
) -> Result<Option<(Indexed, Vec<LoadError>)>, LoadError> {
    let found = compat::scan(&src.text);
    let regions = &found.regions;
    let mut padded = vec![false; regions.len()];
    let mut tabs: Vec<usize> = Vec::new();
    let mut at = first.at;
    let mut info = first.error.info().to_string();
    let mut reparsed = 0usize;
    for round in 0..compat::MAX_ROUNDS {
        if let Some(tab) = compat::tab_separator(&src.text, at, &info) {
            if tab.iter().any(|t| tabs.contains(t)) {
                return Ok(None);
            }
            if tabs.is_empty() {
                tabs.extend(tab);
            } else {
                // A second one: the file is written this way throughout.
                tabs.extend(tab);
                tabs.extend(compat::all_tab_separators(&src.text, &found));
            }
            tabs.sort_unstable();
            tabs.dedup();
        } else {
            let Some(hit) = regions.iter().position(|r| r.contains(at)) else {
                return Ok(None);
            };
            if padded.get(hit) != Some(&false) {
                return Ok(None);
            }
            if padded.iter().any(|p| *p) {
                // A second region fails too: the file is written this way throughout.
                padded.iter_mut().for_each(|p| *p = true);
            } else if let Some(p) = padded.get_mut(hit) {
                *p = true;
            }
        }
        let chosen: Vec<&compat::Region> = regions
            .iter()
            .zip(&padded)
            .filter_map(|(r, p)| p.then_some(r))
            .collect();
        if compat::padding(&src.text, &chosen) > compat::max_padding(src.text.len()) {
            return Ok(None);
        }
        if round > 0 && reparsed.saturating_add(src.text.len()) > compat::MAX_REPARSED {
            return Ok(None);
        }
        reparsed = reparsed.saturating_add(src.text.len());
        let (text, map) = compat::pad(&src.text, &chosen, &tabs);
        let offsets = CharOffsets::mapped(map, src.text.len());
        match collect(src, &text, &offsets) {
            Ok(events) => return build(src, limits, &events).map(Some),
            Err(Stop::Load(error)) => return Err(error),
            Err(Stop::Scan(next)) if compat::tolerable(next.error.info()) => {
                at = next.at;
                info = next.error.info().to_string();
            }
            Err(Stop::Scan(_)) => return Ok(None),
        }
    }
    Ok(None)
}

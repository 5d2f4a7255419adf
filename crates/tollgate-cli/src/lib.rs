//! The `tollgate` command line as a library: `main.rs` is a thin binary over it. The library
//! exists so that the fuzz targets (`fuzz/fuzz_targets/report.rs`) can build a [`diagnostics::Run`]
//! and render it through every output format exactly as `tollgate check` does; nothing else
//! depends on it and its API is not stable.

pub mod baseline;
pub mod catalogue;
pub mod cli;
pub mod colour;
pub mod commands;
pub mod config;
pub mod diagnostics;
pub mod discover;
pub mod filter;
pub mod output;
pub mod params;
pub mod paths;
pub mod problem;
pub mod report;
pub mod rule_docs;
pub mod settings;
pub mod suppress;

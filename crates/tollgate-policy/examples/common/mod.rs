//! What the benchmark examples share: loading every template and plan under some paths.

use tollgate_template::{load, LoadOptions, Loaded, Outcome};

/// Every file under `paths` that loads as a template or plan (others are skipped).
pub fn load_all(paths: &[String]) -> Vec<Loaded> {
    let mut docs = Vec::new();
    for p in paths {
        for e in walkdir::WalkDir::new(p).into_iter().filter_map(Result::ok) {
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            let name = e.path().display().to_string();
            if let Ok(Outcome::Loaded(l)) = load(&name, &bytes, &LoadOptions::default()) {
                docs.push(*l);
            }
        }
    }
    docs
}

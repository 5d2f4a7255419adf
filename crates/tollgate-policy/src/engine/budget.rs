//! The memory bound of Rego evaluation (issue 15).
//!
//! # What regorus allows
//!
//! regorus 0.14 has one memory mechanism, its `allocator-memory-limits` feature: every
//! allocation made through its allocator (regorus's vendored mimalloc, `regorus-mimalloc`,
//! which regorus itself declares as the `#[global_allocator]` of every program that links it
//! with the feature: the `tollgate` binary, every test binary, the fuzz targets) is counted,
//! and at its own check points
//! (every few iterations of a loop, every element a builtin such as `numbers.range` produces,
//! every value it builds or deserializes) the interpreter compares the process's live bytes
//! with one process-wide ceiling (`regorus::set_global_memory_limit`) and fails the evaluation
//! with `LimitError::MemoryLimitExceeded`. The error unwinds nothing: it is an ordinary `Err`
//! returned through the interpreter, whose values are then dropped. There is no per-engine or
//! per-evaluation limit (the per-execution budgets are for its RVM, which tollgate does not
//! use), no instruction count, and no cap on collection sizes. cfn-guard has no limits at all;
//! the Guard language cannot create values (no ranges, no comprehensions), so its memory is
//! bounded by the document and the rules, and it is not counted here.
//!
//! # A per-evaluation bound on a process-wide ceiling
//!
//! Each Rego evaluation is [`arm`]ed with its limit. While any evaluation is armed, the
//! ceiling is the live bytes measured when the first of them started, plus the limit of every
//! evaluation running now (two threads evaluating: two limits); when the last one ends, the
//! ceiling is lifted, so loading, resolving and reporting are never stopped by it.
//!
//! A ceiling shared by several threads can stop an evaluation that did not cause the overrun
//! (another thread's runaway rule, or a large file being loaded beside it). Each evaluation
//! therefore knows what its own thread allocated (mimalloc's per-thread counters): an
//! evaluation stopped while its thread's peak stayed under its limit is innocent, the ceiling
//! is raised to the live bytes now plus the running limits ([`Armed::rebase`]), and it runs
//! again (at most [`RETRIES`] times, then the limit is reported anyway). A runaway evaluation
//! is over its own limit by the time it is stopped, so it is reported at once; a thread's peak
//! only rises, so a rule once stopped for memory is a suspect from then on (on every thread)
//! and is never run again for an overrun, which keeps a rule that runs away on every
//! document from stopping its neighbours again and again. Raising the
//! ceiling can let a runaway rule on another thread grow by more than one limit before it is
//! stopped, never without bound: the ceiling only rises by the running limits above memory
//! that is really live, and every check after that stops the thread that is over its own
//! limit.
//!
//! No `unsafe` code is needed on tollgate's side: the allocator and its `GlobalAlloc` impl are
//! regorus's.

use std::sync::{Mutex, PoisonError};

/// How much memory one Rego evaluation may allocate (live bytes above what the process held
/// when it started) before it is stopped: 1 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

/// How many times an evaluation stopped by another thread's overrun runs again (a runaway
/// rule evaluated on document after document can stop a neighbour more than once).
pub const RETRIES: u32 = 8;

struct Ledger {
    /// Evaluations armed now.
    active: u64,
    /// The ceiling while `active > 0`.
    ceiling: u64,
}

static LEDGER: Mutex<Ledger> = Mutex::new(Ledger {
    active: 0,
    ceiling: u64::MAX,
});

/// One armed evaluation; dropping it disarms.
pub(crate) struct Armed {
    limit: u64,
    /// This thread's live bytes and peak when armed.
    start: i64,
    peak_before: i64,
}

/// Arms one evaluation on this thread with `limit` bytes.
pub(crate) fn arm(limit: u64) -> Armed {
    // Flushes this thread's counters, so the global count is current.
    let (global, thread) = regorus_mimalloc::allocation_stats_snapshot();
    let mut ledger = LEDGER.lock().unwrap_or_else(PoisonError::into_inner);
    ledger.ceiling = if ledger.active == 0 {
        global.allocated.saturating_add(limit)
    } else {
        ledger.ceiling.saturating_add(limit)
    };
    ledger.active = ledger.active.saturating_add(1);
    regorus::set_global_memory_limit(Some(ledger.ceiling));
    Armed {
        limit,
        start: thread.allocated,
        peak_before: thread.peak,
    }
}

impl Armed {
    /// Whether this thread's live bytes went past the limit since it was armed (its peak rose
    /// above both the peak before and the start plus the limit).
    pub(crate) fn overran(&self) -> bool {
        let now = regorus_mimalloc::current_thread_allocation_stats();
        let limit = i64::try_from(self.limit).unwrap_or(i64::MAX);
        now.peak > self.peak_before && now.peak.saturating_sub(self.start) > limit
    }

    /// After an overrun this evaluation did not cause: waits (up to 50 ms) for the live bytes
    /// to fall back under the ceiling (the runaway evaluation is being stopped), then the
    /// ceiling becomes the live bytes now plus the limits of the running evaluations, if that
    /// is higher.
    pub(crate) fn rebase(&self) {
        let mut global = regorus_mimalloc::global_allocation_stats_snapshot();
        for _ in 0..50 {
            let ceiling = LEDGER
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .ceiling;
            if global.allocated <= ceiling {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
            global = regorus_mimalloc::global_allocation_stats_snapshot();
        }
        let mut ledger = LEDGER.lock().unwrap_or_else(PoisonError::into_inner);
        let room = self.limit.saturating_mul(ledger.active.max(1));
        ledger.ceiling = ledger.ceiling.max(global.allocated.saturating_add(room));
        regorus::set_global_memory_limit(Some(ledger.ceiling));
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        let mut ledger = LEDGER.lock().unwrap_or_else(PoisonError::into_inner);
        ledger.active = ledger.active.saturating_sub(1);
        if ledger.active == 0 {
            ledger.ceiling = u64::MAX;
            regorus::set_global_memory_limit(None);
        } else {
            ledger.ceiling = ledger.ceiling.saturating_sub(self.limit);
            regorus::set_global_memory_limit(Some(ledger.ceiling));
        }
    }
}

/// Whether a regorus error is its memory limit. regorus's query parser checks the limit too,
/// and reports a stop there as a parse error of the query (`expecting … <query.rego>:1:1`):
/// tollgate's queries always parse, so an error located in the query is the limit.
pub(crate) fn is_memory_limit(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    err.chain().any(|e| {
        matches!(
            e.downcast_ref::<regorus::LimitError>(),
            Some(regorus::LimitError::MemoryLimitExceeded { .. })
        )
    }) || text.contains("memory limit")
        || text.contains("<query.rego>")
}

/// Runs `eval` with a memory bound of `limit` bytes (none: unbounded), running it again when
/// another thread's overrun stopped it, unless `suspect` (it overran before: a thread's peak
/// only rises, so a second overrun on a thread that already held more is not seen as its own).
pub(crate) fn bounded<T>(
    limit: Option<u64>,
    suspect: bool,
    mut eval: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let Some(limit) = limit else {
        return eval();
    };
    let mut attempt = 0;
    loop {
        let armed = arm(limit);
        let result = eval();
        match result {
            Err(err)
                if !suspect && is_memory_limit(&err) && attempt < RETRIES && !armed.overran() =>
            {
                armed.rebase();
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Reads a byte count: `1073741824`, `512K`, `512M`, `1G` (also `KiB`/`MiB`/`GiB`, `KB`…:
/// powers of 1024 all), `0` for no limit.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count (e.g. 1073741824, 512M, 1G)"))?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => {
            return Err(format!(
                "{text:?} is not a byte count: the unit must be K, M, G or T (e.g. 512M, 1G)"
            ))
        }
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// A byte count for messages: `1 GiB`, `512 MiB`, or bytes.
pub fn show_bytes(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        let size = 1u64 << shift;
        if bytes >= size && bytes % size == 0 {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("1073741824"), Ok(1 << 30));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("2gib"), Ok(2 << 30));
        assert_eq!(parse_bytes("64 KB"), Ok(64 << 10));
        assert_eq!(parse_bytes("0"), Ok(0));
        assert!(parse_bytes("1X").is_err());
        assert!(parse_bytes("G").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("99999999999T").is_err());
        assert_eq!(show_bytes(1 << 30), "1 GiB");
        assert_eq!(show_bytes(512 << 20), "512 MiB");
        assert_eq!(show_bytes(1000), "1000 bytes");
    }

    #[test]
    fn arming_sets_and_lifts_the_ceiling() {
        let a = arm(100);
        assert!(regorus::global_memory_limit().is_some());
        let b = arm(100);
        drop(a);
        assert!(regorus::global_memory_limit().is_some());
        drop(b);
        // Other tests may arm concurrently; only check what this one can know.
        let _ = regorus::global_memory_limit();
    }
}

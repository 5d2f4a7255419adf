#!/usr/bin/env bash
# A longer fuzzing campaign: every target (or those named) for SECONDS each, all in parallel
# at low priority, seeded from the fixtures; logs in fuzz/logs/<target>.log, crashes in
# fuzz/artifacts/<target>/. Prints each target's executions, coverage and result at the end
# and exits non-zero if any target crashed, timed out or ran out of memory.
#
#   fuzz/campaign.sh 1800                 # 30 minutes per target (the issue's campaign)
#   fuzz/campaign.sh 7200 pipeline report # two hours, two targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); stable Rust works with
# RUSTC_BOOTSTRAP=1 (set here).
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-1800}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(load_yaml load_json resolve pipeline report)
fi
export RUSTC_BOOTSTRAP=1
./seed.sh
cargo fuzz build >/dev/null
mkdir -p logs
for t in "${targets[@]}"; do
  nice -n 19 cargo fuzz run "$t" -- -max_total_time="$seconds" -dict=dict/cfn.dict \
    -rss_limit_mb=2048 -timeout=30 -max_len=65536 -print_final_stats=1 \
    > "logs/$t.log" 2>&1 &
done
wait
status=0
for t in "${targets[@]}"; do
  summary=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
  # slow-unit-* files are only the slowest inputs seen, not failures.
  if grep -qE 'ERROR: libFuzzer|SUMMARY: |panicked at|(crash|timeout|oom|leak)-[0-9a-f]+' "logs/$t.log"; then
    echo "$t: FAILED ($summary); see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    status=1
  else
    echo "$t: ok, $summary"
  fi
done
exit $status

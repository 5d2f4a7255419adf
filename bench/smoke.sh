#!/bin/sh
# CI hook: the benchmark harness's self-check. Runs tollgate (both engines) once on two
# testdata fixtures, writes the harness's JSON and Markdown reports to a temporary folder,
# reads them back and fails if they are malformed. No peers, nothing written in the tree,
# a second or two. Uses the release build that `cargo test --workspace --release` leaves.
set -eu
cd "$(dirname "$0")/.."
[ -x target/release/tollgate ] || cargo build --release -p tollgate-cli
exec python3 bench/bench.py --smoke --tollgate target/release/tollgate "$@"

#!/usr/bin/env bash
# The CI integrations, tested for real: the GitHub Action (action.yml), the CodeBuild
# buildspecs (docs/ci/buildspec*.yml) and the pre-commit hook (.pre-commit-hooks.yaml).
#
# Needs cargo, git, python3 and network access to PyPI (pre-commit, PyYAML, into a venv) and
# crates.io (cargo install checks the index). Run after a release build or
# `cargo test --workspace --release`: every test installs tollgate with cargo, reusing
# target/release through CARGO_TARGET_DIR; only the pre-commit hook, built from a clone,
# recompiles tollgate's own three crates. TOLLGATE_CI_CACHE=DIR keeps the venv and
# pre-commit's store between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TOLLGATE_CI_CACHE:-}" ]; then
  TOLLGATE_CI_CACHE="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-ci-cache.XXXXXX")"
  trap 'rm -rf -- "$TOLLGATE_CI_CACHE"' EXIT
fi
export TOLLGATE_CI_CACHE  # one venv for the three tests

cargo build --release --quiet

failed=()
for t in action-test codebuild-test pre-commit-test; do
  start=$SECONDS
  echo "== ci/$t.sh"
  if "ci/$t.sh"; then
    echo "== ci/$t.sh: passed in $((SECONDS - start)) s"
  else
    echo "== ci/$t.sh: FAILED after $((SECONDS - start)) s"
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "pipeline tests FAILED: ${failed[*]} ($SECONDS s)"
  exit 1
fi
echo "pipeline tests passed in $SECONDS s"

# Sourced by the ci/*-test.sh scripts: repository paths, scratch directories, the Python
# virtualenv (pre-commit and PyYAML from PyPI), the release build, and assertions.
# shellcheck shell=bash

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Reuse the release build's dependency artifacts: `cargo install` honours CARGO_TARGET_DIR.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
# The hook, action and buildspec are tested with their default options, not a developer's
# tollgate.toml or colours.
export NO_COLOR=1

# Pinned so the tests do not change under us; bump deliberately.
PIP_PACKAGES=(pre-commit==4.7.0 PyYAML==6.0.4)

TG_CLEANUP=()
tg_cleanup() {
  if [ ${#TG_CLEANUP[@]} -gt 0 ]; then rm -rf -- "${TG_CLEANUP[@]}"; fi
}
trap tg_cleanup EXIT

# CACHE: kept between runs when TOLLGATE_CI_CACHE is set (the venv, pre-commit's store),
# else removed on exit. WORK: always a fresh scratch directory, removed on exit.
tg_dirs() {
  if [ -n "${TOLLGATE_CI_CACHE:-}" ]; then
    mkdir -p -- "$TOLLGATE_CI_CACHE"
    CACHE="$(cd -- "$TOLLGATE_CI_CACHE" && pwd)"
  else
    CACHE="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-ci-cache.XXXXXX")"
    TG_CLEANUP+=("$CACHE")
  fi
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-ci.XXXXXX")"
  TG_CLEANUP+=("$WORK")
}

# PY: a Python with PyYAML; PRE_COMMIT: the pre-commit executable.
# shellcheck disable=SC2034 # both are used by the scripts that source this file
tg_venv() {
  local venv="$CACHE/venv"
  if ! "$venv/bin/python" -c 'import yaml, pre_commit' 2>/dev/null; then
    rm -rf -- "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      # Debian's python3 ships venv (ensurepip) separately.
      echo "python3 -m venv failed; installing python3-venv" >&2
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${PIP_PACKAGES[@]}"
  fi
  PY="$venv/bin/python"
  PRE_COMMIT="$venv/bin/pre-commit"
}

# Incremental; the first step of every test so that each one also runs alone.
tg_build() {
  (cd "$REPO" && cargo build --release --quiet)
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# assert_contains FILE TEXT: FILE must contain TEXT (fixed string).
assert_contains() {
  grep -qF -- "$2" "$1" || { cat -- "$1" >&2; fail "$1 does not contain: $2"; }
}

assert_not_contains() {
  if grep -qF -- "$2" "$1"; then cat -- "$1" >&2; fail "$1 contains: $2"; fi
}

# Seconds since the script started, for the summary line.
tg_elapsed() {
  echo "$SECONDS s"
}

#!/usr/bin/env bash
# The pre-commit hook (.pre-commit-hooks.yaml), for real: pre-commit builds tollgate from this
# repository with `cargo install` (language: rust) and runs it on a throwaway repository.
#
#   ci/pre-commit-test.sh                 # hook repository = this working tree, as one commit
#   TOLLGATE_HOOK_REPO=DIR ci/...         # or an existing git repository (its HEAD)
#   TOLLGATE_CI_CACHE=DIR ci/...          # keep the venv and pre-commit's store between runs
#
# Checks: `pre-commit try-repo` fails on a violating template and names the rule and
# file:line:column; then, through the installed git hook, a commit of a clean template plus
# non-template YAML/JSON (a workflow, package.json, the config itself) succeeds, and a commit
# of the violating template is refused with the same finding.
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
tg_dirs
tg_venv
tg_build

# The test must not depend on the developer's git configuration (core.hooksPath makes
# `pre-commit install` refuse; signing would prompt).
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL="$WORK/gitconfig"
git config --global user.name "tollgate ci"
git config --global user.email "ci@tollgate.invalid"
git config --global init.defaultBranch main
git config --global commit.gpgsign false
# pre-commit's store (cloned hook repositories and the built hook environments).
export PRE_COMMIT_HOME="$CACHE/pre-commit"

# 1. The hook repository.
#    `pre-commit try-repo` on a dirty tree copies only staged and modified *tracked* files
#    into its shadow commit: an uncommitted new file (this very .pre-commit-hooks.yaml before
#    it is committed) would be missing. So commit a copy of the working tree instead:
#    tracked and untracked, minus ignored files. Fixed dates make the commit id depend on the
#    content only, so with TOLLGATE_CI_CACHE an unchanged tree reuses the built hook.
if [ -n "${TOLLGATE_HOOK_REPO:-}" ]; then
  hook_repo="$(cd -- "$TOLLGATE_HOOK_REPO" && pwd)"
else
  hook_repo="$CACHE/hook-repo"
  rm -rf -- "$hook_repo"
  mkdir -p -- "$hook_repo"
  (
    cd "$REPO"
    git ls-files -z --cached --others --exclude-standard --deduplicate |
      while IFS= read -r -d '' f; do
        if [ -f "$f" ]; then printf '%s\0' "$f"; fi  # skip deleted tracked files
      done |
      xargs -0 cp -p --parents -t "$hook_repo" --
  )
  git -C "$hook_repo" init -q
  git -C "$hook_repo" add -A
  GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
    git -C "$hook_repo" commit -q -m "tollgate working tree"
fi
rev="$(git -C "$hook_repo" rev-parse HEAD)"
echo "hook repository: $hook_repo @ $rev"
# pre-commit installs a rust hook with `cargo install --bins --root ENV --path .` in the hook
# repository's root: a virtual workspace manifest there cannot be installed.
if ! grep -q '^\[package\]' "$hook_repo/Cargo.toml"; then
  fail "the root Cargo.toml of $hook_repo has no [package]: pre-commit's 'cargo install --path .' \
cannot install a virtual workspace (see docs/ci/pre-commit.md)"
fi

# 2. A user's repository: a clean template, non-template YAML and JSON, a violating template.
user="$WORK/user"
mkdir -p "$user/stacks" "$user/.github/workflows"
cp "$REPO/policies/sg-ssh-world/cases/cfn-pass-private.yaml" "$user/stacks/web.yaml"
cp "$REPO/policies/sg-ssh-world/cases/cfn-fail-basic.yaml" "$user/stacks/open-ssh.yaml"
cat >"$user/.github/workflows/ci.yml" <<'EOF'
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
EOF
echo '{"name": "infra", "private": true}' >"$user/package.json"
cat >"$user/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hook_repo
    rev: $rev
    hooks:
      - id: tollgate
EOF
git -C "$user" init -q
cd "$user"

# 3. try-repo: how a developer tries a hook; installs it into a throwaway store.
start=$SECONDS
code=0
"$PRE_COMMIT" try-repo "$hook_repo" tollgate --ref "$rev" --verbose \
  --files stacks/open-ssh.yaml stacks/web.yaml .github/workflows/ci.yml package.json \
  >"$WORK/try-repo.log" 2>&1 || code=$?
echo "try-repo: exit $code in $((SECONDS - start)) s (includes cargo install)"
[ "$code" -eq 1 ] || { cat "$WORK/try-repo.log" >&2; fail "try-repo should fail (1), got $code"; }
assert_contains "$WORK/try-repo.log" "sg-ssh-world"
assert_contains "$WORK/try-repo.log" "stacks/open-ssh.yaml:14:19"
assert_not_contains "$WORK/try-repo.log" "stacks/web.yaml:"
assert_not_contains "$WORK/try-repo.log" "neither a CloudFormation template nor a Terraform plan"

# 4. The git hook, as users run it: only staged files are checked.
start=$SECONDS
"$PRE_COMMIT" install >/dev/null
git add stacks/web.yaml .github/workflows/ci.yml package.json .pre-commit-config.yaml
if ! git commit -q -m "clean" >"$WORK/commit-clean.log" 2>&1; then
  cat "$WORK/commit-clean.log" >&2
  fail "committing a clean template and non-template YAML/JSON was refused"
fi
assert_contains "$WORK/commit-clean.log" "tollgate"
assert_contains "$WORK/commit-clean.log" "Passed"
echo "commit (clean): accepted in $((SECONDS - start)) s (the first run installs the hook)"

start=$SECONDS
git add stacks/open-ssh.yaml
if git commit -q -m "open ssh" >"$WORK/commit-fail.log" 2>&1; then
  cat "$WORK/commit-fail.log" >&2
  fail "committing a template with SSH open to the world was accepted"
fi
assert_contains "$WORK/commit-fail.log" "Failed"
assert_contains "$WORK/commit-fail.log" "sg-ssh-world"
assert_contains "$WORK/commit-fail.log" "stacks/open-ssh.yaml:14:19"
[ "$(git rev-list --count HEAD)" -eq 1 ] || fail "the violating commit was made"
echo "commit (violating): refused in $((SECONDS - start)) s:"
grep -F "stacks/open-ssh.yaml:14:19" "$WORK/commit-fail.log" | head -n 2

echo "pre-commit-test: OK in $(tg_elapsed)"

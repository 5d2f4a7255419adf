#!/usr/bin/env bash
# The GitHub Action (action.yml): its steps run with bash as the runner runs them
# (ci/run_action.py), on a workspace holding a violating and a clean template and a workflow
# file. The first case builds tollgate the way the action does (cargo install --locked, from
# this checkout, reusing target/ through CARGO_TARGET_DIR); the others use install: false.
# What cannot run here: the upload to code scanning (see docs/ci/github-actions.md).
# shellcheck disable=SC2016 # case 6 passes `$(…)` and `${IFS}` unexpanded on purpose
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
tg_dirs
tg_venv
tg_build

ws="$WORK/workspace"
mkdir -p "$ws/stacks" "$ws/.github/workflows"
cp "$REPO/policies/sg-ssh-world/cases/cfn-fail-basic.yaml" "$ws/stacks/open-ssh.yaml"
cp "$REPO/policies/sg-ssh-world/cases/cfn-pass-private.yaml" "$ws/stacks/web.yaml"
printf 'name: ci\non: [push]\njobs: {}\n' >"$ws/.github/workflows/ci.yml"

# run_case NAME [--input k=v ...]: runs the action; the log and result land in $WORK/NAME.*
run_case() {
  local name="$1"
  shift
  local start=$SECONDS
  "$PY" "$REPO/ci/run_action.py" "$REPO" --workspace "$ws" --result "$WORK/$name.json" "$@" \
    >"$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; fail "$name: the emulator failed"; }
  echo "case $name: $(jq_ outcome "$WORK/$name.json"), exit-code $(jq_ outputs.exit-code "$WORK/$name.json") ($((SECONDS - start)) s)"
}

# jq_ DOTTED.KEY FILE: one value of a JSON file (no jq on the machine needed).
jq_() {
  "$PY" -c 'import json,sys
v = json.load(open(sys.argv[2]))
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$1" "$2"
}

expect() { # expect NAME KEY VALUE
  local got
  got="$(jq_ "$2" "$WORK/$1.json")"
  [ "$got" = "$3" ] || { cat "$WORK/$1.log" >&2; fail "$1: $2 is '$got', expected '$3'"; }
}

# sarif_check FILE RESULTS [AUTOMATION_ID]: valid SARIF 2.1.0 with this many results, the
# violating file's finding at line 14, and the automation id when sharded.
sarif_check() {
  "$PY" - "$@" <<'EOF'
import json, sys
path, want, auto = sys.argv[1], int(sys.argv[2]), (sys.argv[3] if len(sys.argv) > 3 else None)
sarif = json.load(open(path))
assert sarif["version"] == "2.1.0", sarif.get("version")
run = sarif["runs"][0]
results = run["results"]
assert len(results) == want, f"{path}: {len(results)} results, expected {want}"
for r in results:
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "stacks/open-ssh.yaml", loc
    assert loc["region"]["startLine"] == 14, loc
if auto is not None:
    assert run.get("automationDetails", {}).get("id") == auto, run.get("automationDetails")
print(f"{path}: {len(results)} results {sorted(r['ruleId'] for r in results)}")
EOF
}

# 1. Defaults, installing tollgate as the action does: SARIF written, the action fails at
#    its last step (after the outputs are set), exit-code 1.
run_case defaults
expect defaults outcome failure
expect defaults failed_step "Fail on findings or errors"
expect defaults outputs.exit-code 1
expect defaults outputs.sarif-file "$ws/tollgate.sarif"
expect defaults outputs.report-file "$ws/tollgate.sarif"
expect defaults steps.1.exit_code 0
assert_contains "$WORK/defaults.log" "Installed package"
sarif_check "$ws/tollgate.sarif" 2

# The other cases use the tollgate built by `cargo build --release`.
export PATH="$CARGO_TARGET_DIR/release:$PATH"

# 2. Annotations: github format to the log, one rule, never failing.
run_case github --input install=false --input format=github --input output= \
  --input fail-on-findings=false --input "args=--rule sg-ssh-world"
expect github outcome success
expect github outputs.exit-code 1
expect github outputs.sarif-file ""
expect github outputs.report-file ""
assert_contains "$WORK/github.log" "::error file=stacks/open-ssh.yaml,line=14,col=19"
assert_contains "$WORK/github.log" "title=sg-ssh-world"
assert_not_contains "$WORK/github.log" "title=sg-admin-ports-world-ipv4"
assert_contains "$WORK/github.log" "::warning title=tollgate::findings"

# 3. Only the clean template, several paths in one input: exit-code 0, an empty SARIF.
run_case clean --input install=false --input "paths=stacks/web.yaml
.github/workflows" --input output=reports/clean.sarif
expect clean outcome success
expect clean outputs.exit-code 0
expect clean outputs.sarif-file "$ws/reports/clean.sarif"
sarif_check "$ws/reports/clean.sarif" 0

# 4. The threshold input: high findings under a critical threshold are reported, not failing.
run_case threshold --input install=false --input severity-threshold=critical \
  --input output=threshold.sarif
expect threshold outcome success
expect threshold outputs.exit-code 0
sarif_check "$ws/threshold.sarif" 2

# 5. Shards: each writes its own SARIF with its automation id; together they hold every
#    result of the unsharded run, each exactly once.
total=0
for k in 1 2; do
  run_case "shard$k" --input install=false --input "args=--shard $k/2" --input "output=shard-$k.sarif" \
    --input fail-on-findings=false
  n="$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$ws/shard-$k.sarif")"
  sarif_check "$ws/shard-$k.sarif" "$n" "tollgate/shard-$k-of-2/"
  total=$((total + n))
done
[ "$total" -eq 2 ] || fail "the shards hold $total results, expected 2"

# 6. Inputs are data, not shell: paths and args full of shell syntax reach tollgate as
#    literal arguments (exit 2: no such file, unknown rule), and nothing is executed.
run_case inject-paths --input install=false --input output=inject.sarif \
  --input 'paths=$(touch pwned-1) `touch pwned-2`;touch${IFS}pwned-3 stacks/open-ssh.yaml'
expect inject-paths outcome failure
expect inject-paths outputs.exit-code 2
sarif_check "$ws/inject.sarif" 2
assert_contains "$WORK/inject-paths.log" '$(touch'
run_case inject-args --input install=false --input 'args=--rule=sg-ssh-world;touch${IFS}pwned-4'
expect inject-args outputs.exit-code 2
assert_contains "$WORK/inject-args.log" 'unknown rule "sg-ssh-world;touch${IFS}pwned-4"'
if compgen -G "$ws/pwned-*" >/dev/null || compgen -G "$REPO/pwned-*" >/dev/null; then
  fail "an input was executed as shell"
fi

echo "action-test: OK in $(tg_elapsed)"

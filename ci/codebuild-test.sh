#!/usr/bin/env bash
# The CodeBuild buildspecs (docs/ci/buildspec.yml, docs/ci/buildspec-batch.yml): their phases
# run with bash as CodeBuild runs them (ci/run_buildspec.py), with the build project's
# environment pointing TOLLGATE_SRC at this checkout. cargo is on PATH, so the buildspec's own
# `command -v cargo ||` guard skips the rustup download; `cargo install --locked` reuses
# target/ through CARGO_TARGET_DIR.
# What cannot run here: CodeBuild itself (report groups, caches, the batch orchestration).
set -euo pipefail
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
tg_dirs
tg_venv
tg_build

command -v cargo >/dev/null || fail "cargo must be on PATH (the rustup download is not tested)"

# run_build NAME BUILDSPEC SRC [run_buildspec.py options]: result in $WORK/NAME.json
run_build() {
  local name="$1" spec="$2" src="$3"
  shift 3
  local start=$SECONDS
  "$PY" "$REPO/ci/run_buildspec.py" "$spec" --src "$src" --result "$WORK/$name.json" \
    --env "TOLLGATE_SRC=$REPO" --env "TOLLGATE_ROOT=$WORK/tollgate-root" \
    --env "CARGO_TARGET_DIR=$CARGO_TARGET_DIR" "$@" >"$WORK/$name.log" 2>&1 ||
    { cat "$WORK/$name.log" >&2; fail "$name: the emulator failed"; }
  echo "build $name: $(summary "$WORK/$name.json") ($((SECONDS - start)) s)"
}

summary() {
  "$PY" -c 'import json,sys
r = json.load(open(sys.argv[1]))
reps = [x for g in (r["reports"] or {}).values() for x in g]
print(("SUCCEEDED" if r["succeeded"] else "FAILED in " + str(r["failed_phase"])) + "; report: "
      + (", ".join(f"{x['\''tests'\'']} tests, {x['\''failures'\'']} failures" for x in reps) or "none"))' "$1"
}

# check NAME PYTHON-EXPRESSION: the expression, over the result `r`, must hold.
check() {
  "$PY" -c 'import json,sys
r = json.load(open(sys.argv[1]))
reps = [x for g in (r["reports"] or {}).values() for x in g]
if not eval(sys.argv[2]):
    sys.exit(f"FAIL: {sys.argv[1]}: {sys.argv[2]}\n{json.dumps(r, indent=2)}")' "$WORK/$1.json" "$2" ||
    { cat "$WORK/$1.log" >&2; exit 1; }
}

spec="$REPO/docs/ci/buildspec.yml"
batch="$REPO/docs/ci/buildspec-batch.yml"

# 0. The guide shows the tested files: its first YAML block is buildspec.yml (without the
#    comments), its second the batch section of buildspec-batch.yml.
"$PY" - "$REPO/docs/ci/codebuild.md" "$spec" "$batch" <<'EOF'
import re, sys, yaml
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
assert yaml.safe_load(blocks[0]) == yaml.safe_load(open(sys.argv[2])), "codebuild.md differs from buildspec.yml"
batch = yaml.safe_load(open(sys.argv[3]))["batch"]
assert yaml.safe_load(blocks[1]) == {"batch": batch}, "codebuild.md differs from buildspec-batch.yml"
EOF

# 1. A violating template: the build phase fails, the JUnit report is still published and
#    names the rule and file.
src="$WORK/violating"
mkdir -p "$src/stacks" "$src/.github/workflows"
cp "$REPO/policies/sg-ssh-world/cases/cfn-fail-basic.yaml" "$src/stacks/open-ssh.yaml"
cp "$REPO/policies/sg-ssh-world/cases/cfn-pass-private.yaml" "$src/stacks/web.yaml"
printf 'name: ci\non: [push]\njobs: {}\n' >"$src/.github/workflows/ci.yml"
run_build violating "$spec" "$src"
check violating 'not r["succeeded"] and r["failed_phase"] == "build" and r["phases"]["install"] == "SUCCEEDED"'
check violating 'len(reps) == 1 and reps[0]["failures"] == 2 and reps[0]["errors"] == 0'
check violating '"stacks/open-ssh.yaml::sg-ssh-world" in reps[0]["failed_cases"]'
check violating 'sorted(reps[0]["suites"]) == ["stacks/open-ssh.yaml", "stacks/web.yaml"]'
assert_contains "$WORK/violating.log" "Installed package"

# 2. Clean templates only: the build succeeds with a report of passing test cases.
src="$WORK/clean"
mkdir -p "$src/stacks"
cp "$REPO/policies/sg-ssh-world/cases/cfn-pass-private.yaml" "$src/stacks/web.yaml"
run_build clean "$spec" "$src"
check clean 'r["succeeded"] and len(reps) == 1 and reps[0]["tests"] > 0 and reps[0]["failures"] == 0'

# 3. The threshold through TOLLGATE_ARGS: high findings under a critical threshold pass; the
#    report still lists them (as test output, not failures).
run_build threshold "$spec" "$WORK/violating" --env "TOLLGATE_ARGS=--severity-threshold critical"
check threshold 'r["succeeded"] and reps[0]["failures"] == 0'
assert_contains "$WORK/violating/reports/tollgate-junit.xml" "below the severity threshold"

# 4. The batch build: every shard of a small monorepo runs as its own build. Each template
#    is checked by exactly one shard; only the shard holding the violating one fails, and
#    every shard publishes its report.
src="$WORK/monorepo"
for i in 1 2 3 4 5 6 7 8; do
  mkdir -p "$src/team-$i"
  cp "$REPO/policies/sg-ssh-world/cases/cfn-pass-private.yaml" "$src/team-$i/web.yaml"
done
cp "$REPO/policies/sg-ssh-world/cases/cfn-fail-basic.yaml" "$src/team-3/open-ssh.yaml"
mapfile -t shards < <("$PY" -c 'import sys, yaml
for e in yaml.safe_load(open(sys.argv[1]))["batch"]["build-list"]: print(e["identifier"])' "$batch")
for id in "${shards[@]}"; do
  rm -rf "$src/reports"  # each child build starts from a fresh source checkout
  run_build "batch-$id" "$batch" "$src" --batch-entry "$id"
done
"$PY" - "$WORK" "${shards[@]}" <<'EOF'
import json, sys
work, ids = sys.argv[1], sys.argv[2:]
seen, failed = [], []
for i in ids:
    r = json.load(open(f"{work}/batch-{i}.json"))
    reps = r["reports"]["tollgate"]
    assert len(reps) == 1, (i, r)
    seen += reps[0]["suites"]
    if not r["succeeded"]:
        failed.append(i)
        assert "team-3/open-ssh.yaml" in reps[0]["suites"], (i, reps)
want = sorted([f"team-{n}/web.yaml" for n in range(1, 9)] + ["team-3/open-ssh.yaml"])
assert sorted(seen) == want, f"shards checked {sorted(seen)}, expected each of {want} once"
assert len(failed) == 1, f"failed shards: {failed}"
print(f"batch: {len(ids)} shards checked {len(seen)} files, each once; failed: {failed[0]}")
EOF

echo "codebuild-test: OK in $(tg_elapsed)"

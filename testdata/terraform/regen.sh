#!/usr/bin/env bash
# Regenerate plan.json for the Terraform rule fixtures:
#   policies/*/cases/tf-*/main.tf  ->  plan.json next to it.
#
# Each case is planned in a temporary copy of its folder, so no .terraform dirs,
# lock files, plan.bin or state land in the repository. Works offline: the AWS
# provider comes from the filesystem mirror named in terraformrc, and the
# fixtures' provider blocks use fake credentials and skip every AWS call.
# plan.json is kept exactly as `terraform show -json` writes it (one line).
#
# A case folder may hold prior-state.json: it is copied in as terraform.tfstate
# before planning (used to get update/delete actions; plans run with
# -refresh=false, so nothing is read from AWS).
#
# Usage: testdata/terraform/regen.sh [case-dir ...]   (default: all cases)
#        JOBS=8 testdata/terraform/regen.sh             (parallelism, default 4)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export TF_CLI_CONFIG_FILE="$here/terraformrc"
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export CHECKPOINT_DISABLE=1
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE || true

regen_one() {
  local dir work rc=0
  dir="$(cd "$1" && pwd)"
  work="$(mktemp -d)"
  # Copy the case's configuration (and local module folders), nothing generated.
  (cd "$dir" && tar --exclude=./plan.json --exclude=.terraform \
      --exclude=.terraform.lock.hcl --exclude='*.tfstate*' --exclude=plan.bin \
      --exclude=./prior-state.json -cf - .) | (cd "$work" && tar -xf -)
  if [ -f "$dir/prior-state.json" ]; then
    cp "$dir/prior-state.json" "$work/terraform.tfstate"
  fi
  (
    cd "$work"
    terraform init -no-color -input=false >init.log 2>&1 || { cat init.log >&2; exit 1; }
    terraform plan -no-color -input=false -refresh=false -lock=false -out plan.bin >plan.log 2>&1 \
      || { cat plan.log >&2; exit 1; }
    terraform show -no-color -json plan.bin >"$dir/plan.json.tmp"
  ) || rc=$?
  rm -rf "$work"
  if [ "$rc" -ne 0 ]; then
    rm -f "$dir/plan.json.tmp"
    echo "FAILED: ${dir#"$root"/}" >&2
    return "$rc"
  fi
  mv "$dir/plan.json.tmp" "$dir/plan.json"
  echo "ok: ${dir#"$root"/}" >&2
}
export -f regen_one
export root

if [ "$#" -gt 0 ]; then
  printf '%s\n' "$@"
else
  for f in "$root"/policies/*/cases/tf-*/main.tf; do dirname "$f"; done
fi | xargs -r -d '\n' -P "${JOBS:-4}" -I{} bash -c 'regen_one "$1"' _ {}

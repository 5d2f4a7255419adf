"""Run a composite GitHub Action's `run:` steps the way the Actions runner does, locally.

    python ci/run_action.py ACTION_DIR --workspace DIR [--input NAME=VALUE ...] --result FILE

What is emulated (enough for action.yml, and strict about the rest):
- inputs: the defaults of action.yml, overridden by --input; an unknown input is an error;
- each step's `env:` with `${{ inputs.X }}`, `${{ steps.ID.outputs.X }}`,
  `${{ github.action_path }}`, `${{ github.workspace }}` and `${{ runner.temp }}` substituted;
  any other expression, any `${{` inside a `run:` script, `uses:` and `if:` are errors;
- the script runs as `bash --noprofile --norc -eo pipefail FILE` (the runner's `shell: bash`)
  in the workspace, with GITHUB_ACTION_PATH, GITHUB_WORKSPACE, RUNNER_TEMP, and fresh
  GITHUB_OUTPUT, GITHUB_ENV and GITHUB_PATH files per step;
- after a step: its outputs are read from GITHUB_OUTPUT (`k=v` and `k<<DELIM` forms),
  GITHUB_ENV adds to the environment of later steps, GITHUB_PATH entries are prepended to
  PATH for later steps (the last one added first);
- the first failing step fails the action and later steps are skipped (no `if:`), and the
  action's outputs are evaluated anyway (as the runner's composite handler does).

The result file is JSON: {"outcome", "failed_step", "steps": [{"name", "exit_code"}],
"outputs"}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def read_kv_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIM` … `DELIM` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise SystemExit(f"{path}: unterminated {name}<<{delim}")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise SystemExit(f"{path}: malformed line {line!r}")
    return values


class Context:
    def __init__(self, inputs, action_path, workspace, runner_temp):
        self.inputs = inputs
        self.steps: dict[str, dict[str, str]] = {}
        self.values = {
            "github.action_path": str(action_path),
            "github.workspace": str(workspace),
            "runner.temp": str(runner_temp),
        }

    def evaluate(self, text: str, where: str) -> str:
        def one(m: re.Match) -> str:
            expr = m.group(1)
            if expr in self.values:
                return self.values[expr]
            if mi := re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", expr):
                if mi.group(1) not in self.inputs:
                    raise SystemExit(f"{where}: unknown input {mi.group(1)!r}")
                return self.inputs[mi.group(1)]
            if ms := re.fullmatch(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", expr):
                # A missing step or output is an empty string, as in the runner.
                return self.steps.get(ms.group(1), {}).get(ms.group(2), "")
            raise SystemExit(f"{where}: expression not supported by this emulator: {expr!r}")

        return EXPR.sub(one, str(text))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("action_dir", type=Path)
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--result", type=Path, required=True)
    args = ap.parse_args()

    action_dir = args.action_dir.resolve()
    workspace = args.workspace.resolve()
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    if action.get("runs", {}).get("using") != "composite":
        raise SystemExit("action.yml: only composite actions are emulated")

    declared = action.get("inputs") or {}
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    for item in args.input:
        name, _, value = item.partition("=")
        if name not in declared:
            raise SystemExit(f"--input {name}: not an input of action.yml")
        inputs[name] = value

    with tempfile.TemporaryDirectory(prefix="runner-") as tmp:
        runner_temp = Path(tmp) / "temp"
        runner_temp.mkdir()
        ctx = Context(inputs, action_dir, workspace, runner_temp)
        extra_env: dict[str, str] = {}
        extra_path: list[str] = []
        steps_run = []
        outcome, failed_step = "success", None

        for n, step in enumerate(action["runs"]["steps"]):
            name = step.get("name") or step.get("id") or f"step {n + 1}"
            where = f"action.yml step {name!r}"
            for key in ("uses", "if"):
                if key in step:
                    raise SystemExit(f"{where}: `{key}:` is not emulated")
            if step.get("shell") != "bash":
                raise SystemExit(f"{where}: expected shell: bash")
            script = step["run"]
            if "${{" in script:
                raise SystemExit(f"{where}: `${{{{ }}}}` inside run: (read inputs through env:)")

            files = {k: runner_temp / f"{k.lower()}_{n}" for k in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
            for f in files.values():
                f.touch()
            env = dict(os.environ)
            env.update(extra_env)
            env.update(
                CI="true",
                GITHUB_ACTIONS="true",
                RUNNER_OS="Linux",
                RUNNER_TEMP=str(runner_temp),
                GITHUB_WORKSPACE=str(workspace),
                GITHUB_ACTION_PATH=str(action_dir),
                **{k: str(v) for k, v in files.items()},
            )
            env["PATH"] = os.pathsep.join([*reversed(extra_path), env.get("PATH", "")])
            for key, value in (step.get("env") or {}).items():
                env[key] = ctx.evaluate(value, f"{where} env {key}")

            script_file = runner_temp / f"step_{n}.sh"
            script_file.write_text(script)
            cwd = workspace / ctx.evaluate(step.get("working-directory", "."), where)
            print(f"::group::{name}", flush=True)
            code = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
                cwd=cwd,
                env=env,
            ).returncode
            print(f"::endgroup:: {name}: exit {code}", flush=True)

            steps_run.append({"name": name, "exit_code": code})
            if "id" in step:
                ctx.steps[step["id"]] = read_kv_file(files["GITHUB_OUTPUT"])
            extra_env.update(read_kv_file(files["GITHUB_ENV"]))
            extra_path.extend(p for p in files["GITHUB_PATH"].read_text().splitlines() if p)
            if code != 0:
                outcome, failed_step = "failure", name
                break

        outputs = {
            name: ctx.evaluate(spec.get("value", ""), f"action.yml output {name!r}")
            for name, spec in (action.get("outputs") or {}).items()
        }
    args.result.write_text(
        json.dumps(
            {"outcome": outcome, "failed_step": failed_step, "steps": steps_run, "outputs": outputs},
            indent=2,
        )
    )
    print(f"action outcome: {outcome}; outputs: {json.dumps(outputs)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

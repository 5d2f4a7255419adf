"""Run an AWS CodeBuild buildspec (version 0.2) locally, the way CodeBuild runs its phases.

    python ci/run_buildspec.py BUILDSPEC --src DIR [--env K=V ...] [--batch-entry ID] --result FILE

What is emulated:
- environment variables: the buildspec's `env.variables`, overridden by --env (what the build
  project sets), overridden by the --batch-entry's `env.variables` (a batch build's child);
  CODEBUILD_SRC_DIR is the source directory and the working directory;
- every command of every phase runs in one shell session (`env.shell`, bash by default here),
  so `export` and `cd` carry over, as in buildspec 0.2; a command that exits non-zero fails
  its phase and the phase's later commands are skipped; a `finally` block runs anyway;
- phase transitions: a failed install or pre_build ends the build (no later phase, no
  report); a failed build still runs post_build (CODEBUILD_BUILD_SUCCEEDING=0) and the
  upload, which publishes the reports; `on-failure: ABORT` stops everything, CONTINUE goes on;
- reports: each report group's `files` under `base-directory` are collected; JUNITXML files
  are parsed (tests, failures, errors, test suites).

The result file is JSON: {"succeeded", "failed_phase", "phases": {name: status},
"reports": {group: [{"file", "tests", "failures", "errors", "suites"}]} or null if not uploaded}.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

PHASES = ("install", "pre_build", "build", "post_build")


def shell_script(spec: dict, status_file: Path) -> str:
    """One script for all phases; it appends `phase status` lines to status_file."""
    out = [
        "__status() { printf '%s %s\\n' \"$1\" \"$2\" >> " + shlex.quote(str(status_file)) + "; }",
        "export CODEBUILD_BUILD_SUCCEEDING=1",
        "__stop=0",
    ]
    phases = spec.get("phases") or {}
    for name in PHASES:
        phase = phases.get(name)
        if phase is None:
            continue
        on_failure = phase.get("on-failure")
        out.append(f"if [ $__stop -eq 0 ]; then\n  echo '[Container] Entering phase {name.upper()}'\n  __pf=0")
        for block in ("commands", "finally"):
            for cmd in phase.get(block) or []:
                # Same session: eval in this shell. The commands block stops at its first
                # failure; the finally block runs even then.
                guard = "[ $__pf -eq 0 ]" if block == "commands" else "true"
                out.append(
                    f"  if {guard}; then\n"
                    f"    echo {shlex.quote('[Container] Running command ' + cmd)}\n"
                    f"    eval {shlex.quote(cmd)}\n"
                    f"    __rc=$?\n"
                    f"    if [ $__rc -ne 0 ]; then\n"
                    f"      echo \"[Container] Command did not exit successfully (exit status $__rc)\"\n"
                    f"      __pf=1\n"
                    f"    fi\n"
                    f"  fi"
                )
        if on_failure == "ABORT":
            failed = "__stop=2"
        elif on_failure == "CONTINUE":
            failed = ":"
        elif name in ("install", "pre_build"):
            failed = "__stop=1"  # the transition goes straight to FINALIZING
        else:
            failed = ":"  # build -> post_build -> upload; post_build -> upload
        out.append(
            f"  if [ $__pf -ne 0 ]; then\n"
            f"    export CODEBUILD_BUILD_SUCCEEDING=0; __status {name} FAILED; {failed}\n"
            f"  else\n"
            f"    __status {name} SUCCEEDED\n"
            f"  fi\n"
            f"fi"
        )
    out.append("if [ $__stop -eq 0 ]; then __status upload ATTEMPTED; fi")
    out.append("__status end REACHED")  # missing if a command ended the shell (exit)
    return "\n".join(out) + "\n"


def parse_junit(path: Path) -> dict:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    if root.tag not in ("testsuite", "testsuites"):
        raise SystemExit(f"{path}: not JUnit XML (root <{root.tag}>)")
    cases = [c for s in suites for c in s.findall("testcase")]
    return {
        "file": str(path),
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "suites": [s.get("name") for s in suites],
        "failed_cases": sorted(
            f"{c.get('classname')}::{c.get('name')}" for c in cases if c.find("failure") is not None
        ),
    }


def collect_reports(spec: dict, src: Path) -> dict:
    reports = {}
    for group, conf in (spec.get("reports") or {}).items():
        base = src / conf.get("base-directory", ".")
        fmt = conf.get("file-format", "JUNITXML")
        found = []
        for pattern in conf.get("files") or []:
            for f in sorted(glob.glob(str(base / pattern), recursive=True)):
                if Path(f).is_file():
                    found.append(parse_junit(Path(f)) if fmt == "JUNITXML" else {"file": f})
        reports[group] = found
    return reports


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("buildspec", type=Path)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--env", action="append", default=[], metavar="K=V")
    ap.add_argument("--batch-entry", metavar="IDENTIFIER")
    ap.add_argument("--result", type=Path, required=True)
    args = ap.parse_args()

    spec = yaml.safe_load(args.buildspec.read_text())
    if str(spec.get("version")) != "0.2":
        raise SystemExit(f"{args.buildspec}: only buildspec version 0.2 is emulated")
    src = args.src.resolve()

    env = dict(os.environ)
    env_spec = spec.get("env") or {}
    env.update({k: str(v) for k, v in (env_spec.get("variables") or {}).items()})
    env.update(dict(item.split("=", 1) for item in args.env))
    if args.batch_entry:
        entries = (spec.get("batch") or {}).get("build-list") or []
        entry = next((e for e in entries if e.get("identifier") == args.batch_entry), None)
        if entry is None:
            raise SystemExit(f"{args.buildspec}: no batch build-list entry {args.batch_entry!r}")
        env.update({k: str(v) for k, v in ((entry.get("env") or {}).get("variables") or {}).items()})
        env["CODEBUILD_BATCH_BUILD_IDENTIFIER"] = args.batch_entry
    env["CODEBUILD_SRC_DIR"] = str(src)

    shell = env_spec.get("shell", "bash")
    if shell not in ("bash", "sh", "/bin/sh"):
        raise SystemExit(f"{args.buildspec}: env.shell {shell!r} not emulated")

    with tempfile.TemporaryDirectory(prefix="codebuild-") as tmp:
        status_file = Path(tmp) / "status"
        status_file.touch()
        script = Path(tmp) / "build.sh"
        script.write_text(shell_script(spec, status_file))
        subprocess.run([shell, str(script)], cwd=src, env=env, check=False)
        lines = [ln.split(" ", 1) for ln in status_file.read_text().splitlines()]

    phases = {name: status for name, status in lines if name in PHASES}
    uploaded = ["upload", "ATTEMPTED"] in lines
    failed = [name for name in PHASES if phases.get(name) == "FAILED"]
    if ["end", "REACHED"] not in lines:
        failed.append("(a command ended the shell)")
        uploaded = False
    result = {
        "succeeded": not failed,
        "failed_phase": failed[0] if failed else None,
        "phases": phases,
        "reports": collect_reports(spec, src) if uploaded else None,
    }
    args.result.write_text(json.dumps(result, indent=2))
    print(f"[Container] build {'SUCCEEDED' if result['succeeded'] else 'FAILED'}: {json.dumps(phases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

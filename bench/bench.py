#!/usr/bin/env python3
"""Benchmark tollgate against its peers on the same inputs, in one run.

    python3 bench/bench.py                       # everything: tollgate, peers, parse-only floor
    python3 bench/bench.py --only tollgate       # tollgate (both engines) and the floor
    python3 bench/bench.py --inputs scale-cfn --runs 5
    python3 bench/bench.py --smoke --tollgate target/release/tollgate   # CI: < 30 s, no peers

Each tool runs as a child process; wall time comes from a monotonic clock around it, CPU
time (user + sys) and peak memory (max RSS) from the rusage that `os.wait4` returns for
that child (it includes the child's own reaped children, e.g. checkov's worker processes;
their max RSS is the largest single process, not a sum). Each cell is run --runs times and
the median of each figure is reported.

Peers are installed by this script, outside the repository, under --home (default
~/.cache/tollgate-bench, or $TOLLGATE_BENCH_HOME): checkov and cfn-lint in a venv,
cfn-guard with `cargo install`. Scale inputs are generated there too. Nothing is written
inside the repository. Standard library only.
"""

import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Peer versions, pinned so that two runs of the benchmark compare the same thing.
CHECKOV_VERSION = "3.3.30"
CFN_LINT_VERSION = "1.58.0"
CFN_GUARD_VERSION = "3.2.1"

# checkov checks equivalent to tollgate's built-in pack (`checkov --list`), per framework.
# CloudFormation has no checkov check for NACLs, the default security group or "all ports";
# CKV_AWS_277 (all ports from the world), CKV_AWS_231/232 (NACL 3389/22) and CKV2_AWS_12
# (default security group) exist for Terraform only.
CHECKOV_CFN = [
    "CKV_AWS_24",  # SG ingress 0.0.0.0/0 to port 22      -> sg-ssh-world, sg-admin-ports-*
    "CKV_AWS_25",  # SG ingress 0.0.0.0/0 to port 3389    -> sg-admin-ports-*
    "CKV_AWS_17",  # RDS instance publicly accessible      -> rds-public-access
    "CKV_AWS_16",  # RDS instance storage encryption       -> rds-storage-unencrypted
    "CKV_AWS_96",  # Aurora cluster storage encryption     -> rds-storage-unencrypted
    "CKV_AWS_3",   # EBS volume encryption                 -> ebs-unencrypted
    "CKV_AWS_8",   # launch configuration EBS encryption   -> ebs-unencrypted
    "CKV_AWS_19",  # S3 bucket server-side encryption      -> s3-bucket-unencrypted
    "CKV_AWS_42",  # EFS encryption                        -> efs-unencrypted
    "CKV_AWS_7",   # KMS key rotation                      -> kms-rotation-disabled
]
CHECKOV_TF = CHECKOV_CFN + [
    "CKV_AWS_277",  # SG ingress 0.0.0.0/0 to all ports    -> sg-admin-ports-*
    "CKV_AWS_231",  # NACL ingress 0.0.0.0/0 to 3389       -> nacl-admin-ports-world
    "CKV_AWS_232",  # NACL ingress 0.0.0.0/0 to 22         -> nacl-admin-ports-world
    "CKV2_AWS_12",  # default SG restricts all traffic     -> default-sg-allows-traffic
]

INPUT_NAMES = ["corpus-cfn", "corpus-tf", "scale-cfn", "scale-tf"]
TOOL_ORDER = ["tollgate (rego)", "tollgate (guard)", "parse-only floor", "checkov",
              "cfn-guard CLI", "cfn-lint"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- measuring

def measure(argv, timeout, cwd, stdout_path=os.devnull, env=None):
    """Run argv once; return wall, cpu (user+sys), max RSS (KiB), exit code, timed-out flag.

    The child gets its own session so that a timeout can kill it with everything it
    spawned (checkov forks workers) without touching anything else.
    """
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
        fired = threading.Event()

        def kill():
            fired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        # wait4, not Popen.wait: it hands back this child's rusage (CPU, max RSS).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
        err.seek(0)
        stderr_tail = err.read()[-2000:].decode("utf-8", "replace")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "max_rss_kib": usage.ru_maxrss,  # Linux: KiB
        "exit_code": proc.returncode,
        "timed_out": fired.is_set(),
        "stderr_tail": stderr_tail,
    }


def run_cell(argv, ok_codes, args, cwd, stdout_path=os.devnull, env=None):
    """Run one tool × input up to --runs times; stop early on failure or past --cell-budget.

    A peer that needs minutes per run (checkov on a big plan grows quadratically) would
    otherwise eat the whole session; the number of runs actually made is reported.
    """
    runs, spent = [], 0.0
    for i in range(args.runs):
        r = measure(argv, args.timeout, cwd, stdout_path, env)
        runs.append(r)
        spent += r["wall_s"]
        log(f"    run {i + 1}: {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s cpu, "
            f"{r['max_rss_kib'] / 1024:.0f} MiB, exit {r['exit_code']}"
            + (" (TIMEOUT)" if r["timed_out"] else ""))
        if r["timed_out"] or r["exit_code"] not in ok_codes:
            break
        if spent > args.cell_budget and i + 1 < args.runs:
            log(f"    (cell budget {args.cell_budget:.0f} s spent: stopping after {i + 1} runs)")
            break
    last = runs[-1]
    cell = {"argv": argv, "runs": len(runs), "exit_code": last["exit_code"]}
    if last["timed_out"]:
        cell["status"] = f"timeout (>{args.timeout:.0f} s)"
    elif last["exit_code"] not in ok_codes:
        cell["status"] = f"failed (exit {last['exit_code']})"
        cell["stderr_tail"] = last["stderr_tail"][-600:]
    else:
        cell["status"] = "ok"
    good = [r for r in runs if not r["timed_out"] and r["exit_code"] in ok_codes]
    if good:
        for key in ("wall_s", "cpu_s", "max_rss_kib"):
            cell[key] = statistics.median(r[key] for r in good)
    return cell


# ---------------------------------------------------------------------------- inputs

def input_files(path):
    """The files tollgate and load_bench read under path (same extensions, sorted)."""
    if os.path.isfile(path):
        return [path]
    found = []
    for root, _, names in os.walk(path):
        for n in names:
            if n.rsplit(".", 1)[-1] in ("yaml", "yml", "json", "template", "cfn"):
                found.append(os.path.join(root, n))
    return sorted(found)


def prepare_inputs(args):
    """name -> {path, kind, files, bytes}; scale inputs are generated once into --home."""
    corpus = os.path.join(args.shared, "corpus")
    scale = os.path.join(args.home, "inputs")
    os.makedirs(scale, exist_ok=True)
    gen = os.path.join(args.shared, "tools", "gen-scale.py")
    spec = {
        "corpus-cfn": (os.path.join(corpus, "cloudformation"), "cfn", None),
        "corpus-tf": (os.path.join(corpus, "terraform-plan"), "tf", None),
        "scale-cfn": (os.path.join(scale, "scale-cfn-5000x3.yaml"), "cfn",
                      ["cfn", "--groups", "5000", "--rules", "3"]),
        "scale-tf": (os.path.join(scale, "scale-plan-20000x3.json"), "tf",
                     ["plan", "--resources", "20000", "--rules", "3"]),
    }
    inputs = {}
    for name in args.inputs:
        path, kind, gen_args = spec[name]
        if gen_args and not os.path.exists(path):
            log(f"generating {path}")
            subprocess.run([sys.executable, gen, gen_args[0], path] + gen_args[1:], check=True,
                           stdout=sys.stderr)
        files = input_files(path)
        inputs[name] = {"path": path, "kind": kind, "files": len(files),
                        "bytes": sum(os.path.getsize(f) for f in files)}
    return inputs


# ---------------------------------------------------------------------------- peers

def ensure_peers(args):
    """Install checkov + cfn-lint (venv) and cfn-guard (cargo install) under --home, once."""
    venv = os.path.join(args.home, "venv")
    bins = {
        "checkov": os.path.join(venv, "bin", "checkov"),
        "cfn-lint": os.path.join(venv, "bin", "cfn-lint"),
        "cfn-guard": os.path.join(args.home, "cfn-guard", "bin", "cfn-guard"),
    }
    if not (os.path.exists(bins["checkov"]) and os.path.exists(bins["cfn-lint"])):
        if args.no_install:
            sys.exit(f"checkov/cfn-lint missing under {venv} (--no-install)")
        log(f"installing checkov {CHECKOV_VERSION} and cfn-lint {CFN_LINT_VERSION} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q",
                        f"checkov=={CHECKOV_VERSION}", f"cfn-lint=={CFN_LINT_VERSION}"],
                       check=True, stdout=sys.stderr)
    if not os.path.exists(bins["cfn-guard"]):
        if args.no_install:
            sys.exit(f"cfn-guard missing under {args.home} (--no-install)")
        log(f"installing cfn-guard {CFN_GUARD_VERSION} (cargo install: slow, done once)")
        subprocess.run(["cargo", "install", "cfn-guard", "--version", CFN_GUARD_VERSION,
                        "--locked", "--root", os.path.join(args.home, "cfn-guard")],
                       check=True, stdout=sys.stderr)
    return bins


def guard_rules_for_cli(args):
    """Copy tollgate's Guard rules into --home in a shape cfn-guard's CLI can run on raw input.

    Two differences from what tollgate's Guard engine feeds them (docs/input-documents.md):
    - `tollgate_options` is not in a raw document: the admin ports become the default [22, 3389].
    - Terraform rules read tollgate's resource list (`resources[*].after`); a raw plan has
      `resource_changes[*].change.after`, so the paths are rewritten. `config_address` and
      `references` (tollgate's configuration joins) have no raw equivalent and match nothing,
      so the joins fall back to the known-id / known-name comparison.
    CloudFormation rules see templates unresolved (no parameter defaults, no Fn::If choice).
    """
    out = os.path.join(args.home, "guard-rules")
    for kind in ("cloudformation", "terraform"):
        d = os.path.join(out, kind)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for src in sorted(glob.glob(os.path.join(REPO, "policies", "*", kind + ".guard"))):
            text = open(src, encoding="utf-8").read()
            text = re.sub(r"^let ports = tollgate_options\.admin_ports\[\*\]",
                          "let ports = [22, 3389]", text, flags=re.M)
            if kind == "terraform":
                text = re.sub(r"\bresources\[", "resource_changes[", text)
                text = re.sub(r"\bafter_unknown\b", "change.after_unknown", text)
                text = re.sub(r"\bafter\b", "change.after", text)
            rule_id = os.path.basename(os.path.dirname(src))
            with open(os.path.join(d, rule_id + ".guard"), "w", encoding="utf-8") as f:
                f.write(text)
    return {"cfn": os.path.join(out, "cloudformation"), "tf": os.path.join(out, "terraform")}


def guard_parseable(cfn_guard, files, home):
    """The files cfn-guard's CLI can parse, probed one by one (cached in --home).

    cfn-guard aborts a whole multi-file run on the first file it cannot parse (e.g. an
    integer mapping key), so the timed run gets only the files it can read.
    """
    key = hashlib.sha256(("\n".join(files) + CFN_GUARD_VERSION).encode()).hexdigest()[:16]
    cache = os.path.join(home, f"guard-parseable-{key}.json")
    if os.path.exists(cache):
        return json.load(open(cache))
    log(f"  probing which of {len(files)} files cfn-guard can parse (once, cached)")
    with tempfile.TemporaryDirectory() as tmp:
        rule = os.path.join(tmp, "probe.guard")
        with open(rule, "w") as f:
            f.write("rule probe { this exists }\n")
        ok = [f for f in files
              if subprocess.run([cfn_guard, "validate", "-r", rule, "-d", f, "-S", "none"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
              in (0, 19)]
    json.dump(ok, open(cache, "w"))
    return ok


# ---------------------------------------------------------------------------- verdicts
# What each tool reported, from its output (tool-specific units, a sanity check that the
# tools did comparable work, not a parity claim).

def verdict_tollgate(path):
    try:
        s = json.load(open(path))["summary"]
        return f"{s['findings']} findings, {s.get('errors', 0)} file errors, {s['files_scanned']} files"
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable output"


def verdict_checkov(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        return "unreadable output"
    reports = d if isinstance(d, list) else [d]
    failed = sum(r.get("summary", {}).get("failed", 0) for r in reports if isinstance(r, dict))
    errors = sum(r.get("summary", {}).get("parsing_errors", 0) for r in reports if isinstance(r, dict))
    return f"{failed} failed checks, {errors} parse errors"


def verdict_guard(path):
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        return "unreadable output"
    pairs = sum(len(doc.get("not_compliant", [])) for doc in d)
    return f"{pairs} failing file×rule, {len(d)} files"


def verdict_cfn_lint(path):
    try:
        return f"{sum(1 for _ in open(path))} matches (all default rules)"
    except OSError:
        return "unreadable output"


# ---------------------------------------------------------------------------- the run

def tollgate_argv(args, engine, path):
    argv = [args.tollgate, "check", path, "--engine", engine, "--format", "json"]
    if args.no_config:
        argv.insert(2, "--no-config")  # a tollgate.toml in a parent folder must not change the rules
    return argv


def bench(args, inputs, checkpoint=lambda results: None):
    """Run every tool on every input; checkpoint(results) after each input."""
    results = []
    work = os.path.join(args.home, "work")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, NO_COLOR="1")
    peers = None if args.only == "tollgate" else ensure_peers(args)
    rules = guard_rules_for_cli(args) if peers else None

    for name, inp in inputs.items():
        path, kind = inp["path"], inp["kind"]
        log(f"== {name}: {path} ({inp['files']} files, {inp['bytes'] / 1e6:.1f} MB)")

        def add(tool, cell, verdict=None):
            cell.update(tool=tool, input=name, verdict=verdict)
            results.append(cell)

        for engine in ("rego", "guard"):
            tool = f"tollgate ({engine})"
            log(f"  {tool}")
            argv = tollgate_argv(args, engine, path)
            cell = run_cell(argv, (0, 1, 2), args, work, env=env)  # 2: some corpus files do not parse
            # One more, untimed run keeps the report (timed runs write to /dev/null).
            report = os.path.join(work, f"tollgate-{engine}-{name}.json")
            if cell["status"] == "ok":
                with open(report, "wb") as out:
                    try:
                        subprocess.run(argv, cwd=work, env=env, stdout=out,
                                       stderr=subprocess.DEVNULL, timeout=args.timeout)
                    except subprocess.TimeoutExpired:
                        pass  # the verdict reads as "unreadable output"
            add(tool, cell, verdict_tollgate(report) if cell["status"] == "ok" else None)

        if args.load_bench:
            log("  parse-only floor (load_bench --rounds 1)")
            out = os.path.join(work, f"load-bench-{name}.txt")
            cell = run_cell([args.load_bench, "--rounds", "1", path], (0,), args, work, out)
            try:
                verdict = open(out).read().strip().split(": best of")[0]
            except OSError:
                verdict = None
            add("parse-only floor", cell, verdict)

        if not peers:
            checkpoint(results)
            continue

        log("  checkov")
        out = os.path.join(work, f"checkov-{name}.json")
        flag = "-d" if os.path.isdir(path) else "-f"
        framework, checks = (("cloudformation", CHECKOV_CFN) if kind == "cfn"
                             else ("terraform_plan", CHECKOV_TF))
        argv = [peers["checkov"], flag, path, "--framework", framework, "--check", ",".join(checks),
                "--skip-download", "--quiet", "--compact", "-o", "json"]
        cell = run_cell(argv, (0, 1), args, work, out, env)
        add("checkov", cell, verdict_checkov(out) if cell["status"] == "ok" else None)

        log("  cfn-guard CLI")
        out = os.path.join(work, f"cfn-guard-{name}.json")
        files = input_files(path)
        data = guard_parseable(peers["cfn-guard"], files, args.home) if len(files) > 1 else files
        argv = [peers["cfn-guard"], "validate", "-r", rules[kind], "-S", "none", "-z", "-o", "json"]
        for f in data:
            argv += ["-d", f]
        cell = run_cell(argv, (0, 19), args, work, out, env)
        verdict = verdict_guard(out) if cell["status"] == "ok" else None
        if len(data) < len(files):
            verdict = f"{verdict}; {len(files) - len(data)} files it cannot parse left out"
        add("cfn-guard CLI", cell, verdict)

        if kind == "cfn":
            log("  cfn-lint (all default rules: not an equivalent rule set)")
            out = os.path.join(work, f"cfn-lint-{name}.txt")
            argv = [peers["cfn-lint"], "--format", "parseable", "--"] + input_files(path)
            # Exit codes are a bit mask of error (2), warning (4), info (8); 1 = crash.
            cell = run_cell(argv, (0, 2, 4, 6, 8, 10, 12, 14), args, work, out, env)
            add("cfn-lint", cell, verdict_cfn_lint(out) if cell["status"] == "ok" else None)
        checkpoint(results)
    return results


# ---------------------------------------------------------------------------- reporting

def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kib = 0
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gib": round(mem_kib / 1048576, 1),
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg()}


def markdown(doc):
    lines = ["| input | tool | runs | wall (median) | CPU user+sys | max RSS | × tollgate (rego) wall | result |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, inp in doc["inputs"].items():
        cells = sorted((c for c in doc["results"] if c["input"] == name),
                       key=lambda c: TOOL_ORDER.index(c["tool"]))
        base = next((c.get("wall_s") for c in cells if c["tool"] == "tollgate (rego)"), None)
        label = f"{name} ({inp['files']} files, {inp['bytes'] / 1e6:.1f} MB)"
        for c in cells:
            if "wall_s" in c:
                wall, cpu = f"{c['wall_s']:.2f} s", f"{c['cpu_s']:.2f} s"
                rss = f"{c['max_rss_kib'] / 1024:.0f} MiB"
                ratio = f"{c['wall_s'] / base:.2f}×" if base else "—"
            else:
                wall = cpu = rss = ratio = "—"
            result = c["status"] if c["status"] != "ok" else (c.get("verdict") or "ok")
            if c["status"] != "ok" and c.get("verdict"):
                result += f"; {c['verdict']}"
            lines.append(f"| {label} | {c['tool']} | {c['runs']} | {wall} | {cpu} | {rss} | {ratio} | {result} |")
            label = ""
    return "\n".join(lines) + "\n"


def write_reports(doc, json_path, md_path):
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=2)
    with open(md_path, "w") as f:
        f.write(markdown(doc))


def check_report(json_path, md_path, expect_cells):
    """--smoke: read back what we wrote and check it is well-formed; return the problems."""
    problems = []
    try:
        doc = json.load(open(json_path))
    except (OSError, ValueError) as e:
        return [f"results JSON unreadable: {e}"]
    for key in ("version", "machine", "inputs", "results"):
        if key not in doc:
            problems.append(f"results JSON lacks {key!r}")
    cells = doc.get("results", [])
    if len(cells) != expect_cells:
        problems.append(f"{len(cells)} result cells, expected {expect_cells}")
    for c in cells:
        if c.get("status") != "ok":
            problems.append(f"{c.get('tool')} on {c.get('input')}: {c.get('status')} {c.get('stderr_tail', '')}")
            continue
        for key in ("wall_s", "cpu_s", "max_rss_kib"):
            if not isinstance(c.get(key), (int, float)) or c[key] < 0:
                problems.append(f"{c.get('tool')}: {key} is {c.get(key)!r}")
        if c.get("exit_code") != 1:  # both smoke files hold findings
            problems.append(f"{c.get('tool')}: exit code {c.get('exit_code')}, expected 1")
        if not re.match(r"[1-9][0-9]* findings, 0 file errors, 2 files", c.get("verdict") or ""):
            problems.append(f"{c.get('tool')}: report says {c.get('verdict')!r}")
    table = open(md_path).read().splitlines()
    if len(table) != 2 + expect_cells or not all(l.startswith("| ") and l.endswith(" |") for l in table):
        problems.append("Markdown table malformed")
    return problems


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tollgate", default=os.path.join(REPO, "target", "release", "tollgate"),
                   help="tollgate binary (default: target/release/tollgate, built if missing)")
    p.add_argument("--load-bench", default=os.path.join(REPO, "target", "release", "examples", "load_bench"),
                   help="the parse-only floor binary (default: built with cargo if missing)")
    p.add_argument("--home", default=os.environ.get("TOLLGATE_BENCH_HOME",
                                                    os.path.expanduser("~/.cache/tollgate-bench")),
                   help="peers, generated inputs and results (outside the repo)")
    p.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"),
                   help="the shared folder with corpus/ and tools/gen-scale.py")
    p.add_argument("--only", choices=["tollgate"], help="skip the peers")
    p.add_argument("--runs", type=int, default=3, help="runs per tool × input (median reported)")
    p.add_argument("--inputs", default=",".join(INPUT_NAMES),
                   help="comma-separated: " + ",".join(INPUT_NAMES))
    p.add_argument("--timeout", type=float, default=600, help="seconds per run before it is killed")
    p.add_argument("--cell-budget", type=float, default=300,
                   help="stop repeating a tool × input once its runs took this many seconds")
    p.add_argument("--no-install", action="store_true", help="fail instead of installing peers")
    p.add_argument("--out", help="results prefix (default: HOME/results/<timestamp>): writes .json and .md")
    p.add_argument("--smoke", action="store_true",
                   help="tiny self-check for CI: tollgate on 2 testdata files once, no peers")
    args = p.parse_args()

    args.tollgate = os.path.abspath(args.tollgate)
    if args.smoke:
        return smoke(args)

    args.inputs = [i.strip() for i in args.inputs.split(",") if i.strip()]
    unknown = set(args.inputs) - set(INPUT_NAMES)
    if unknown:
        p.error(f"unknown inputs: {', '.join(sorted(unknown))}")
    build_if_missing(args)
    os.makedirs(args.home, exist_ok=True)
    snapshot_binaries(args)
    args.no_config = supports_no_config(args.tollgate)
    inputs = prepare_inputs(args)
    doc = {"version": 1, "started": datetime.datetime.now().isoformat(timespec="seconds"),
           "machine": machine(), "runs": args.runs, "timeout_s": args.timeout,
           "tollgate": args.tollgate, "inputs": inputs,
           "git": subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                 capture_output=True, text=True).stdout.strip()}
    prefix = args.out or os.path.join(args.home, "results",
                                      datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)

    def checkpoint(results):
        # A long run keeps what it measured so far if it is stopped.
        doc["results"] = results
        doc["machine"]["loadavg_at_end"] = os.getloadavg()
        write_reports(doc, prefix + ".json", prefix + ".md")

    checkpoint(bench(args, inputs, checkpoint))
    m = doc["machine"]
    print(f"\n{m['nproc']} cores, {m['cpu']}, {m['ram_gib']} GiB; load average "
          f"{m['loadavg_at_start'][0]:.1f} at start, {m['loadavg_at_end'][0]:.1f} at end\n")
    print(markdown(doc))
    print(f"written: {prefix}.json, {prefix}.md")
    return 0


def snapshot_binaries(args):
    """Copy tollgate and load_bench into --home: the shared target/ may be rebuilt mid-run."""
    snap = os.path.join(args.home, "bin")
    os.makedirs(snap, exist_ok=True)
    for attr in ("tollgate", "load_bench"):
        src = getattr(args, attr)
        if src:
            dst = os.path.join(snap, os.path.basename(src))
            shutil.copy2(src, dst)
            setattr(args, attr, dst)


def supports_no_config(tollgate):
    """Older builds have no --no-config (nor tollgate.toml); pass it only where it exists."""
    return "--no-config" in subprocess.run([tollgate, "check", "--help"],
                                           capture_output=True, text=True).stdout


def build_if_missing(args):
    """Build the release binary / load_bench example if they are not there yet."""
    default = os.path.join(REPO, "target", "release")
    if not os.path.exists(args.tollgate) and args.tollgate.startswith(default):
        subprocess.run(["cargo", "build", "--release", "-p", "tollgate-cli"], cwd=REPO, check=True)
    if not os.path.exists(args.load_bench):
        if args.load_bench.startswith(default):
            subprocess.run(["cargo", "build", "--release", "--example", "load_bench",
                            "-p", "tollgate-template"], cwd=REPO, check=True)
        else:
            log(f"no {args.load_bench}: parse-only floor skipped")
            args.load_bench = None
    if not os.path.exists(args.tollgate):
        sys.exit(f"no tollgate binary at {args.tollgate}")


def smoke(args):
    """Run tollgate (both engines) once on two fixtures, write the reports, read them back."""
    if not os.path.exists(args.tollgate):
        sys.exit(f"no tollgate binary at {args.tollgate}")
    with tempfile.TemporaryDirectory(prefix="tollgate-bench-smoke-") as tmp:
        files = os.path.join(tmp, "inputs")
        os.makedirs(files)
        for src in ("policies/sg-ssh-world/cases/cfn-fail-basic.yaml",
                    "policies/sg-ssh-world/cases/tf-fail-basic/plan.json"):
            shutil.copy(os.path.join(REPO, src), files)
        args.runs, args.timeout, args.cell_budget = 1, 60, 60
        args.home, args.only, args.load_bench = tmp, "tollgate", None
        args.no_config = supports_no_config(args.tollgate)
        inputs = {"smoke": {"path": files, "kind": "cfn", "files": 2,
                            "bytes": sum(os.path.getsize(f) for f in input_files(files))}}
        doc = {"version": 1, "machine": machine(), "inputs": inputs, "results": bench(args, inputs)}
        write_reports(doc, os.path.join(tmp, "r.json"), os.path.join(tmp, "r.md"))
        problems = check_report(os.path.join(tmp, "r.json"), os.path.join(tmp, "r.md"), 2)
        print(open(os.path.join(tmp, "r.md")).read())
    for problem in problems:
        print(f"smoke: {problem}", file=sys.stderr)
    print("bench smoke: " + ("FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

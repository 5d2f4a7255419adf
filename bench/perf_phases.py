#!/usr/bin/env python3
"""Where does tollgate spend its time? Summarise a `perf record --call-graph dwarf` profile.

    perf record -F 999 --call-graph dwarf,65528 -o perf.data -- \\
        target/release/tollgate check FILE --engine rego --format json > /dev/null
    perf script -i perf.data -F comm,tid,ip,sym | python3 bench/perf_phases.py

Each sample is charged to the innermost frame of tollgate's own crates on its stack (so
time in regorus, saphyr, malloc... counts towards the tollgate function that called it),
then to a phase by that function's module. Samples whose stack was cut before reaching
tollgate code (deep regorus recursion can exceed perf's stack copy) are "unattributed".
Standard library only.
"""

import collections
import re
import sys

# tollgate module -> phase; first match wins, checked in this order.
PHASES = [
    (r"tollgate::commands::build_engine|RegoEngine::from_sources|RegoEngine::with_user|"
     r"GuardEngine::(new|from)", "compile policies"),
    (r"tollgate_template::(yaml|json|index|source)", "load: parse + span index"),
    (r"tollgate_template::detect", "load: detect"),
    (r"tollgate_template::cfn", "load: resolve (CloudFormation)"),
    (r"tollgate_template::plan", "load: plan model"),
    (r"tollgate_template", "load: other"),
    (r"tollgate_policy::engine::rego", "evaluate: rego (regorus)"),
    (r"tollgate_policy::engine::guard", "evaluate: guard (cfn-guard)"),
    (r"tollgate_policy::check", "check: variants, locate, merge"),
    (r"tollgate_policy", "policy: other"),
    (r"tollgate::report|tollgate::output", "report"),
    (r"tollgate::", "cli: other"),
]


def main():
    by_func, by_phase, total = collections.Counter(), collections.Counter(), 0
    by_call = collections.Counter()  # (tollgate function, the library function it called)
    stack = []
    for line in list(sys.stdin) + [""]:
        if line.strip():
            if not line.startswith(("\t", " ")):
                stack = []  # a sample's header line (comm tid)
            else:
                parts = line.strip().split(None, 1)
                stack.append(parts[1] if len(parts) > 1 else "")
            continue
        if not stack:
            continue
        total += 1
        # innermost = first frame listed (perf script prints leaf first)
        at = next((i for i, f in enumerate(stack) if re.match(r"<?tollgate", f)), None)
        func = stack[at] if at is not None else None
        callee = stack[at - 1] if at else "(itself)"
        stack = []
        if func is None:
            by_phase["unattributed (stack cut short or outside tollgate)"] += 1
            continue
        func = re.sub(r" \(inlined\)$", "", func)
        by_func[func] += 1
        by_call[(func, re.sub(r" \(inlined\)$", "", callee))] += 1
        phase = next((name for pattern, name in PHASES if re.search(pattern, func)), "other")
        by_phase[phase] += 1
    print(f"{total} samples\n\nby phase:")
    for name, n in by_phase.most_common():
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\ninnermost tollgate function (inclusive of the library code it calls):")
    for name, n in by_func.most_common(15):
        print(f"  {100 * n / total:5.1f}%  {name[:150]}")
    print("\n... split by the library function it called (outermost non-tollgate frame):")
    for (name, callee), n in by_call.most_common(15):
        print(f"  {100 * n / total:5.1f}%  {name[:70]}  ->  {callee[:110]}")


if __name__ == "__main__":
    main()

"""10,000 resources: a from-scratch apply at the rate limit, then a no-op plan as a whole process.

Run: ``python benchmarks/bench_scale.py [--assistants 4000 --files 5000 --stores 1000
--files-per-store 5] [--latency-ms 20] [--parallelism 16] [--repeat 5] [--quick]``. Prints one
JSON object.

The apply runs in this process through the engine, as `apply` does, against a fresh in-process
sandbox that adds `--latency-ms` to every request; the plan before it is timed apart. Its bound
is the apply's own API calls x latency / parallelism: no more than `parallelism` requests are in
flight, so no schedule can be faster. `state_documents` and `journal_records` count what the
state backend wrote: whole documents should be few, a step should cost what it changed.

The no-op plan is `assistplan --sandbox plan --detailed-exitcode` of the applied config in a child
process (interpreter start, imports from the package's compiled bytecode as installed, config load
with file hashes, state, refresh against the in-process sandbox without added latency, diff,
output), `--repeat` times; median and best. `config_cpu` is the config's share of it, timed in this
process: parsing, the whole load, and the desired graph with file hashes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from bench_startup import machine  # noqa: E402
from genconfig import Size  # noqa: E402


def apply_from_scratch(root: Path, latency_ms: float, parallelism: int) -> dict[str, Any]:
    remote, store = genconfig.sandbox_remote(root, parallelism, latency_ms=latency_ms)
    run = genconfig.plan_and_apply(root, remote, store, parallelism)
    bound = run["apply_api_calls"] * latency_ms / 1000 / parallelism
    return {
        **run,
        "bound_s": round(bound, 2),
        "apply_vs_bound": round(run["apply_s"] / bound, 2) if bound else None,
        "bar": "<= 2x",
        "state_file_bytes": (root / ".assistplan" / "state.json").stat().st_size,
    }


def noop_plan(root: Path, repeat: int) -> dict[str, Any]:
    genconfig.compile_bytecode()
    runs = []
    for _ in range(repeat):
        r = genconfig.cli(root, "plan", "--detailed-exitcode")
        if r["code"] != 0:
            raise RuntimeError(f"expected a no-op plan (exit 0), got exit {r['code']}:\n{r['err'][-2000:]}")
        runs.append(r["wall_s"])
    return {
        "runs_s": [round(r, 3) for r in runs],
        "median_s": round(statistics.median(runs), 3),
        "best_s": round(min(runs), 3),
        "bar": "< 2.5 s",
    }


def config_load(root: Path, repeat: int) -> dict[str, Any]:
    """CPU seconds (process time, all threads; medians) of the config's share of that plan, in this
    process: the YAML parsed with positions, the whole `load_config` (parse, schema, checks,
    model), and the desired graph (file hashes included)."""
    from assistplan.config import load_config
    from assistplan.config.yaml_positions import parse_yaml
    from assistplan.plan.desired import build_desired

    path = root / "assistants.yaml"
    text = path.read_text(encoding="utf-8")
    runs: dict[str, list[float]] = {"parse_yaml_s": [], "load_config_s": [], "build_desired_s": []}
    for _ in range(repeat):
        started = time.process_time()
        parse_yaml(text)
        parsed = time.process_time()
        config = load_config(path)
        loaded = time.process_time()
        build_desired(config)
        runs["parse_yaml_s"].append(parsed - started)
        runs["load_config_s"].append(loaded - parsed)
        runs["build_desired_s"].append(time.process_time() - loaded)
    return {name: round(statistics.median(times), 3) for name, times in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assistants", type=int, default=4000)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--stores", type=int, default=1000)
    parser.add_argument("--files-per-store", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 resources, 2 plans: proves the harness")
    a = parser.parse_args()
    size = Size(a.assistants, a.files, a.stores, a.files_per_store)
    repeat = a.repeat
    if a.quick:
        size, repeat = Size(40, 50, 10, 5), 2
    genconfig.quiet_sandbox_env()
    genconfig.like_the_cli()
    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, size)
        out: dict[str, Any] = {
            "benchmark": "scale",
            "resources": size.resources,
            "config": asdict(size),
            "latency_ms": a.latency_ms,
            "parallelism": a.parallelism,
            "apply": apply_from_scratch(root, a.latency_ms, a.parallelism),
            "noop_plan_process": noop_plan(root, repeat),
            "config_cpu": config_load(root, repeat),
        }
    out["machine"] = machine()
    out["machine"]["note"] = "2 cores shared with other work: medians; figures vary with the load"
    genconfig.dump(out)


if __name__ == "__main__":
    main()

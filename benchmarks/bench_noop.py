"""No-op plan as a whole process: `assistplan --sandbox plan` of an applied config, timed end to end.

Run: ``python benchmarks/bench_noop.py [--resources 1000 10000] [--repeat 5] [--quick]``. Prints one
JSON object.

For each size it generates a config (half assistants, a tenth vector stores of up to 40 files,
the rest files), applies it to a fresh in-process sandbox, then runs `assistplan -C DIR --sandbox
plan --detailed-exitcode` in a child process `--repeat` times (interpreter start, imports, config
load and validation, state, file hashes, refresh against the in-process sandbox, diff, output).
It reports the fastest and the median run, and the time per resource, to show it is linear.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from genconfig import Size  # noqa: E402


def measure(resources: int, repeat: int) -> dict[str, Any]:
    size = Size.of_resources(resources)
    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, size)
        setup = genconfig.apply_in_process(root, parallelism=64)
        runs = []
        for _ in range(repeat):
            r = genconfig.cli(root, "plan", "--detailed-exitcode")
            if r["code"] != 0:
                raise RuntimeError(
                    f"expected a no-op plan (exit 0), got exit {r['code']}:\n{r['err'][-2000:]}"
                )
            runs.append(r["wall_s"])
    best, median = min(runs), statistics.median(runs)
    return {
        "resources": size.resources,
        "config": asdict(size),
        "setup_apply_s": round(setup, 2),
        "runs_s": [round(r, 3) for r in runs],
        "best_s": round(best, 3),
        "median_s": round(median, 3),
        "ms_per_resource": round(median * 1000 / size.resources, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 resources, 2 runs: proves the harness")
    a = parser.parse_args()
    sizes, repeat = ([100], 2) if a.quick else (a.resources, a.repeat)
    genconfig.quiet_sandbox_env()
    results = [measure(n, repeat) for n in sizes]
    out: dict[str, Any] = {"benchmark": "noop_plan_process", "sizes": results}
    if len(results) > 1:
        small, large = results[0], results[-1]
        out["growth"] = {
            "resources_ratio": round(large["resources"] / small["resources"], 1),
            "time_ratio": round(large["median_s"] / small["median_s"], 2),
        }
    out["python"] = platform.python_version()
    out["cpus"] = os.cpu_count()
    genconfig.dump(out)


if __name__ == "__main__":
    main()

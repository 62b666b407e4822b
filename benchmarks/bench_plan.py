"""Plan at scale: API calls vs the fewest pages, wall time vs the critical path, and the speed-up over
refreshing with one GET per object, measured in the same run.

Run: ``python benchmarks/bench_plan.py [--assistants 500 --files 2000 --stores 50 --files-per-store 40]
[--latency-ms 50] [--parallelism 10] [--quick]``. Prints one JSON object.

It generates the config, creates it in a fresh in-process sandbox (an apply, no latency), then
plans it (a no-op plan: everything is in state) against the same sandbox with `--latency-ms` added
to every request: once as assistplan refreshes, once with one GET per managed object (the way
providers that read one object per request work). Both plans are timed from the loaded config
and state to the finished plan (desired graph with file hashes, refresh, diff).

- `fewest_pages`: per kind ceil(objects / page size) (files 10,000 a page, assistants and vector
  stores 100), plus one file list per vector store (100 a page).
- `critical_path_s`: the longest chain of pages that must follow one another (cursor
  pagination; a store's file list after the store list) times the latency.
- `throughput_bound_s`: ceil(fewest pages / parallelism) times the latency: the requests cannot
  all be in flight at once. The physical limit is the larger of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from genconfig import Size  # noqa: E402


@contextlib.contextmanager
def one_get_per_object() -> Iterator[None]:
    """make_plan with a Reader that GETs every managed object (the baseline being compared with)."""
    from assistplan.plan import planner
    from assistplan.plan.refresh import Reader

    original = planner.Reader
    planner.Reader = partial(Reader, strategy="get")
    try:
        yield
    finally:
        planner.Reader = original


def timed_plan(root: Path, latency_ms: float, parallelism: int) -> dict[str, Any]:
    """One plan of root's config against its sandbox with `latency_ms` per request."""
    from assistplan.config import load_config
    from assistplan.plan.planner import make_plan
    from assistplan.state import LocalBackend

    config = load_config(root / "assistants.yaml")
    state = LocalBackend(root / ".assistplan" / "state.json").read()
    assert state is not None
    remote, store = genconfig.sandbox_remote(root, parallelism, latency_ms=latency_ms)
    stats = store.stats
    stats.reset()
    started = time.perf_counter()
    plan = make_plan(config, state, remote, endpoint="sandbox", prior_exists=True, parallelism=parallelism)
    wall = time.perf_counter() - started
    http = stats.snapshot()
    if plan.has_changes or plan.errors:
        raise RuntimeError(f"expected a no-op plan, got {plan.summary()} {plan.errors}")
    return {
        "api_calls": remote.calls,
        "http_requests": http["total"],
        "requests": http["requests"],
        "wall_s": round(wall, 3),
    }


def run(size: Size, latency_ms: float, parallelism: int, baseline: bool = True) -> dict[str, Any]:
    genconfig.quiet_sandbox_env()
    genconfig.like_the_cli()
    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, size)
        setup = genconfig.apply_in_process(root, parallelism=32)
        latency = latency_ms / 1000
        fewest = size.fewest_pages()
        fewest_total = sum(fewest.values())
        critical = size.critical_pages() * latency
        throughput = math.ceil(fewest_total / parallelism) * latency
        auto = timed_plan(root, latency_ms, parallelism)
        auto["calls_vs_fewest"] = round(auto["api_calls"] / fewest_total, 3)
        auto["wall_vs_critical_path"] = round(auto["wall_s"] / critical, 2) if critical else None
        result: dict[str, Any] = {
            "benchmark": "plan",
            "config": {**asdict(size), "resources": size.resources},
            "latency_ms": latency_ms,
            "parallelism": parallelism,
            "setup_apply_s": round(setup, 2),
            "fewest_pages": {**fewest, "total": fewest_total},
            "sequential_pages": size.critical_pages(),
            "critical_path_s": round(critical, 3),
            "throughput_bound_s": round(throughput, 3),
            "plan": auto,
        }
        if baseline:
            with one_get_per_object():
                get = timed_plan(root, latency_ms, parallelism)
            get.pop("requests")
            result["one_get_per_object"] = get
            result["speedup"] = round(get["wall_s"] / auto["wall_s"], 1)
        result["python"] = platform.python_version()
        result["cpus"] = os.cpu_count()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assistants", type=int, default=Size.assistants)
    parser.add_argument("--files", type=int, default=Size.files)
    parser.add_argument("--stores", type=int, default=Size.stores)
    parser.add_argument("--files-per-store", type=int, default=Size.files_per_store)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-GET-per-object plan")
    parser.add_argument("--quick", action="store_true", help="a small config (seconds): proves the harness")
    a = parser.parse_args()
    size = Size(a.assistants, a.files, a.stores, a.files_per_store)
    if a.quick:
        size = Size(30, 60, 3, 10)
    genconfig.dump(run(size, a.latency_ms, a.parallelism, baseline=not a.no_baseline))


if __name__ == "__main__":
    main()

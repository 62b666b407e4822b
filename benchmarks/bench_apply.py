"""Apply at the rate limit: creating N assistants with latency, against the bound N x latency / parallelism;
and the same apply under injected 429s, which must still create every object exactly once.

Run: ``python benchmarks/bench_apply.py [--assistants 500] [--latency-ms 50] [--parallelism 16]
[--rate-limit-rate 0.1] [--quick]``. Prints one JSON object.

Each run starts from an empty sandbox and no state, plans (timed apart) and applies through the
engine as `apply` does. `bound_s` is N x latency / parallelism (every create is one request and
no more than `parallelism` are in flight). `state_writes` counts whole state documents written
(the start and the end of the run) and `journal_records` the changes appended in between: steps
that finish together share one record (each step still waits until its change is on disk). Under
429s (`retry-after: 1` from the sandbox) every request waits out the pause, so the run is slower
by design; `created_once` checks that each assistant exists exactly once (by its marker).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from genconfig import Size  # noqa: E402


def apply_once(n: int, latency_ms: float, parallelism: int, rate_limit_rate: float = 0.0) -> dict[str, Any]:
    from assistplan.remote import normalize as norm

    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, Size(n, 0, 0, 0))
        remote, store = genconfig.sandbox_remote(
            root, parallelism, latency_ms=latency_ms, rate_limit_rate=rate_limit_rate, seed=7
        )
        run = genconfig.plan_and_apply(root, remote, store, parallelism)
        marks = Counter(norm.split_marker(a.get("metadata"))[1] for a in store.assistants.values())
        bound = n * latency_ms / 1000 / parallelism
        return {
            "assistants": n,
            "rate_limit_rate": rate_limit_rate,
            "plan_s": run["plan_s"],
            "plan_api_calls": run["plan_api_calls"],
            "apply_s": run["apply_s"],
            "bound_s": round(bound, 3),
            "apply_vs_bound": round(run["apply_s"] / bound, 2) if bound else None,
            "apply_api_calls": run["apply_api_calls"],
            "apply_http_requests": run["apply_http_requests"],
            "http_429": remote.rate_limited,
            "state_writes": run["state_documents"],
            "journal_records": run["journal_records"],
            "remote_assistants": len(store.assistants),
            "in_state": run["in_state"],
            "created_once": len(store.assistants) == n == run["in_state"] and set(marks.values()) == {1},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assistants", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--rate-limit-rate", type=float, default=0.1, help="share of 429s in the second run")
    parser.add_argument("--quick", action="store_true", help="40 assistants at 20 ms: proves the harness")
    a = parser.parse_args()
    n, latency = (40, 20.0) if a.quick else (a.assistants, a.latency_ms)
    genconfig.quiet_sandbox_env()
    genconfig.like_the_cli()
    out: dict[str, Any] = {
        "benchmark": "apply",
        "latency_ms": latency,
        "parallelism": a.parallelism,
        "clean": apply_once(n, latency, a.parallelism),
    }
    if a.rate_limit_rate > 0:
        out["with_429s"] = apply_once(n, latency, a.parallelism, a.rate_limit_rate)
    out["python"] = platform.python_version()
    out["cpus"] = os.cpu_count()
    genconfig.dump(out)


if __name__ == "__main__":
    main()

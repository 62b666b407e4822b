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
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402
from genconfig import Size  # noqa: E402


def apply_once(n: int, latency_ms: float, parallelism: int, rate_limit_rate: float = 0.0) -> dict[str, Any]:
    import openai

    from assistplan.apply.executor import Applier
    from assistplan.config import load_config
    from assistplan.plan.planner import make_plan
    from assistplan.remote import normalize as norm
    from assistplan.remote.api import Remote
    from assistplan.remote.client import max_retries_from_env
    from assistplan.sandbox import SANDBOX_BASE_URL, Faults, http_client, open_store
    from assistplan.state import LocalBackend, StateManager
    from assistplan.state.journal import Change
    from assistplan.state.model import State

    writes = Counter()

    class CountingBackend(LocalBackend):
        def write(self, state: State) -> None:
            writes["n"] += 1
            super().write(state)

        def append(self, change: Change) -> None:
            writes["records"] += 1
            super().append(change)

    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        genconfig.write_config(root, Size(n, 0, 0, 0))
        config = load_config(root / "assistants.yaml")
        sandbox_dir = root / ".assistplan" / "sandbox"
        faults = Faults(latency_ms=latency_ms, rate_limit_rate=rate_limit_rate, seed=7)
        client = openai.OpenAI(  # as make_openai builds it for --sandbox, with our faults
            api_key="sk-bench",
            base_url=SANDBOX_BASE_URL,
            http_client=http_client(sandbox_dir, faults),
            max_retries=max_retries_from_env(),
        )
        remote = Remote(client, "sandbox", parallelism=parallelism)
        manager = StateManager(CountingBackend(root / ".assistplan" / "state.json"), "sandbox")
        store = open_store(sandbox_dir)
        with manager.locked("apply", 0):
            state = manager.load()
            started = time.perf_counter()
            plan = make_plan(
                config, state, remote, endpoint="sandbox", prior_exists=False, parallelism=parallelism
            )
            plan_s = time.perf_counter() - started
            plan_calls = remote.calls
            store.stats.reset()
            started = time.perf_counter()
            result = Applier(plan, config, remote, manager, parallelism=parallelism).run()
            apply_s = time.perf_counter() - started
        http = store.stats.snapshot()
        marks = Counter(norm.split_marker(a.get("metadata"))[1] for a in store.assistants.values())
        in_state = sum(1 for rs in result.state.resources.values() if rs.remote_id)
        bound = n * latency_ms / 1000 / parallelism
        return {
            "assistants": n,
            "rate_limit_rate": rate_limit_rate,
            "plan_s": round(plan_s, 3),
            "plan_api_calls": plan_calls,
            "apply_s": round(apply_s, 3),
            "bound_s": round(bound, 3),
            "apply_vs_bound": round(apply_s / bound, 2) if bound else None,
            "apply_api_calls": remote.calls - plan_calls,
            "apply_http_requests": http["total"],
            "http_429": remote.rate_limited,
            "state_writes": writes["n"],
            "journal_records": writes["records"],
            "remote_assistants": len(store.assistants),
            "in_state": in_state,
            "created_once": len(store.assistants) == n == in_state and set(marks.values()) == {1},
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

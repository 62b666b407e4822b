"""Sandbox throughput: requests per second for create and list, in process and over loopback.

Run: ``python benchmarks/bench_sandbox.py [--requests N]``. Prints one JSON object. Every figure
is measured against a fresh disk-backed data dir (each create is a committed SQLite write).
The loopback server runs in a child process (``assistplan sandbox serve --port 0``), so client
and server do not share a GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai

from assistplan.sandbox import SANDBOX_BASE_URL, http_client

HEADERS = {"Authorization": "Bearer sk-bench", "OpenAI-Beta": "assistants=v2"}
BODY = {
    "model": "gpt-4.1",
    "name": "bench",
    "instructions": "Answer briefly.",
    "tools": [{"type": "file_search"}],
}


def rate(n: int, call: Callable[[int], Any], threads: int = 1) -> float:
    """Requests per second for ``n`` calls, spread over ``threads``."""
    started = time.perf_counter()
    if threads == 1:
        for i in range(n):
            call(i)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, range(n)))
    return round(n / (time.perf_counter() - started), 1)


def measure(client: httpx2.Client, n: int, threads: int = 1) -> dict[str, float]:
    def create(_: int) -> None:
        client.post("/v1/assistants", json=BODY).raise_for_status()

    def list_page(_: int) -> None:
        client.get("/v1/assistants", params={"limit": 20}).raise_for_status()

    return {"create_rps": rate(n, create, threads), "list_rps": rate(n, list_page, threads)}


def measure_sdk(client: openai.OpenAI, n: int) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "deprecated", DeprecationWarning)
        return {
            "create_rps": rate(n, lambda _: client.beta.assistants.create(**BODY)),
            "list_rps": rate(n, lambda _: client.beta.assistants.list(limit=20)),
        }


def start_server(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    code = "import sys; from assistplan.cli.sandbox_cmd import sandbox; sandbox(sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0", "--data", str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split(" listening on ", 1)[1].split(" ", 1)[0].removesuffix("/v1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per figure (default 2000)")
    n = parser.parse_args().requests
    os.environ.setdefault("ASSISTPLAN_SANDBOX_PROCESSING_MS", "0")
    results: dict[str, Any] = {
        "requests_per_figure": n,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with http_client(root / "in-process") as client:
            client.headers.update(HEADERS)
            results["in_process"] = measure(client, n)
            results["in_process_8_threads"] = measure(client, n, threads=8)
        sdk = openai.OpenAI(
            api_key="sk-bench", base_url=SANDBOX_BASE_URL, http_client=http_client(root / "sdk")
        )
        results["in_process_openai_sdk"] = measure_sdk(sdk, n // 2)

        proc, url = start_server(root / "loopback")
        try:
            limits = httpx2.Limits(max_connections=16, max_keepalive_connections=16)
            with httpx2.Client(base_url=url, headers=HEADERS, limits=limits) as client:
                results["loopback"] = measure(client, n)
                results["loopback_8_threads"] = measure(client, n, threads=8)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Sandbox throughput: requests per second for create and list, in process and over loopback;
and the sandbox's own CPU: opening a store of 10,000 resources, and per request.

Run: ``python benchmarks/bench_sandbox.py [--requests N] [--resources N]``. Prints one JSON
object. Every rate is measured against a fresh disk-backed data dir (each create is a committed
SQLite write). The loopback server runs in a child process (``assistplan sandbox serve --port
0``), so client and server do not share a GIL.

``sandbox_cpu`` is CPU time (medians of repeated runs, so a busy machine skews it little):
``store_open_ms`` loads the account of the 10,000-resource apply benchmark (4,000 assistants,
5,000 files and the uploads that made them, 1,000 vector stores of 5 files) from disk, as every
``--sandbox`` command does first; ``request_us`` calls the WSGI app directly (no HTTP client in
the figure) over that account.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import secrets
import signal
import statistics
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

from assistplan.sandbox import SANDBOX_BASE_URL, Store, http_client
from assistplan.sandbox.app import SandboxApp, make_app

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


def populate(app: SandboxApp, resources: int) -> dict[str, list[str]]:
    """The apply benchmark's account, scaled to ``resources`` (40% assistants, 50% files, 10%
    vector stores of 5 files): one of each made through the API, the rest cloned into the store
    in one transaction (20,000 requests would take longer than everything measured here)."""
    n_assistants, n_files, n_stores = resources * 4 // 10, resources // 2, resources // 10
    call = wsgi(app)
    upload = call("POST", "/v1/uploads", UPLOAD)
    part = call("POST", f"/v1/uploads/{upload['id']}/parts", *multipart(b"hello"))
    upload = call(
        "POST", f"/v1/uploads/{upload['id']}/complete", json.dumps({"part_ids": [part["id"]]}).encode()
    )
    vs = call(
        "POST", "/v1/vector_stores", json.dumps({"name": "s", "file_ids": [upload["file"]["id"]]}).encode()
    )
    call(
        "POST",
        "/v1/assistants",
        json.dumps({**BODY, "tool_resources": {"file_search": {"vector_store_ids": [vs["id"]]}}}).encode(),
    )
    store = app.store
    with store.write():
        upload_rec = store.uploads[upload["id"]]
        file_rec = store.files[upload["file"]["id"]]
        vs_state = store.vector_stores[vs["id"]]
        attached = vs_state.files[file_rec["id"]]
        assistant = next(iter(store.assistants.values()))
        ids: dict[str, list[str]] = {"assistants": [], "files": [], "vector_stores": []}
        for i in range(n_files):
            file_id = f"file-bench{i:017d}"
            store.put_file({**file_rec, "id": file_id, "seq": store.next_seq()}, b"hello")
            store.put_upload({**upload_rec, "id": f"upload_bench{i:017d}", "seq": store.next_seq()})
            ids["files"].append(file_id)
        for j in range(n_stores):
            state = store.put_vector_store(
                {**vs_state.rec, "id": f"vs_bench{j:016d}", "seq": store.next_seq()}
            )
            for file_id in ids["files"][j * 5 : j * 5 + 5]:
                store.attach(
                    state,
                    {**attached, "id": file_id, "vector_store_id": state.rec["id"], "seq": store.next_seq()},
                )
            ids["vector_stores"].append(state.rec["id"])
        for k in range(n_assistants):
            store.put_assistant({**assistant, "id": f"asst_bench{k:019d}", "seq": store.next_seq()})
            ids["assistants"].append(f"asst_bench{k:019d}")
    return ids


UPLOAD = b'{"bytes":5,"filename":"f.txt","purpose":"assistants","mime_type":"text/plain"}'


def multipart(content: bytes) -> tuple[bytes, str]:
    """A part's form body and its content type, with a fresh boundary as every client sends."""
    boundary = secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="blob"\r\n\r\n'.encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def wsgi(app: SandboxApp) -> Callable[..., Any]:
    """``call(method, path, body=b"", content_type=JSON, query="")``: the app's parsed answer."""

    def call(
        method: str, path: str, body: bytes = b"", content_type: str = "application/json", query: str = ""
    ) -> Any:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "sandbox.invalid",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
            "HTTP_AUTHORIZATION": HEADERS["Authorization"],
            "HTTP_OPENAI_BETA": HEADERS["OpenAI-Beta"],
        }
        statuses: list[str] = []
        data = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{method} {path}: {statuses[0]} {data[:200]!r}")
        return json.loads(data)

    return call


def cpu_us(action: Callable[[int], Any], n: int, repeats: int = 5) -> float:
    """Median CPU microseconds per ``action(i)``, over ``repeats`` runs of ``n``."""
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        for i in range(n):
            action(i)
        runs.append((time.process_time() - started) / n)
    return round(statistics.median(runs) * 1e6, 1)


def measure_cpu(root: Path, resources: int, n: int) -> dict[str, Any]:
    data_dir = root / "cpu"
    app = make_app(data_dir)
    ids = populate(app, resources)
    opens = []
    for _ in range(5):
        started = time.process_time()
        store = Store(data_dir.resolve())
        opens.append(time.process_time() - started)
        store.close()
    call = wsgi(app)
    assistants, stores = ids["assistants"], ids["vector_stores"]

    def upload_file(i: int) -> None:
        made = call("POST", "/v1/uploads", UPLOAD)
        part = call("POST", f"/v1/uploads/{made['id']}/parts", *multipart(b"hello"))
        call("POST", f"/v1/uploads/{made['id']}/complete", json.dumps({"part_ids": [part["id"]]}).encode())

    pages = max(1, n // 20)
    return {
        "resources": resources,
        "store_open_ms": round(statistics.median(opens) * 1000, 1),
        "request_us": {
            "retrieve_assistant": cpu_us(
                lambda i: call("GET", f"/v1/assistants/{assistants[i % len(assistants)]}"), n
            ),
            "list_vector_store_files": cpu_us(
                lambda i: call(
                    "GET", f"/v1/vector_stores/{stores[i % len(stores)]}/files", query="limit=100"
                ),
                n,
            ),
            "list_assistants_page_of_100": cpu_us(
                lambda i: call("GET", "/v1/assistants", query="limit=100"), pages
            ),
            "create_assistant": cpu_us(
                lambda i: call("POST", "/v1/assistants", json.dumps(BODY).encode()), n
            ),
            "upload_create_part_complete_per_call": round(cpu_us(upload_file, max(1, n // 3)) / 3, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per figure (default 2000)")
    parser.add_argument(
        "--resources", type=int, default=10_000, help="size of the store sandbox_cpu opens (default 10000)"
    )
    args = parser.parse_args()
    n = args.requests
    os.environ.setdefault("ASSISTPLAN_SANDBOX_PROCESSING_MS", "0")
    results: dict[str, Any] = {
        "requests_per_figure": n,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results["sandbox_cpu"] = measure_cpu(root, args.resources, n)
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

"""Memory while hashing and uploading a large file: peak RSS of a child process that does what plan and
apply do with it (streamed sha256, then `Remote.upload_file`: the Uploads API, in parts of 64 MB
streamed from disk through the SDK's multipart encoder, hashed again as they go).

Run: ``python benchmarks/bench_upload.py [--size-mb 1024] [--quick]``. Prints one JSON object.

The servers run in processes of their own, so their memory does not count:
- `sink`: a minimal HTTP server that answers the Uploads API, reading every part and keeping nothing
  (the client's cost alone);
- `sandbox`: `assistplan sandbox serve`, which stores the parts and joins them into the file; its
  answer must carry the file's exact size.
`peak_mb` is the child's VmHWM (peak resident set); `baseline_mb` its RSS after the imports,
before the file is touched; `growth_mb` the difference.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import genconfig  # noqa: E402

CHUNK = 8 << 20


def write_file(path: Path, size_mb: int) -> None:
    """`size_mb` MiB of incompressible bytes (written, not sparse: reading it really reads)."""
    block = os.urandom(CHUNK)
    with path.open("wb") as fh:
        for i in range(size_mb * (1 << 20) // CHUNK):
            fh.write(i.to_bytes(8, "little") + block[8:])


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: peak only


def child(url: str, path: Path) -> None:
    """Runs in the measured process: hash, then upload as apply does; prints JSON."""
    import openai

    from assistplan.plan.desired import sha256_file
    from assistplan.remote.api import Remote

    client = openai.OpenAI(api_key="sk-bench", base_url=url, max_retries=0)
    remote = Remote(client, url)
    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    sha, size = sha256_file(path)
    hashed = time.perf_counter()
    sent = [0]

    def progress(done: int, total: int) -> None:
        sent[0] = done

    obj = remote.upload_file(path, path.name, "assistants", "file.big", progress=progress)
    uploaded = time.perf_counter()
    peak = _status_mb("VmHWM")
    print(
        json.dumps(
            {
                "file_mb": round(size / (1 << 20)),
                "baseline_mb": round(baseline, 1),
                "peak_mb": round(peak, 1),
                "growth_mb": round(peak - baseline, 1),
                "hash_s": round(hashed - started, 2),
                "upload_s": round(uploaded - hashed, 2),
                "server_bytes": obj.get("bytes"),
                "sha256": sha,
            }
        )
    )


def sink(port_file: Path) -> None:
    """A server that answers the Uploads API: it reads every part to the end and keeps nothing."""
    from werkzeug import serving
    from werkzeug.wrappers import Request, Response

    sizes: dict[str, int] = {}  # upload id -> bytes announced

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        parts = request.path.strip("/").split("/")  # v1 uploads [id action]
        announced = json.loads(request.get_data() or b"{}") if len(parts) == 2 else {}
        stream, left, total = request.stream, request.content_length or 0, 0
        while left > 0:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            total += len(chunk)
        now = int(time.time())
        upload = {"object": "upload", "created_at": now, "expires_at": now + 3600, "filename": "upload"}
        upload.update({"purpose": "assistants", "status": "pending"})
        if len(parts) == 2:
            upload_id = f"upload_{len(sizes)}"
            sizes[upload_id] = announced.get("bytes", 0)
            body: dict[str, Any] = {**upload, "id": upload_id, "bytes": sizes[upload_id]}
        elif parts[-1] == "parts":
            body = {"id": f"part_{total}", "object": "upload.part", "created_at": now, "upload_id": parts[2]}
        else:
            size = sizes.get(parts[2], 0)
            made = {"id": "file-sink", "object": "file", "bytes": size, "created_at": now}
            made.update({"filename": "upload", "purpose": "assistants", "status": "processed"})
            body = {**upload, "id": parts[2], "bytes": size, "status": "completed", "file": made}
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)

    class Quiet(serving.WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    server = serving.make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    port_file.write_text(str(server.port))
    server.serve_forever()


def _start(args: list[str], ready: Any) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    return proc, ready(proc)


def measure(url: str, path: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, str(path)], capture_output=True, text=True, timeout=900
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--quick", action="store_true", help="a 32 MiB file: proves the harness")
    parser.add_argument("--child", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--sink", metavar="PORT_FILE", type=Path, help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.child:
        child(a.child[0], Path(a.child[1]))
        return
    if a.sink:
        sink(a.sink)
        return
    size_mb = 32 if a.quick else a.size_mb
    genconfig.quiet_sandbox_env()
    result: dict[str, Any] = {"benchmark": "upload"}
    with tempfile.TemporaryDirectory(prefix="assistplan-bench-") as tmp:
        root = Path(tmp)
        big = root / "big.bin"
        write_file(big, size_mb)
        port_file = root / "sink.port"
        procs = []
        try:
            proc = subprocess.Popen([sys.executable, __file__, "--sink", str(port_file)])
            procs.append(proc)
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the sink server did not start")
                time.sleep(0.05)
            result["sink"] = measure(f"http://127.0.0.1:{port_file.read_text()}/v1", big)

            code = "import sys; from assistplan.cli.sandbox_cmd import sandbox; sandbox(sys.argv[1:])"
            server = subprocess.Popen(
                [sys.executable, "-c", code, "serve", "--port", "0", "--data", str(root / "sandbox")],
                stdout=subprocess.PIPE,
                text=True,
            )
            procs.append(server)
            assert server.stdout is not None
            url = server.stdout.readline().split(" listening on ", 1)[1].split(" ", 1)[0]
            result["sandbox"] = measure(url, big)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
    for name in ("sink", "sandbox"):
        r = result[name]
        r["server_got_it_all"] = r.pop("server_bytes") >= r["file_mb"] << 20
    result["python"] = platform.python_version()
    result["cpus"] = os.cpu_count()
    genconfig.dump(result)


if __name__ == "__main__":
    main()

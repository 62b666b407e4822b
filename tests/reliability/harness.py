"""Real `assistplan` processes against an on-disk sandbox, a gate that stops them at a chosen
request, and a config generator."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
from werkzeug import serving

from assistplan.sandbox import SANDBOX_BASE_URL, Faults, http_client, make_app
from assistplan.state import LocalBackend
from tests.e2e.conftest import EXE
from tests.sandbox.helpers import loopback_app


def generate(root: Path, *, files: int, stores: int, assistants: int, per_store: int = 2) -> dict[str, int]:
    """A config of files, vector stores (each `per_store` files) and assistants (half with file
    search; with neither files nor stores, independent of everything)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    lines = ["version: 1", "files:" if files else "files: {}"]
    for i in range(files):
        (root / "docs" / f"f{i}.md").write_text(f"# Document {i}\n" + "text " * (i + 1) + "\n")
        lines.append(f"  f{i}: {{path: docs/f{i}.md}}")
    lines.append("vector_stores:" if stores else "vector_stores: {}")
    for v in range(stores):
        members = ", ".join(f"f{(v * per_store + k) % files}" for k in range(per_store))
        lines.append(f"  vs{v}: {{name: Store {v}, files: [{members}]}}")
    lines.append("assistants:")
    for a in range(assistants):
        lines.append(f"  a{a}:")
        lines.append("    model: gpt-4.1")
        lines.append(f"    instructions: Assistant number {a}.")
        if a % 2 == 0 and stores:
            lines.append("    tools: [{type: file_search}]")
            lines.append(f"    tool_resources: {{file_search: {{vector_stores: [vs{a % stores}]}}}}")
        elif files:
            lines.append("    tools: [{type: code_interpreter}]")
            lines.append(f"    tool_resources: {{code_interpreter: {{files: [f{a % files}]}}}}")
    (root / "assistants.yaml").write_text("\n".join(lines) + "\n")
    return {"files": files, "vector_stores": stores, "assistants": assistants}


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTPLAN_SANDBOX_")}
    return {**base, **extra}


def _argv(args: tuple[str, ...], sandbox: bool, base_url: str | None) -> list[str]:
    where = ["--base-url", base_url] if base_url else ["--sandbox"] if sandbox else []
    return [str(EXE), "--no-color", *where, *args]


def _environ(environ: dict[str, str] | None, base_url: str | None) -> dict[str, str]:
    environ = environ or env()
    return {**environ, "OPENAI_API_KEY": "sk-test"} if base_url else environ


def run(
    root: Path,
    *args: str,
    environ: dict[str, str] | None = None,
    sandbox: bool = True,
    base_url: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`assistplan ARGS` in `root`, on the embedded sandbox, or on `base_url` when given."""
    return subprocess.run(
        _argv(args, sandbox, base_url),
        cwd=root,
        env=_environ(environ, base_url),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(
    root: Path, *args: str, environ: dict[str, str] | None = None, base_url: str | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _argv(args, True, base_url),
        cwd=root,
        env=_environ(environ, base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Gate:
    """WSGI middleware in front of the sandbox that stops a run at a chosen request.

    `stop_at(n)`: requests pass until the n-th counted one (a POST or DELETE, or with
    `any_request` any request); that one and every request after it are held, and `stopped`
    is set. With `answered`, the sandbox carries the n-th out before holding it, so what the
    client never hears is the answer. `release(drop)` lets the held requests go: dropped
    (never carried out, as if lost on the way) or carried out. Requests after the release pass.
    `counted` says how many counted requests came since the last `stop_at`.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.counted = 0
        self.stopped = threading.Event()
        self._stop_at: int | None = None
        self._any = self._answered = self._closed = self._drop = False
        self._released = threading.Event()
        self._lock = threading.Lock()

    def stop_at(self, n: int | None, *, any_request: bool = False, answered: bool = False) -> None:
        with self._lock:
            self.counted, self._stop_at, self._any, self._answered = 0, n, any_request, answered
            self._closed = False
            self.stopped.clear()
            self._released.clear()

    def release(self, *, drop: bool) -> None:
        with self._lock:
            self._stop_at, self._closed, self._drop = None, False, drop
            self._released.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            nth = False
            if not self._closed and (self._any or environ["REQUEST_METHOD"] in ("POST", "DELETE")):
                self.counted += 1
                nth = self._closed = self.counted == self._stop_at
            held = self._closed
        if not held:
            return self.app(environ, start_response)
        carried_out = nth and self._answered
        if carried_out:
            b"".join(self.app(environ, lambda *_: None))
        if nth:
            self.stopped.set()
        self._released.wait()
        if self._drop or carried_out:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"held by the test's gate\n"]
        return self.app(environ, start_response)


class _Quiet(serving.WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass  # a killed client's broken pipes


@contextmanager
def gated_sandbox(root: Path, faults: Faults | None = None) -> Iterator[tuple[Gate, str]]:
    """The sandbox of `root` (its data where `--sandbox` keeps it, so `inventory` reads it)
    served on loopback behind a Gate; yields the gate and the URL for `base_url=`."""
    gate = Gate(make_app(root / ".assistplan" / "sandbox", faults))
    with loopback_app(gate, _Quiet) as url:
        try:
            yield gate, url
        finally:
            gate.release(drop=True)


def kill_held_apply(root: Path, gate: Gate, url: str, never_held: str) -> None:
    """Start `apply --auto-approve`, wait until `gate` holds one of its requests (else fail with
    `never_held`), SIGKILL it there, then drop what was held (never carried out)."""
    proc = start(root, "apply", "--auto-approve", base_url=url)
    try:
        assert gate.stopped.wait(120), never_held
        assert proc.poll() is None  # held at the gate: it cannot have finished
    finally:
        proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, out + err
    gate.release(drop=True)


def force_unlock_if_locked(root: Path, base_url: str | None = None) -> bool:
    """What a user does after a crash: plan, read the lock id from the message, force-unlock."""
    probe = run(root, "plan", base_url=base_url)
    m = re.search(r"force-unlock ([0-9a-f-]{36})", probe.stderr)
    if m is None:
        return False
    unlocked = run(root, "force-unlock", m.group(1), base_url=base_url)
    assert unlocked.returncode == 0, unlocked.stderr
    return True


def sdk(root: Path) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        base_url=SANDBOX_BASE_URL,
        http_client=http_client(root / ".assistplan" / "sandbox"),
    )


def inventory(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Everything the sandbox holds (read in this process from the on-disk store)."""
    client = sdk(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assistants = [a.to_dict() for a in client.beta.assistants.list(limit=100)]
    stores = [v.to_dict() for v in client.vector_stores.list(limit=100)]
    for v in stores:
        v["members"] = sorted(f.id for f in client.vector_stores.files.list(v["id"], limit=100))
    files = [f.to_dict() for f in client.files.list()]
    return {"assistants": assistants, "vector_stores": stores, "files": files}


def state(root: Path) -> dict[str, Any]:
    """The state as every command reads it: the document with its journal replayed."""
    stored = LocalBackend(root / ".assistplan" / "state.json").read()
    assert stored is not None, "no state"
    return stored.to_json()


def assert_converged(root: Path, counts: dict[str, int], base_url: str | None = None) -> None:
    """Exactly the declared objects, once each; state points at them; a new plan has nothing to do."""
    inv = inventory(root)
    names = [a["name"] for a in inv["assistants"]]
    assert sorted(names) == sorted(f"a{i}" for i in range(counts["assistants"])), names
    store_names = [v["name"] for v in inv["vector_stores"]]
    assert sorted(store_names) == sorted(f"Store {i}" for i in range(counts["vector_stores"])), store_names
    filenames = [f["filename"] for f in inv["files"]]
    assert sorted(filenames) == sorted(f"f{i}.md" for i in range(counts["files"])), filenames
    st = state(root)["resources"]
    remote_ids = {o["id"] for kind in inv.values() for o in kind}
    assert {rs["remote_id"] for rs in st.values()} == remote_ids
    assert not any(rs["extra"].get("pending") or rs["extra"].get("deposed") for rs in st.values())
    by_id = {rs["remote_id"]: a for a, rs in st.items()}
    for v in inv["vector_stores"]:
        assert [by_id[m] for m in v["members"]], v
    again = run(root, "plan", "--detailed-exitcode", base_url=base_url)
    assert again.returncode == 0, again.stdout + again.stderr

"""No silent waits: an endpoint that never answers fails within seconds naming its URL, and every
retry the SDK waits for is told on stderr, in plain output and on a terminal alike.

Speed is checked with deadlines far above what a run takes (about a second) and below what the
SDK's retries with backoff used to take (six retries: over 17 s), never with a timed assertion.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug import serving

from assistplan.sandbox import make_app
from tests.cli.terminal import EXE, Terminal
from tests.e2e.conftest import EXAMPLES, Project

KEY = "sk-test-waits"
DEADLINE = 12.0  # seconds: a refused endpoint takes about one; six retries with backoff take 17+


def _hr_bot(tmp_path: Path) -> Path:
    root = tmp_path / "hr-bot"
    shutil.copytree(EXAMPLES / "hr-bot", root, ignore=shutil.ignore_patterns(".assistplan"))
    return root


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "NO_COLOR": "1", "OPENAI_API_KEY": KEY, **(env or {})}
    return subprocess.run(
        [str(EXE), *args], cwd=root, env=environ, capture_output=True, text=True, timeout=DEADLINE
    )


def test_an_endpoint_that_refuses_fails_within_seconds_naming_its_url(tmp_path: Path) -> None:
    root = _hr_bot(tmp_path)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    r = _run(root, "--base-url", url, "plan")  # TimeoutExpired past the deadline
    assert r.returncode == 1
    assert f"cannot reach {url} (" in r.stderr and "Connection refused" in r.stderr
    assert "the URL comes from --base-url" in r.stderr
    (root / "assistants.yaml").write_text(
        (root / "assistants.yaml")
        .read_text()
        .replace("version: 1\n", f"version: 1\nprovider: {{base_url: {url}}}\n")
    )
    r = _run(root, "plan")
    assert r.returncode == 1 and "the URL comes from provider.base_url in the config" in r.stderr
    assert not (root / ".assistplan" / "state.json").exists()


def test_an_unknown_host_fails_within_seconds_naming_it(tmp_path: Path) -> None:
    root = _hr_bot(tmp_path)
    r = _run(root, "plan", env={"OPENAI_BASE_URL": "http://no-such-host.invalid/v1"})
    assert r.returncode == 1
    assert "cannot reach http://no-such-host.invalid/v1 (" in r.stderr
    assert "the URL comes from $OPENAI_BASE_URL" in r.stderr


class FailFirst:
    """The sandbox, answering 500 to the first `n` requests to `method path`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], method: str, path: str, n: int):
        self.app, self.method, self.path, self.left = app, method, path, n
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (environ["REQUEST_METHOD"], environ["PATH_INFO"]) == (self.method, self.path):
            with self.lock:
                fail, self.left = self.left > 0, self.left - 1
            if fail:
                body = {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}
                start_response("500 Internal Server Error", [("content-type", "application/json")])
                return [json.dumps(body).encode()]
        return self.app(environ, start_response)


@contextmanager
def serving_failing(tmp_path: Path, method: str, path: str, n: int) -> Iterator[str]:
    app = FailFirst(make_app(tmp_path / "server"), method, path, n)
    server = serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/v1"
    finally:
        server.shutdown()
        thread.join(5)


def test_retries_are_told_in_plain_output(tmp_path: Path) -> None:
    root = _hr_bot(tmp_path)
    with serving_failing(tmp_path, "POST", "/v1/assistants", 2) as url:
        r = _run(root, "--base-url", url, "apply", "--auto-approve")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines() == [
        "retrying assistant.hr-bot: create after HTTP 500 (1/6)…",
        "retrying assistant.hr-bot: create after HTTP 500 (2/6)…",
    ]
    assert "Apply complete! Resources: 4 added" in r.stdout


def test_retries_are_told_above_the_live_status_line(tmp_path: Path) -> None:
    root = _hr_bot(tmp_path)
    with serving_failing(tmp_path, "POST", "/v1/vector_stores", 1) as url:
        t = Terminal("--base-url", url, "apply", "--auto-approve", cwd=root, env={"OPENAI_API_KEY": KEY})
        assert t.wait() == 0, t.text
    lines = t.text.splitlines()
    assert "retrying vector_store.hr-docs: create after HTTP 500 (1/6)…" in lines  # a line of its own
    assert any(line.startswith("Applied 4/4 changes in ") for line in lines)
    assert "\x1b[33mretrying vector_store.hr-docs" in t.raw  # in colour, as the terminal has it


def test_a_request_that_fails_for_good_names_assistplan_max_retries(tmp_path: Path, monkeypatch) -> None:
    p = Project(_hr_bot(tmp_path))
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "1")
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", "2")
    r = p.run("plan")
    assert r.code == 1
    told = [line for line in r.err.splitlines() if line.startswith("retrying ")]
    assert told and all(line.endswith(("(1/2)…", "(2/2)…")) for line in told), r.err
    assert "(HTTP 500; gave up after 2 retries (ASSISTPLAN_MAX_RETRIES sets how many))" in r.err
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", "0")
    r = p.run("plan")
    assert r.code == 1 and "(HTTP 500; not retried (ASSISTPLAN_MAX_RETRIES is 0))" in r.err
    assert "retrying" not in r.err


def test_a_large_refresh_is_told_on_stderr(tmp_path: Path) -> None:
    lines = [f"  a{i}: {{model: gpt-4o, instructions: Assistant {i}.}}" for i in range(500)]
    (tmp_path / "assistants.yaml").write_text("version: 1\nassistants:\n" + "\n".join(lines) + "\n")
    p = Project(tmp_path)
    p.ok("apply", "--auto-approve", "--parallelism", "32")
    plan = p.ok("plan")
    assert plan.err == "Refreshing 500 objects from sandbox...\n"
    assert "No changes." in plan.out
    status = p.ok("status", "--json")
    assert status.err == "Refreshing 500 objects from sandbox...\n"
    json.loads(status.out)  # stdout stays one JSON document
    p.edit("  a499: {model: gpt-4o, instructions: Assistant 499.}\n", "")
    p.ok("apply", "--auto-approve")
    assert p.ok("plan").err == ""  # 499 objects: quick, nothing to tell

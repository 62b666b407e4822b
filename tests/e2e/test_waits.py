"""No silent waits: an endpoint that never answers fails at once naming its URL, and every retry
the SDK waits for is told on stderr, in plain output and on a terminal alike.

Waiting is told by events, never by timing a run: the SDK logs every retry before it waits for
it ("Retrying request in ..."), so a run that logs none waited for nothing.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from assistplan.remote.retries import SDK_LOGGER
from assistplan.sandbox import make_app
from tests.cli.terminal import Terminal
from tests.e2e.conftest import Project, Result, copy_example
from tests.sandbox.helpers import loopback_app

KEY = "sk-test-waits"


def _hr_bot(tmp_path: Path) -> Path:
    return copy_example("hr-bot", tmp_path / "hr-bot")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def off_sandbox(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """Run the CLI (in process) against a real endpoint; returns the result and the retries the
    SDK waited for."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def run(p: Project, *args: str) -> tuple[Result, list[str]]:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=SDK_LOGGER):
            r = p.run(*args, sandbox=False)
        return r, [m for m in caplog.messages if m.startswith("Retrying request in")]

    return run


def test_an_endpoint_that_refuses_fails_at_once_naming_its_url(tmp_path: Path, off_sandbox) -> None:
    p = Project(_hr_bot(tmp_path))
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    r, retries = off_sandbox(p, "--base-url", url, "plan")
    assert r.code == 1 and retries == []  # no retry, so no backoff waited for
    assert f"cannot reach {url} (" in r.err and "Connection refused" in r.err
    assert "the URL comes from --base-url" in r.err
    p.edit("version: 1\n", f"version: 1\nprovider: {{base_url: {url}}}\n")
    r, retries = off_sandbox(p, "plan")
    assert r.code == 1 and retries == []
    assert "the URL comes from provider.base_url in the config" in r.err
    assert not (p.root / ".assistplan" / "state.json").exists()


def test_an_unknown_host_fails_at_once_naming_it(tmp_path: Path, off_sandbox, monkeypatch) -> None:
    p = Project(_hr_bot(tmp_path))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://no-such-host.invalid/v1")
    r, retries = off_sandbox(p, "plan")
    assert r.code == 1 and retries == []
    assert "cannot reach http://no-such-host.invalid/v1 (" in r.err
    assert "the URL comes from $OPENAI_BASE_URL" in r.err


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


def serving_failing(tmp_path: Path, method: str, path: str, n: int) -> AbstractContextManager[str]:
    return loopback_app(FailFirst(make_app(tmp_path / "server"), method, path, n))


def test_retries_are_told_in_plain_output(tmp_path: Path, off_sandbox) -> None:
    p = Project(_hr_bot(tmp_path))
    with serving_failing(tmp_path, "POST", "/v1/assistants", 2) as url:
        r, retries = off_sandbox(p, "--base-url", url, "apply", "--auto-approve")
    assert r.code == 0, r.err
    assert r.err.splitlines() == [
        "retrying assistant.hr-bot: create after HTTP 500 (1/6)…",
        "retrying assistant.hr-bot: create after HTTP 500 (2/6)…",
    ]
    # A create is sent again by apply, not the SDK (remote/retries.py SentOnce), told the same way.
    assert retries == []
    assert "Apply complete! Resources: 4 added" in r.out


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

"""The example applications run as their docstrings say: from any directory, after `assistplan
apply`, with one clear line (never a traceback) when they cannot run: no question, nothing
published yet, no key, not signed in."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from tests.e2e.conftest import copy_example, no_bug_shown, run_installed
from tests.sandbox.helpers import loopback, loopback_app

KEY = "sk-test-apps"


def _app(app: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The app as a user runs it: another directory, only the environment given (and PATH, HOME)."""
    base = {"PATH": str(Path(sys.executable).parent), "HOME": str(cwd)}
    r = subprocess.run(
        [sys.executable, str(app), *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    no_bug_shown(r.stdout, r.stderr)
    return r


@contextmanager
def responses_api(answer: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for POST /v1/responses (the sandbox serves no Responses API): it keeps each
    request body and answers with one output text."""
    seen: list[dict[str, Any]] = []

    @Request.application
    def app(request: Request) -> Response:
        assert request.path == "/v1/responses", request.path
        seen.append(json.loads(request.get_data()))
        body = {
            "id": "resp_1",
            "object": "response",
            "created_at": 0,
            "status": "completed",
            "model": seen[-1].get("model"),
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": answer, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
        return Response(json.dumps(body), content_type="application/json")

    with loopback_app(app) as url:
        yield url, seen


def test_the_responses_app_calls_the_published_definition_from_any_directory(tmp_path: Path) -> None:
    root = copy_example("responses-support", tmp_path / "responses-support")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    app = root / "app.py"
    usage = _app(app, cwd=elsewhere, env={})
    assert (usage.returncode, usage.stderr) == (2, f'usage: python {app} "QUESTION"\n')
    early = _app(app, "Can I return a sale item?", cwd=elsewhere, env={"OPENAI_API_KEY": KEY})
    assert early.returncode == 1 and "Traceback" not in early.stderr
    assert early.stderr.startswith("error: ") and "nothing is applied yet (no state)" in early.stderr
    with (
        loopback(tmp_path / "api") as url,
        responses_api("Within 30 days, with the receipt.") as (fake, seen),
    ):
        applied = run_installed(
            "--base-url", url, "apply", "--auto-approve", cwd=root, env={"OPENAI_API_KEY": KEY}
        )
        assert applied.returncode == 0, applied.stderr
        env = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": fake}
        r = _app(app, "Can I return a sale item?", cwd=elsewhere, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "[support-pilot v1] Within 30 days, with the receipt.\n"
        (request,) = seen
        assert request["input"] == "Can I return a sale item?" and request["model"] == "gpt-4.1"
        assert request["instructions"] == (root / "prompts" / "support.md").read_text()
        tools = {t["type"]: t for t in request["tools"]}
        assert set(tools) == {"file_search", "code_interpreter", "function"}
        assert tools["file_search"]["vector_store_ids"][0].startswith("vs_")  # the store apply made
        keyless = _app(app, "Hello?", cwd=elsewhere, env={"OPENAI_BASE_URL": fake})
        assert keyless.returncode == 1 and "Traceback" not in keyless.stderr
        assert keyless.stderr.startswith("error: ") and "api_key" in keyless.stderr


def test_the_foundry_app_says_what_is_missing_in_one_line(tmp_path: Path) -> None:
    root = copy_example("foundry-helpdesk", tmp_path / "foundry-helpdesk")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    app = root / "app.py"
    usage = _app(app, cwd=elsewhere, env={})
    assert (usage.returncode, usage.stderr) == (2, f'usage: python {app} "QUESTION"\n')
    early = _app(app, "My VPN keeps dropping", cwd=elsewhere, env={})
    assert (
        early.returncode == 1
        and early.stderr.startswith("error: ")
        and "nothing is applied yet" in early.stderr
    )
    applied = run_installed("--sandbox", "apply", "--auto-approve", cwd=root)
    assert applied.returncode == 0, applied.stderr
    # Published now; no Azure sign-in where the test runs (an empty HOME, no az): one line.
    signed_out = _app(app, "My VPN keeps dropping", cwd=elsewhere, env={})
    assert signed_out.returncode == 1, signed_out.stderr
    assert signed_out.stderr.startswith("error: DefaultAzureCredential failed to retrieve a token")
    assert len(signed_out.stderr.splitlines()) == 1, signed_out.stderr

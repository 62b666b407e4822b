"""The dropped-answer fault: the server carries out a create, then closes the connection without
answering, so the client cannot tell whether it happened (in process, on loopback, from the CLI)."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx2
import openai
import pytest
from click.testing import CliRunner

from assistplan.cli.sandbox_cmd import sandbox
from assistplan.sandbox import Faults, http_client, open_store
from assistplan.sandbox.app import ROUTES
from assistplan.sandbox.faults import DROPPABLE

from .dump import HEADERS
from .helpers import loopback, raw, sdk, serve_process

COMPLETE = "POST /v1/uploads/{upload_id}/complete"
NEW = {"filename": "a.md", "purpose": "assistants", "bytes": 3, "mime_type": "text/markdown"}


def test_the_routes_are_read_from_the_environment_and_checked() -> None:
    env = {"ASSISTPLAN_SANDBOX_DROP_RESPONSES": f"POST  /v1/uploads, {COMPLETE}"}
    assert Faults.from_env(env).drop_responses == {"POST /v1/uploads", COMPLETE}
    assert Faults.from_env(env, drop_responses=frozenset({"POST /v1/files"})).drop_responses == {
        "POST /v1/files"
    }
    with pytest.raises(ValueError, match="^ASSISTPLAN_SANDBOX_DROP_RESPONSES must be a comma-separated list"):
        Faults.from_env({"ASSISTPLAN_SANDBOX_DROP_RESPONSES": "GET /v1/files"})
    templates = {f"{r.method} {r.template}" for r in ROUTES}
    assert set(DROPPABLE) <= templates and all(r.startswith("POST ") for r in DROPPABLE)


def test_the_create_happens_and_the_answer_never_comes_in_process(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    with raw(data, Faults(drop_responses=frozenset({"POST /v1/uploads"}))) as client:
        with pytest.raises(httpx2.RemoteProtocolError, match="without sending a response"):
            client.post("/v1/uploads", json=NEW)
        assert client.get("/v1/files").status_code == 200  # other routes answer
    (made,) = open_store(data).uploads.values()
    assert made["status"] == "pending" and made["filename"] == "a.md"
    # The SDK sees a connection error (and its retries are dropped too: each made an upload).
    client = sdk(http_client(data, Faults(drop_responses=frozenset({"POST /v1/uploads"}))), max_retries=1)
    with pytest.raises(openai.APIConnectionError):
        client.uploads.create(**NEW)
    assert len(open_store(data).uploads) == 3


def test_a_dropped_complete_made_its_file_and_the_retried_complete_answers_it(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    with loopback(data, Faults(drop_responses=frozenset({COMPLETE}))) as url:
        client = sdk(httpx2.Client(), base_url=url)
        up = client.uploads.create(**NEW)
        part = client.uploads.parts.create(up.id, data=b"abc")
        with pytest.raises(openai.APIConnectionError):
            client.uploads.complete(up.id, part_ids=[part.id])
    (made,) = open_store(data).files.values()
    assert open_store(data).uploads[up.id]["status"] == "completed"
    with loopback(data) as url:
        again = sdk(httpx2.Client(), base_url=url).uploads.complete(up.id, part_ids=[part.id])
    assert again.file is not None and again.file.id == made["id"]


def test_serve_takes_the_routes_from_a_flag(tmp_path: Path) -> None:
    proc, url = serve_process(tmp_path / "sandbox", "--drop-response", "POST /v1/uploads")
    try:
        with httpx2.Client(base_url=url.removesuffix("/v1"), headers=HEADERS, timeout=30) as client:
            with pytest.raises(httpx2.RemoteProtocolError):
                client.post("/v1/uploads", json=NEW)
            assert client.get("/v1/files").status_code == 200
            stats = client.get("/_sandbox/stats").json()["requests"]
            assert stats == {"POST /v1/uploads": 1, "GET /v1/files": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    result = CliRunner().invoke(
        sandbox, ["serve", "--data", str(tmp_path / "d"), "--drop-response", "GET /v1/files"]
    )
    assert result.exit_code == 2 and "--drop-response" in result.output

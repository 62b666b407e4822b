"""The responses target and the migration against `assistplan sandbox serve` (loopback HTTP), with
the sandbox's request counts (`GET /_sandbox/stats`) as the witness of what was called."""

from __future__ import annotations

import socket
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.conftest import Project, Result
from tests.sandbox.helpers import served_process
from tests.targets.conftest import changed, write_config
from tests.targets.openapi import errors

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serving(data: Path, port: int, *flags: str) -> AbstractContextManager[str]:
    """The sandbox on a fixed port (state is bound to its URL), stopped on leaving."""
    return served_process(data, "--port", str(port), *flags)


def stats(url: str, reset: bool = False) -> dict[str, int]:
    base = url.removesuffix("/v1")
    if reset:
        httpx2.post(f"{base}/_sandbox/stats/reset")
    return dict(httpx2.get(f"{base}/_sandbox/stats").json()["requests"])


def run(p: Project, url: str, *args: str) -> Result:
    return p.run("--base-url", url, *args, sandbox=False)


def ok(p: Project, url: str, *args: str) -> Result:
    r = run(p, url, *args)
    assert r.code == 0, r.out + r.err
    return r


def assistants_calls(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: n for k, n in counts.items() if "/v1/assistants" in k}


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-served-test")


def test_responses_target_manages_files_and_stores_with_no_assistants_call(project, tmp_path):
    p = project
    with serving(tmp_path / "sandbox", free_port()) as url:
        stats(url, reset=True)
        ok(p, url, "apply", "--auto-approve")
        assert run(p, url, "plan", "--detailed-exitcode").code == 0
        p.edit("You answer from the handbook.", "You answer in one sentence.")
        plan = run(p, url, "plan", "--json").json()
        assert changed(plan) == {"assistant.bot": (["update"], "configuration_changed")}
        ok(p, url, "apply", "--auto-approve")
        counts = stats(url)
        assert assistants_calls(counts) == {}
        assert counts["POST /v1/uploads/{upload_id}/complete"] == 3 and counts["POST /v1/vector_stores"] == 2
        doc = ok(p, url, "output", "--json").json()
        ids = p.ids()
        bot = doc["assistants"]["bot"]["definition"]
        assert bot["instructions"] == "You answer in one sentence." and errors(bot) == []
        assert next(t for t in bot["tools"] if t["type"] == "file_search")["vector_store_ids"] == [
            ids["vector_store.docs"]
        ]
        frozen = doc["experiments"]["pilot"]["published"]["assistants_detail"]["bot"]["definition"]
        assert frozen["instructions"] == "You answer from the handbook." and errors(frozen) == []
        text = p.config.read_text()
        p.config.write_text(text[: text.index("assistants:\n")] + text[text.index("experiments:\n") :])
        refused = run(p, url, "plan")
        assert refused.code == 1 and "experiment.pilot" in refused.err and "published" in refused.err
        write_config(p.root, experiments="")  # the experiment goes (archived), then everything
        ok(p, url, "apply", "--auto-approve")
        ok(p, url, "destroy", "--auto-approve")
        with httpx2.Client(base_url=url, headers={"Authorization": "Bearer sk-served-test"}) as http:
            assert http.get("/files").json()["data"] == []
            assert http.get("/vector_stores", headers={"OpenAI-Beta": "assistants=v2"}).json()["data"] == []
        assert assistants_calls(stats(url)) == {}


def test_migration_on_a_served_endpoint_that_retires_the_assistants_api(project, tmp_path):
    p = project
    data, port = tmp_path / "sandbox", free_port()
    write_config(p.root, target="assistants")
    with serving(data, port) as url:
        ok(p, url, "apply", "--auto-approve")
    before = p.ids()
    with serving(data, port, "--retire", "assistants") as url:
        refused = run(p, url, "plan")
        assert refused.code == 1 and "provider: {target: responses}" in refused.err
        write_config(p.root, target="responses")
        plan = run(p, url, "plan", "--json").json()
        reason = "target_changed: assistants -> responses"
        assert changed(plan) == {
            "assistant.bot": (["create", "delete"], reason),
            "assistant.bot@pilot.v1": (["create", "delete"], reason),
        }
        stats(url, reset=True)
        ok(p, url, "apply", "--auto-approve")
        assert not any(k.startswith(("POST", "DELETE")) for k in stats(url))  # nothing remote
        after = p.ids()
        for address, rid in before.items():
            if not address.startswith("assistant."):
                assert after[address] == rid  # the same files and vector stores
        assert run(p, url, "plan", "--detailed-exitcode").code == 0

"""What a failed or interrupted apply leaves behind is settled by the next plan, never at the
expense of what is live: a replace whose create failed keeps its old object (the address's, in
use); what an interrupted create made is collected even once its resource left the config."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import EXE, Project, changes

# The plain SDK's assistants methods are deprecated; these tests read the sandbox with them.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

DOCS_AND_BOT = """\
version: 1
files:
  faq: {path: docs/faq.md}
vector_stores:
  docs:
    name: Docs
    files: [faq]
assistants:
  bot:
    name: Bot
    model: gpt-4.1
    instructions: hi
    tools: [{type: file_search}]
    tool_resources:
      file_search: {vector_stores: [docs]}
"""


CHUNKING = (
    "    chunking_strategy: {type: static, static: {max_chunk_size_tokens: 400, chunk_overlap_tokens: 100}}"
)


def docs_and_bot(root: Path) -> Project:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "faq.md").write_text("# FAQ\nAsk away.\n")
    (root / "assistants.yaml").write_text(DOCS_AND_BOT)
    return Project(root)


def failing(p: Project, monkeypatch: pytest.MonkeyPatch, *args: str, **faults: str) -> str:
    """Run `args` while the sandbox fails (every request answered 500 unless `faults` says
    otherwise), without retries: it must fail; returns stderr."""
    with monkeypatch.context() as env:
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        for name, value in (faults or {"ERROR_RATE": "1"}).items():
            env.setenv(f"ASSISTPLAN_SANDBOX_{name}", value)
        r = p.run(*args)
    assert r.code == 1, r.out + r.err
    return r.err


def remote(p: Project) -> dict[str, set[str]]:
    sdk = p.sdk()
    return {
        "assistants": {a.id for a in sdk.beta.assistants.list()},
        "vector_stores": {v.id for v in sdk.vector_stores.list()},
        "files": {f.id for f in sdk.files.list()},
    }


def entry(p: Project, address: str) -> dict[str, Any]:
    return dict(p.state()["resources"][address])


# -- 1. a failed replace leaves the old object the address's ---------------------------------
def test_a_replace_whose_create_failed_keeps_the_live_assistant(tmp_path: Path, monkeypatch) -> None:
    p = docs_and_bot(tmp_path)
    p.ok("apply", "--auto-approve")
    bot = p.ids()["assistant.bot"]
    p.ok("plan", "--replace", "assistant.bot", "--out", "r.plan")
    failing(p, monkeypatch, "apply", "r.plan")
    assert entry(p, "assistant.bot")["remote_id"] == bot
    assert "deposed" not in entry(p, "assistant.bot")["extra"]
    assert changes(p.plan_json()) == {}  # nothing to destroy: bot is still the assistant
    p.ok("apply", "--auto-approve")
    assert bot in remote(p)["assistants"]
    p.ok("apply", "--auto-approve", "--replace", "assistant.bot")  # the replace, carried out now
    assert p.ids()["assistant.bot"] != bot and remote(p)["assistants"] == {p.ids()["assistant.bot"]}


def test_a_reverted_edit_after_a_failed_replace_keeps_the_store_its_consumer_names(
    tmp_path: Path, monkeypatch
) -> None:
    p = docs_and_bot(tmp_path)
    p.ok("apply", "--auto-approve")
    docs = p.ids()["vector_store.docs"]
    p.edit("files: [faq]", f"files: [faq]\n{CHUNKING}")
    p.ok("plan", "--out", "r.plan")
    assert changes(p.plan_json())["vector_store.docs"] == ["create", "delete"]
    assert "vector_store.docs (create)" in failing(p, monkeypatch, "apply", "r.plan")
    p.edit(f"\n{CHUNKING}", "")
    assert changes(p.plan_json()) == {}
    p.ok("apply", "--auto-approve")
    assert docs in remote(p)["vector_stores"]
    bot = p.sdk().beta.assistants.retrieve(p.ids()["assistant.bot"])
    assert bot.tool_resources.file_search.vector_store_ids == [docs]


def test_an_older_state_that_lists_the_current_object_as_deposed_never_deletes_it(tmp_path: Path) -> None:
    """States written before the fix recorded the old id as deposed before the create ran."""
    p = docs_and_bot(tmp_path)
    p.ok("apply", "--auto-approve")
    bot = p.ids()["assistant.bot"]
    path = tmp_path / ".assistplan" / "state.json"
    doc = json.loads(path.read_text())
    doc["resources"]["assistant.bot"]["extra"].update(deposed=[bot], pending={"since": 0})
    path.write_text(json.dumps(doc))
    assert changes(p.plan_json()) == {}
    p.ok("apply", "--auto-approve", "--replace", "assistant.bot")
    new = p.ids()["assistant.bot"]
    assert new != bot and remote(p)["assistants"] == {new}
    assert "deposed" not in entry(p, "assistant.bot")["extra"]


# -- 6. errors surface: a bad setting before anything changes; a defect as what it is ----------
def test_a_bad_processing_timeout_is_refused_before_anything_changes(tmp_path: Path, monkeypatch) -> None:
    p = docs_and_bot(tmp_path)
    for bad in ("soon", "0", "-5", "nan"):
        monkeypatch.setenv("ASSISTPLAN_PROCESSING_TIMEOUT", bad)
        for command in ("apply", "destroy"):
            r = p.run(command, "--auto-approve")
            assert r.code == 1, r.out + r.err
            assert f"ASSISTPLAN_PROCESSING_TIMEOUT={bad!r}: expected a number of seconds" in r.err
    assert remote(p) == {"assistants": set(), "vector_stores": set(), "files": set()}
    monkeypatch.setenv("ASSISTPLAN_PROCESSING_TIMEOUT", "90.5")
    p.ok("apply", "--auto-approve")


def test_a_defect_in_a_step_is_reported_as_one_naming_the_step(tmp_path: Path) -> None:
    """Not an API or plan failure (those name the resource and the cause): an internal error, its
    type and the step it happened in, with the traceback (from the step) on ASSISTPLAN_DEBUG=1.
    The one test that wants to see a bug reported, so it reads the installed command's output
    itself rather than through the helpers that fail on any internal error."""
    p = docs_and_bot(tmp_path)
    argv = [str(EXE), "-C", str(tmp_path), "--sandbox", "--no-color", "apply", "p.plan"]
    for debug in ("", "1"):
        p.ok("plan", "--out", "p.plan")
        doc = json.loads((tmp_path / "p.plan").read_text())
        bot = next(c for c in doc["changes"] if c["address"] == "assistant.bot")
        del bot["after"]["model"]  # a plan no assistplan writes: a step meets what it cannot handle
        (tmp_path / "p.plan").write_text(json.dumps(doc))
        env = {**os.environ, "ASSISTPLAN_DEBUG": debug}
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 1
        assert "internal error: KeyError: 'model'" in r.stderr, r.stderr
        assert "in the step create assistant.bot" in r.stderr and "apply stopped" not in r.stderr
        assert ("Traceback (most recent call last)" in r.stderr) == bool(debug)
        assert not debug or "in _create" in r.stderr  # where it happened, in the step's thread
    assert {a for a, rid in p.ids().items() if rid} == {"file.faq", "vector_store.docs"}  # saved

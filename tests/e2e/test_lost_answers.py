"""A create whose answer is lost may have been carried out: it is never sent again (the SDK would
make a second object), and what it made is found by the marker it carries: exactly one is kept,
any other copy of ours deleted. Objects state accounts for (deposed ones) are never taken."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

CONFIG = """\
version: 1
files:
  faq: {path: docs/faq.md}
vector_stores:
  docs: {name: Docs, files: [faq]}
assistants:
  bot:
    name: Bot
    model: gpt-4.1
    instructions: hi
    tools: [{type: file_search}]
    tool_resources: {file_search: {vector_stores: [docs]}}
  helper: {name: Helper, model: gpt-4.1, instructions: help}
"""


def project(root: Path) -> Project:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "faq.md").write_text("# FAQ\nAsk away.\n")
    (root / "assistants.yaml").write_text(CONFIG)
    return Project(root)


def assistants(p: Project) -> dict[str, list[str]]:
    """name -> ids of the assistants on the sandbox."""
    out: dict[str, list[str]] = {}
    for a in p.sdk().beta.assistants.list():
        out.setdefault(a.name or "", []).append(a.id)
    return out


def stores(p: Project) -> list[str]:
    return [v.id for v in p.sdk().vector_stores.list()]


def marker(p: Project, address: str) -> dict[str, str]:
    return {"assistplan": f"{p.state()['lineage']}:{address}"}


@pytest.mark.parametrize("route", ["POST /v1/assistants", "POST /v1/vector_stores"])
def test_a_create_whose_answer_is_lost_is_sent_once_and_its_object_taken(
    tmp_path: Path, monkeypatch, route: str
) -> None:
    p = project(tmp_path)
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_DROP_RESPONSES", route)  # every answer on it, retries too
    r = p.ok("apply", "--auto-approve")  # the SDK's retries (6 by default) stay on for the rest
    assert "the create's answer was lost, its marker found it" in r.out
    assert {n: len(ids) for n, ids in assistants(p).items()} == {"Bot": 1, "Helper": 1}
    assert len(stores(p)) == 1
    assert set(p.ids().values()) == {*(i for ids in assistants(p).values() for i in ids), *stores(p)} | {
        p.ids()["file.faq"]
    }
    assert not any(r["extra"].get("pending") for r in p.state()["resources"].values())
    monkeypatch.delenv("ASSISTPLAN_SANDBOX_DROP_RESPONSES")
    assert p.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize("route", ["POST /v1/assistants", "POST /v1/vector_stores"])
def test_a_create_answered_502_after_it_was_carried_out_is_not_sent_again(
    tmp_path: Path, monkeypatch, route: str
) -> None:
    """A gateway's 502 (or 504) may come after the upstream made the object: the SDK would retry
    it, making a copy per retry; it is settled by the marker instead, as a lost answer."""
    p = project(tmp_path)
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_GATEWAY_ERRORS", route)  # every answer on it, retries too
    r = p.ok("apply", "--auto-approve")
    assert "the create's answer was lost, its marker found it" in r.out
    assert {n: len(ids) for n, ids in assistants(p).items()} == {"Bot": 1, "Helper": 1}
    assert len(stores(p)) == 1
    made = {*(i for ids in assistants(p).values() for i in ids), *stores(p)}
    assert set(p.ids().values()) == made | {p.ids()["file.faq"]}
    assert not any(r["extra"].get("pending") for r in p.state()["resources"].values())
    monkeypatch.delenv("ASSISTPLAN_SANDBOX_GATEWAY_ERRORS")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_copies_a_create_sent_twice_made_are_deleted_and_one_adopted(tmp_path: Path) -> None:
    """What an assistplan that let the SDK send a create again left: two objects with one marker."""
    p = project(tmp_path)
    p.ok("apply", "--auto-approve")
    helper = p.ids()["assistant.helper"]
    sdk = p.sdk()
    sdk.beta.assistants.delete(helper)
    made = [
        sdk.beta.assistants.create(
            model="gpt-4.1", name="Helper", instructions="help", metadata=marker(p, "assistant.helper")
        ).id
        for _ in range(2)
    ]
    path = p.root / ".assistplan" / "state.json"
    doc = json.loads(path.read_text())
    doc["resources"]["assistant.helper"]["remote_id"] = None
    doc["resources"]["assistant.helper"]["extra"]["pending"] = {"since": 0}
    path.write_text(json.dumps(doc))
    rows = [
        (c["actions"], c.get("deposed"), c["action_reason"])
        for c in p.plan_json()["resource_changes"]
        if c["address"] == "assistant.helper"
    ]
    assert ["adopt_created_by_interrupted_apply"] == [r for _, d, r in rows if d is None]
    (deleted,) = [d for a, d, r in rows if d is not None and r == "delete_left_by_interrupted_apply"]
    assert deleted in made
    r = p.ok("apply", "--auto-approve")
    assert "was made by an interrupted apply" in " ".join(r.out.split())
    (kept,) = set(made) - {deleted}
    assert assistants(p)["Helper"] == [kept] and p.ids()["assistant.helper"] == kept
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_deposed_object_carrying_the_marker_is_never_adopted(tmp_path: Path) -> None:
    """An interrupted replace of an address that still has a deposed object: the scan for its
    marker finds both; the deposed one is accounted for, the new one is what the create made."""
    p = project(tmp_path)
    p.ok("apply", "--auto-approve")
    current = p.ids()["assistant.helper"]
    sdk = p.sdk()
    mark = marker(p, "assistant.helper")
    older = sdk.beta.assistants.create(model="gpt-4.1", name="Helper", instructions="old", metadata=mark).id
    made = sdk.beta.assistants.create(model="gpt-4.1", name="Helper", instructions="help", metadata=mark).id
    path = p.root / ".assistplan" / "state.json"
    doc = json.loads(path.read_text())
    doc["resources"]["assistant.helper"]["extra"].update(
        deposed=[older], pending={"since": 0, "replaces": {"id": current}}
    )
    path.write_text(json.dumps(doc))
    p.ok("apply", "--auto-approve")
    assert p.ids()["assistant.helper"] == made
    assert assistants(p)["Helper"] == [made]  # the replaced and the deposed one deleted
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_the_intent_of_a_replace_that_made_nothing_is_dropped_by_the_next_apply(
    tmp_path: Path, monkeypatch
) -> None:
    """A failed replace leaves its intent naming the old object, still the address's own; once a
    plan's marker scan finds nothing made, the intent goes (no later write may take it up)."""
    p = project(tmp_path)
    p.ok("apply", "--auto-approve")
    p.ok("plan", "--replace", "assistant.helper", "--out", "r.plan")
    with monkeypatch.context() as env:
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        env.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "1")
        assert p.run("apply", "r.plan").code == 1
    helper = p.state()["resources"]["assistant.helper"]
    assert helper["extra"]["pending"]["replaces"] == {"id": helper["remote_id"]}
    p.edit("instructions: hi", "instructions: hello")  # a change elsewhere: the helper stays as it is
    p.ok("apply", "--auto-approve")
    after = p.state()["resources"]["assistant.helper"]
    assert after["remote_id"] == helper["remote_id"] and "pending" not in after["extra"]
    assert "deposed" not in after["extra"]
    assert {n: len(ids) for n, ids in assistants(p).items()} == {"Bot": 1, "Helper": 1}
    assert p.run("plan", "--detailed-exitcode").code == 0

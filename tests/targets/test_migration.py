"""Migration off the 2026 sunset: changing `provider.target` replaces each assistant ("target
changed") and touches nothing else; the old objects are forgotten where the endpoint no longer
serves the Assistants API, or deposed until the next apply where it still does."""

from __future__ import annotations

import openai
import pytest

from tests.e2e.conftest import Project, changes
from tests.targets.conftest import changed, output, write_config
from tests.targets.openapi import errors

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
RETIRED = "ASSISTPLAN_SANDBOX_RETIRED"
REASON = "target_changed: assistants -> responses"


def applied_on_assistants(p: Project) -> dict[str, str]:
    """Apply on the Assistants protocol, release v1, then move the working assistant on."""
    write_config(p.root, target="assistants")
    p.ok("apply", "--auto-approve")
    p.edit("You answer from the handbook.", "You answer from the handbook, briefly.")
    p.ok("apply", "--auto-approve")
    return p.ids()


def kept_objects(before: dict[str, str], after: dict[str, str]) -> None:
    """Files and vector stores (release snapshots included) are the same objects."""
    for address, rid in before.items():
        if not address.startswith("assistant."):
            assert after[address] == rid, address


def test_a_retired_endpoint_names_the_way_out_then_the_target_change_migrates(project, monkeypatch):
    p = project
    before = applied_on_assistants(p)
    monkeypatch.setenv(RETIRED, "assistants")
    refused = p.run("plan")
    assert refused.code == 1 and len(refused.err.strip().splitlines()) == 1
    assert (
        "no longer serves the Assistants API" in refused.err
        and "provider: {target: responses}" in refused.err
    )
    write_config(p.root, target="responses")
    p.edit("You answer from the handbook.", "You answer from the handbook, briefly.")
    plan = p.plan_json()
    assert changed(plan) == {
        "assistant.bot": (["create", "delete"], REASON),
        "assistant.bot@pilot.v1": (["create", "delete"], REASON),
    }
    human = p.run("plan").out.replace("\n  #   ", " ")  # comments wrap at 100 columns
    assert "re-realised from the release's frozen attributes" in human
    assert f"the old object {before['assistant.bot']} is forgotten" in human
    assert "the old one is forgotten) (no API call)" in human
    p.ok("apply", "--auto-approve")
    after = p.ids()
    kept_objects(before, after)
    assert after["assistant.bot"].startswith("def_") and after["assistant.bot@pilot.v1"].startswith("def_")
    doc = output(p)
    snapshot = doc["experiments"]["pilot"]["published"]["assistants_detail"]["bot"]["definition"]
    assert snapshot["instructions"] == "You answer from the handbook."  # frozen with the release
    search = next(t for t in snapshot["tools"] if t["type"] == "file_search")
    assert search["vector_store_ids"] == [before["vector_store.docs@pilot.v1"]]
    assert doc["assistants"]["bot"]["definition"]["instructions"] == "You answer from the handbook, briefly."
    assert errors(snapshot) == []
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_where_the_endpoint_still_serves_them_the_old_assistants_stay_until_the_next_apply(project):
    p = project
    before = applied_on_assistants(p)
    write_config(p.root, target="responses")
    p.edit("You answer from the handbook.", "You answer from the handbook, briefly.")
    assert set(changed(p.plan_json())) == {"assistant.bot", "assistant.bot@pilot.v1"}
    assert "stays (deposed) until the next apply, so applications can switch" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    kept_objects(before, p.ids())
    sdk = p.sdk()
    old = [before["assistant.bot"], before["assistant.bot@pilot.v1"]]
    assert [sdk.beta.assistants.retrieve(a).id for a in old] == old  # applications can still call them
    nxt = p.plan_json()
    assert sorted(
        (c["address"], c.get("deposed")) for c in nxt["resource_changes"] if c["actions"] == ["delete"]
    ) == [
        ("assistant.bot", before["assistant.bot"]),
        ("assistant.bot@pilot.v1", before["assistant.bot@pilot.v1"]),
    ]
    assert changes(nxt) == {"assistant.bot": ["delete"], "assistant.bot@pilot.v1": ["delete"]}
    p.ok("apply", "--auto-approve")
    for a in old:
        with pytest.raises(openai.NotFoundError):
            sdk.beta.assistants.retrieve(a)
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_back_from_definitions_to_the_assistants_protocol(project):
    p = project
    p.ok("apply", "--auto-approve")
    before = p.ids()
    write_config(p.root, target="assistants")
    plan = p.plan_json()
    assert changed(plan) == {
        "assistant.bot": (["create", "delete"], "target_changed: responses -> assistants"),
        "assistant.bot@pilot.v1": (["create", "delete"], "target_changed: responses -> assistants"),
    }
    p.ok("apply", "--auto-approve")
    after = p.ids()
    kept_objects(before, after)
    snap = p.sdk().beta.assistants.retrieve(after["assistant.bot@pilot.v1"])
    assert snap.name == "HR Bot (pilot v1)"
    assert snap.tool_resources.file_search.vector_store_ids == [before["vector_store.docs@pilot.v1"]]
    assert output(p)["assistants"]["bot"] == {"id": after["assistant.bot"], "target": "assistants"}
    assert p.run("plan", "--detailed-exitcode").code == 0  # a definition leaves nothing to delete

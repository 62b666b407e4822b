"""`import` speaks the target; plan-time refusals of frozen snapshots; lifecycle, saved plans and
PR comments around a target change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Project, changes, copy_example
from tests.targets.conftest import changed, write_config

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def seed_account(p: Project) -> dict[str, str]:
    """What a team made by hand: a file in a store, an assistant searching it, and one that the
    Responses API cannot express (file search without a store)."""
    sdk = p.sdk()
    f = sdk.files.create(file=("handbook.md", b"# Handbook\n"), purpose="assistants")
    vs = sdk.vector_stores.create(name="Docs", file_ids=[f.id])
    helper = sdk.beta.assistants.create(
        model="gpt-4.1",
        name="Helper",
        instructions="Answer from the handbook.",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [vs.id]}},
    )
    loose = sdk.beta.assistants.create(model="gpt-4.1", name="Loose", tools=[{"type": "file_search"}])
    return {"file": f.id, "store": vs.id, "helper": helper.id, "loose": loose.id}


@pytest.fixture
def empty(tmp_path: Path) -> Project:
    root = tmp_path / "account"
    root.mkdir()
    return Project(root)


def test_onboarding_an_endpoint_without_the_assistants_api_writes_target_responses(empty, monkeypatch):
    p = empty
    made = seed_account(p)
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_RETIRED", "assistants")
    r = p.ok("import", "--all", "--config-out", "assistants.yaml")
    assert "provider: {target: responses}" in r.out
    doc = yaml.safe_load(p.config.read_text())
    assert doc["provider"] == {"target": "responses"}
    assert doc["files"] == {"handbook": {"id": made["file"]}} and "assistants" not in doc
    assert p.ids() == {"file.handbook": made["file"], "vector_store.docs": made["store"]}
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_with_target_responses_assistants_on_a_compatible_endpoint_become_declarations(empty):
    p = empty
    made = seed_account(p)
    p.config.write_text("version: 1\nprovider: {target: responses}\n")
    r = p.ok("import", "--all", "--config-out", "onboard.yaml")
    assert f"skipped: assistant {made['loose']} ('Loose'): tools[0]: target responses cannot express" in r.out
    doc = yaml.safe_load((p.root / "onboard.yaml").read_text())
    assert doc["provider"] == {"target": "responses"}
    assert doc["assistants"] == {
        "helper": {
            "name": "Helper",
            "model": "gpt-4.1",
            "instructions": "Answer from the handbook.",
            "tools": [{"type": "file_search"}],
            "tool_resources": {"file_search": {"vector_stores": ["docs"]}},
        }
    }
    plan = p.run("-c", "onboard.yaml", "plan", "--json").json()
    assert changes(plan) == {"assistant.helper": ["create"]}  # a declaration: realised by the next apply
    p.ok("-c", "onboard.yaml", "apply", "--auto-approve")
    out = p.ok("-c", "onboard.yaml", "output", "--json").json()
    search = out["assistants"]["helper"]["definition"]["tools"][0]
    assert search["vector_store_ids"] == [made["store"]]


def test_importing_an_assistant_on_target_responses_is_refused(empty):
    p = empty
    made = seed_account(p)
    p.config.write_text(
        "version: 1\nprovider: {target: responses}\nassistants:\n  helper: {model: gpt-4.1}\n"
    )
    r = p.run("import", "assistant.helper", made["helper"])
    assert r.code == 1 and "not an Assistants API object" in r.err and "--sandbox apply`" in r.err


def test_a_frozen_snapshot_the_target_cannot_express_is_a_plan_error(project):
    p = project
    write_config(p.root, target="assistants")
    p.edit("tool_resources: {file_search: {vector_stores: [docs]}, ", "tool_resources: {")
    p.ok("apply", "--auto-approve")  # v1 froze file search without a store (fine on Assistants)
    write_config(p.root, target="responses")  # the working assistant has its store again
    r = p.run("plan")
    assert r.code == 1
    assert (
        "assistant.bot@pilot.v1: tools[1]: target responses cannot express this: a file_search tool "
        "needs its vector store"
    ) in r.err


def test_a_protected_assistant_can_change_target(tmp_path: Path):
    root = tmp_path / "hr-pilot"
    copy_example("hr-pilot", root)
    p = Project(root)
    p.ok("apply", "--auto-approve")
    p.edit("version: 1\n", "version: 1\nprovider: {target: responses}\n")
    plan = p.plan_json()
    assert not plan["errored"]
    assert {c["type"] for c in plan["resource_changes"] if c["actions"] != ["no-op"]} == {"assistant"}
    assert "lifecycle.prevent_destroy" not in p.run("plan").err


def test_a_saved_plan_of_a_target_change_and_its_pull_request_comment(project):
    p = project
    write_config(p.root, target="assistants")
    p.ok("apply", "--auto-approve")
    write_config(p.root, target="responses")
    p.ok("plan", "--out", "migrate.plan")
    comment = p.ok("show", "migrate.plan", "--markdown").out
    assert "the target changed from `assistants` to `responses`" in comment
    assert "no API call" in comment and "stays until the next apply" in comment
    p.ok("apply", "migrate.plan")
    assert changed(p.plan_json()) == {
        "assistant.bot": (["delete"], "delete_replaced_object_no_longer_used"),
        "assistant.bot@pilot.v1": (["delete"], "delete_replaced_object_no_longer_used"),
    }


def test_an_assistant_realised_through_an_unknown_target_is_refused_not_replanned(project):
    p = project
    p.ok("apply", "--auto-approve")
    path = p.root / ".assistplan" / "state.json"
    doc = json.loads(path.read_text())
    doc["resources"]["assistant.bot"]["extra"]["target"] = "hologram"  # written by a newer assistplan
    path.write_text(json.dumps(doc))
    r = p.run("plan")
    assert r.code == 1 and "assistant.bot (target 'hologram')" in r.err and "upgrade assistplan" in r.err

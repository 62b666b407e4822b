"""Issue 3's promises, through the CLI against the embedded sandbox."""

from __future__ import annotations

import json

import pytest

import assistplan
from assistplan.errors import NotPublishedError
from assistplan.state import LocalBackend
from tests.e2e.conftest import changes

# These tests call the deprecated assistants methods of the plain SDK on purpose (changes "behind our back").
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

EXAMPLES = ["math-tutor", "hr-bot", "travel-bot", "responses-support", "foundry-helpdesk"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_apply_then_second_plan_is_a_noop(make_project, example):
    p = make_project(example)
    first = p.run("plan", "--detailed-exitcode")
    assert first.code == 2, first.out + first.err
    p.ok("apply", "--auto-approve")
    again = p.run("plan", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes." in again.out
    plan = p.plan_json()
    assert changes(plan) == {}
    assert plan["resource_drift"] == []


def test_apply_creates_remote_objects_with_their_attributes(make_project):
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    sdk = p.sdk()
    asst = sdk.beta.assistants.retrieve(ids["assistant.travel-bot"])
    assert asst.name == "Travel Bot" and asst.model == "gpt-4.1-mini"
    assert asst.tool_resources.code_interpreter.file_ids == [ids["file.fares"]]
    assert asst.tool_resources.file_search.vector_store_ids == [ids["vector_store.travel-guides"]]
    assert {t.type for t in asst.tools} == {"file_search", "code_interpreter", "function"}
    members = [f.id for f in sdk.vector_stores.files.list(ids["vector_store.travel-guides"])]
    assert members == [ids["file.destinations"]]
    assert asst.metadata["team"] == "travel"
    assert asst.metadata["assistplan"].endswith(":assistant.travel-bot")


def test_editing_one_instruction_is_exactly_one_update(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    p.edit("Quote the section", "Always quote the section", file="prompts/hr.md")
    plan = p.plan_json()
    assert changes(plan) == {"assistant.hr-bot": ["update"]}
    (change,) = [c for c in plan["resource_changes"] if c["actions"] == ["update"]]
    assert change["changed_paths"] == ["instructions"]
    assert plan["summary"]["update"] == 1 and plan["summary"]["create"] == 0
    p.ok("apply", "--auto-approve")
    asst = p.sdk().beta.assistants.retrieve(p.ids()["assistant.hr-bot"])
    assert "Always quote the section" in asst.instructions
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_changed_file_bytes_replace_the_file_and_repoint_consumers(make_project):
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    (p.root / "data" / "fares.csv").write_text("origin,destination,date,price_eur\nBER,LIS,2026-05-01,79\n")
    plan = p.plan_json()
    assert changes(plan) == {"file.fares": ["create", "delete"], "assistant.travel-bot": ["update"]}
    p.ok("apply", "--auto-approve")
    new = p.ids()
    assert new["file.fares"] != old["file.fares"]
    assert new["assistant.travel-bot"] == old["assistant.travel-bot"]
    sdk = p.sdk()
    asst = sdk.beta.assistants.retrieve(new["assistant.travel-bot"])
    assert asst.tool_resources.code_interpreter.file_ids == [new["file.fares"]]
    remaining = {f.id for f in sdk.files.list()}
    assert old["file.fares"] not in remaining and new["file.fares"] in remaining
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_changed_file_in_a_vector_store_is_reattached(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    (p.root / "docs" / "handbook.md").write_text("# Employee handbook\n\nCore hours are 09:00 to 15:00.\n")
    plan = p.plan_json()
    assert changes(plan) == {"file.handbook": ["create", "delete"], "vector_store.hr-docs": ["update"]}
    p.ok("apply", "--auto-approve")
    new = p.ids()
    members = {f.id for f in p.sdk().vector_stores.files.list(new["vector_store.hr-docs"])}
    assert members == {new["file.handbook"], new["file.leave-policy"]}
    assert new["vector_store.hr-docs"] == old["vector_store.hr-docs"]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_vector_store_file_list_change_is_attach_and_detach_only(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    before = p.ids()
    p.edit("files: [handbook, leave-policy]", "files: [handbook]")
    plan = p.plan_json()
    assert changes(plan) == {"vector_store.hr-docs": ["update"]}
    (c,) = [c for c in plan["resource_changes"] if c["address"] == "vector_store.hr-docs"]
    assert c["changed_paths"] == ["file_ids"]
    p.ok("apply", "--auto-approve")
    sdk = p.sdk()
    assert [f.id for f in sdk.vector_stores.files.list(before["vector_store.hr-docs"])] == [
        before["file.handbook"]
    ]
    assert p.ids() == before  # nothing replaced; the detached file itself still exists
    sdk.files.retrieve(before["file.leave-policy"])
    p.edit("files: [handbook]", "files: [handbook, leave-policy]")
    assert changes(p.plan_json()) == {"vector_store.hr-docs": ["update"]}
    p.ok("apply", "--auto-approve")
    members = {f.id for f in sdk.vector_stores.files.list(before["vector_store.hr-docs"])}
    assert members == {before["file.handbook"], before["file.leave-policy"]}


def test_drift_is_shown_and_reverted(make_project):
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    sdk = p.sdk()
    sdk.beta.assistants.update(ids["assistant.travel-bot"], instructions="hacked", temperature=1.5)
    plan = p.plan_json()
    (drift,) = plan["resource_drift"]
    assert drift["address"] == "assistant.travel-bot"
    assert set(drift["changed_paths"]) == {"instructions", "temperature"}
    assert changes(plan) == {"assistant.travel-bot": ["update"]}
    human = p.run("plan")
    assert "changed outside of assistplan" in human.out
    p.ok("apply", "--auto-approve")
    asst = sdk.beta.assistants.retrieve(ids["assistant.travel-bot"])
    assert asst.instructions.startswith("You are a travel agent") and asst.temperature == 0.7
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_deleted_behind_our_back_is_recreated(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    p.sdk().beta.assistants.delete(ids["assistant.hr-bot"])
    plan = p.plan_json()
    assert changes(plan) == {"assistant.hr-bot": ["create"]}
    assert [d["address"] for d in plan["resource_drift"]] == ["assistant.hr-bot"]
    p.ok("apply", "--auto-approve")
    assert p.ids()["assistant.hr-bot"] != ids["assistant.hr-bot"]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_remote_file_detached_behind_our_back_is_reattached(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    p.sdk().vector_stores.files.delete(ids["file.handbook"], vector_store_id=ids["vector_store.hr-docs"])
    assert changes(p.plan_json()) == {"vector_store.hr-docs": ["update"]}
    p.ok("apply", "--auto-approve")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_destroy_removes_managed_objects_and_keeps_unmanaged_ones(make_project):
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    sdk = p.sdk()
    keep = sdk.beta.assistants.create(model="gpt-4o", name="hand-made")
    keep_vs = sdk.vector_stores.create(name="hand-made")
    r = p.ok("destroy", "--auto-approve")
    assert "Destruction complete" in r.out
    assert [a.id for a in sdk.beta.assistants.list()] == [keep.id]
    assert [v.id for v in sdk.vector_stores.list()] == [keep_vs.id]
    assert list(sdk.files.list()) == []
    assert p.state()["resources"] == {}
    assert p.run("plan", "--detailed-exitcode").code == 2  # everything would be created again


def test_a_file_that_fails_processing_is_named_in_the_error(make_project):
    p = make_project("hr-bot")
    (p.root / "docs" / "scan.bin").write_bytes(b"\x00\x01binary")
    p.edit(
        "  leave-policy: {path: docs/leave-policy.md}",
        "  leave-policy: {path: docs/leave-policy.md}\n  scan: {path: docs/scan.bin}",
    )
    p.edit("files: [handbook, leave-policy]", "files: [handbook, leave-policy, scan]")
    r = p.run("apply", "--auto-approve")
    assert r.code == 1
    assert "file processing failed for file.scan" in r.err
    state = p.state()["resources"]
    assert "file.scan" in state and "vector_store.hr-docs" in state  # what succeeded is kept
    assert "assistant.hr-bot" not in state  # not started after the failure
    plan = p.plan_json()
    assert changes(plan)["vector_store.hr-docs"] == ["update"]  # the failed attachment is still pending


def test_processing_deadline_names_what_is_still_processing(make_project, monkeypatch):
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", "60000")
    monkeypatch.setenv("ASSISTPLAN_PROCESSING_TIMEOUT", "0.3")
    p = make_project("hr-bot")
    r = p.run("apply", "--auto-approve")
    assert r.code == 1
    assert "vector_store.hr-docs" in r.err and "still processing when the deadline passed" in r.err
    assert "vector_store.hr-docs" in p.state()["resources"]  # created, so recorded


def test_many_files_attach_in_file_batches(make_project):
    from assistplan.sandbox import http_client

    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    names = [f"note{i}" for i in range(30)]
    for n in names:
        (p.root / "docs" / f"{n}.md").write_text(f"# Note {n}\n")
    p.edit(
        "  leave-policy: {path: docs/leave-policy.md}",
        "  leave-policy: {path: docs/leave-policy.md}\n"
        + "\n".join(f"  {n}: {{path: docs/{n}.md}}" for n in names),
    )
    p.edit("files: [handbook, leave-policy]", "files: [handbook, leave-policy, " + ", ".join(names) + "]")
    client = http_client(p.root / ".assistplan" / "sandbox")
    client.post("/_sandbox/stats/reset")
    plan = p.plan_json()
    assert changes(plan)["vector_store.hr-docs"] == ["update"]
    p.ok("apply", "--auto-approve")
    stats = client.get("/_sandbox/stats").json()["requests"]
    assert stats["POST /v1/vector_stores/{vector_store_id}/file_batches"] == 1
    assert stats.get("POST /v1/vector_stores/{vector_store_id}/files", 0) == 0
    vs = p.ids()["vector_store.hr-docs"]
    assert len(list(p.sdk().vector_stores.files.list(vs, limit=100))) == 32
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_hr_pilot_example_applies_and_is_stable(make_project):
    import json

    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    assert p.run("plan", "--detailed-exitcode").code == 0
    out = json.loads(p.ok("output", "--json").out)["experiments"]
    ids = p.ids()
    snapshot = ids["assistant.hr-bot@hr-pilot.v2"]
    assert out["hr-pilot"]["published"] == {
        "version": 2,
        "assistants": {"hr-bot": snapshot},
        "assistants_detail": {"hr-bot": {"id": snapshot, "target": "assistants"}},
    }
    assert [v["status"] for v in out["hr-pilot"]["versions"]] == ["released", "published"]
    assert set(out["helpdesk"]["published"]["assistants"]) == {"hr-bot", "triage-bot"}
    assert out["helpdesk"]["working"]["assistants"]["triage-bot"] == ids["assistant.triage-bot"]


def test_chunking_strategy_change_replaces_the_vector_store(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    p.edit("max_chunk_size_tokens: 800", "max_chunk_size_tokens: 1000")
    plan = p.plan_json()
    assert changes(plan) == {"vector_store.hr-docs": ["create", "delete"], "assistant.hr-bot": ["update"]}
    p.ok("apply", "--auto-approve")
    new = p.ids()
    assert new["vector_store.hr-docs"] != old["vector_store.hr-docs"]
    sdk = p.sdk()
    files = list(sdk.vector_stores.files.list(new["vector_store.hr-docs"]))
    assert {f.chunking_strategy.static.max_chunk_size_tokens for f in files} == {1000}
    asst = sdk.beta.assistants.retrieve(new["assistant.hr-bot"])
    assert asst.tool_resources.file_search.vector_store_ids == [new["vector_store.hr-docs"]]
    assert old["vector_store.hr-docs"] not in {v.id for v in sdk.vector_stores.list()}
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_deleted_vector_store_is_recreated_and_repointed_in_one_apply(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    p.sdk().vector_stores.delete(old["vector_store.hr-docs"])
    assert changes(p.plan_json()) == {"vector_store.hr-docs": ["create"], "assistant.hr-bot": ["update"]}
    p.ok("apply", "--auto-approve")
    new = p.ids()
    asst = p.sdk().beta.assistants.retrieve(new["assistant.hr-bot"])
    assert asst.tool_resources.file_search.vector_store_ids == [new["vector_store.hr-docs"]]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_destroy_then_apply_again_works_with_experiments(make_project):
    p = make_project("hr-pilot")
    p.edit("lifecycle: {prevent_destroy: true}", "lifecycle: {prevent_destroy: false}")
    p.ok("apply", "--auto-approve")
    p.ok("destroy", "--auto-approve")
    assert p.state()["resources"] == {}
    p.ok("apply", "--auto-approve")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_plan_json_on_an_api_error_still_prints_one_json_object(make_project, monkeypatch):
    import json

    monkeypatch.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "1")
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", "0")
    r = make_project("math-tutor").run("plan", "--json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert doc["errored"] is True and doc["applyable"] is False and "HTTP 500" in doc["errors"][0]


def test_no_application_is_handed_an_assistant_without_an_id(make_project):
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    backend = LocalBackend(p.root / ".assistplan" / "state.json")
    state = backend.read()
    assert state is not None
    snapshot = state.resources["assistant.hr-bot@hr-pilot.v2"]  # of the published version
    snapshot.remote_id, snapshot.extra["pending"] = None, {"since": 0}  # as an interrupted create leaves it
    backend.write(state)
    with pytest.raises(NotPublishedError, match="version 2 has no recorded object for hr-bot: run"):
        assistplan.published("hr-pilot", config=p.root / "assistants.yaml")
    shown = json.loads(p.ok("output", "--json").out)
    assert "null" not in json.dumps(shown["experiments"]["hr-pilot"]["versions"])
    assert shown["experiments"]["hr-pilot"]["published"]["assistants"] == {}

"""`state list | show | rm | mv | pull | push`: state surgery through the CLI, remote untouched."""

from __future__ import annotations

import json

import pytest

from assistplan.state import LocalBackend
from tests.e2e.conftest import changes

# These tests call the deprecated assistants methods of the plain SDK on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


@pytest.fixture
def hr(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    return p


def test_list_is_sorted_and_filters(hr):
    everything = ["assistant.hr-bot", "file.handbook", "file.leave-policy", "vector_store.hr-docs"]
    assert hr.ok("state", "list").out.splitlines() == everything
    assert hr.ok("state", "list", "file").out.splitlines() == ["file.handbook", "file.leave-policy"]
    assert hr.ok("state", "list", "assistant.hr-bot", "vector_store").out.splitlines() == [
        "assistant.hr-bot",
        "vector_store.hr-docs",
    ]
    vs_id = hr.ids()["vector_store.hr-docs"]
    assert hr.ok("state", "list", "--id", vs_id).out.splitlines() == ["vector_store.hr-docs"]
    assert hr.ok("state", "list", "pipeline").out == ""


def test_show_prints_the_recorded_object(hr):
    ids = hr.ids()
    out = hr.ok("state", "show", "assistant.hr-bot").out
    assert out.startswith('# assistant.hr-bot:\nassistant "hr-bot" {\n')
    assert f'id               = "{ids["assistant.hr-bot"]}"' in out
    assert 'model            = "gpt-4.1"' in out
    # Nested values are blocks, one element per line, as in a plan: never JSON on one line.
    assert 'depends_on       = [\n        "vector_store.hr-docs",\n    ]\n' in out
    tools = (
        "tools            = [\n        {\n            file_search = {\n                max_num_results = 8\n"
    )
    assert tools in out
    assert "[{" not in out and '{"' not in out
    assert "instructions     = <<-EOT" in out
    doc = json.loads(hr.ok("state", "show", "--json", "file.handbook").out)
    assert doc["address"] == "file.handbook" and doc["remote_id"] == ids["file.handbook"]
    assert doc["sha256"] == doc["attributes"]["sha256"] and len(doc["sha256"]) == 64
    bad = hr.run("state", "show", "assistant.hr-bto")
    assert bad.code == 1 and "did you mean assistant.hr-bot?" in bad.err


def test_rm_forgets_without_deleting_and_the_next_plan_creates(hr):
    ids = hr.ids()
    serial = hr.state()["serial"]
    r = hr.ok("state", "rm", "assistant.hr-bot")
    assert f"Removed assistant.hr-bot (the remote object {ids['assistant.hr-bot']} is untouched)" in r.out
    assert "still declares assistant.hr-bot" in r.out
    st = hr.state()
    assert st["serial"] == serial + 1 and "assistant.hr-bot" not in st["resources"]
    hr.sdk().beta.assistants.retrieve(ids["assistant.hr-bot"])  # still there
    plan = hr.plan_json()
    assert changes(plan) == {"assistant.hr-bot": ["create"]}
    assert plan["resource_drift"] == []


def test_rm_of_a_referenced_file_leaves_no_false_drift(hr):
    ids = hr.ids()
    hr.ok("state", "rm", "file.handbook")
    store = hr.state()["resources"]["vector_store.hr-docs"]
    assert store["attributes"]["file_ids"] == sorted([ids["file.handbook"], "file.leave-policy"])
    assert store["depends_on"] == ["file.leave-policy"]
    hr.sdk().files.retrieve(ids["file.handbook"])  # still there
    plan = hr.plan_json()
    assert plan["resource_drift"] == []
    assert changes(plan) == {"file.handbook": ["create"], "vector_store.hr-docs": ["update"]}


def test_rm_checks_every_address_first_and_dry_run_writes_nothing(hr):
    before = hr.state()
    bad = hr.run("state", "rm", "file.handbook", "file.nope")
    assert bad.code == 1 and "file.nope is not in the state" in bad.err
    dry = hr.ok("state", "rm", "--dry-run", "file.handbook")
    assert "Would remove file.handbook" in dry.out
    assert hr.state() == before


def test_mv_renames_without_recreating(hr):
    ids = hr.ids()
    hr.edit("  hr-docs:\n", "  people-docs:\n")
    hr.edit("vector_stores: [hr-docs]", "vector_stores: [people-docs]")
    assert changes(hr.plan_json()) == {
        "vector_store.people-docs": ["create"],
        "assistant.hr-bot": ["update"],
        "vector_store.hr-docs": ["delete"],
    }
    serial = hr.state()["serial"]
    r = hr.ok("state", "mv", "vector_store.hr-docs", "vector_store.people-docs")
    assert "Moved vector_store.hr-docs to vector_store.people-docs" in r.out
    st = hr.state()
    assert st["serial"] == serial + 1
    assert st["resources"]["vector_store.people-docs"]["remote_id"] == ids["vector_store.hr-docs"]
    asst = st["resources"]["assistant.hr-bot"]
    assert asst["depends_on"] == ["vector_store.people-docs"]
    assert asst["attributes"]["tool_resources"]["file_search"] == ["vector_store.people-docs"]
    plan = hr.plan_json()
    assert changes(plan) == {} and plan["resource_drift"] == []
    assert hr.run("plan", "--detailed-exitcode").code == 0


def test_mv_refuses_what_it_cannot_do(hr):
    cases = [
        (("file.handbook", "vector_store.handbook"), "an address keeps its kind"),
        (("file.handbook", "file.leave-policy"), "file.leave-policy is already in the state"),
        (("file.nope", "file.other"), "file.nope is not in the state"),
        (("file.handbook", "file.Bad Name"), "invalid address"),
        (("experiment.a", "experiment.b"), "experiment.a is not in the state"),
    ]
    before = hr.state()
    for args, message in cases:
        r = hr.run("state", "mv", *args)
        assert r.code == 1 and message in r.err, (args, r.err)
    assert hr.state() == before
    note = hr.ok("state", "mv", "--dry-run", "file.handbook", "file.guide")
    assert "Would move file.handbook to file.guide" in note.out
    assert "does not declare file.guide" in note.out
    assert hr.state() == before


def test_mv_takes_release_snapshots_along(make_project):
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    text = (
        p.config.read_text()
        .replace("  hr-bot:\n", "  people-bot:\n")
        .replace("assistant: hr-bot", "assistant: people-bot")
    )
    p.config.write_text(text)
    r = p.ok("state", "mv", "assistant.hr-bot", "assistant.people-bot")
    assert "Moved assistant.hr-bot@hr-pilot.v2 to assistant.people-bot@hr-pilot.v2" in r.out
    assert not [a for a in p.state()["resources"] if a.startswith("assistant.hr-bot")]
    plan = p.plan_json()
    assert changes(plan) == {} and plan["resource_drift"] == []
    assert p.run("state", "mv", "experiment.hr-pilot", "experiment.pilot").code == 1


def test_writing_commands_take_the_lock(hr):
    backend = LocalBackend(hr.root / ".assistplan" / "state.json")
    lock = backend.lock("apply", 0)
    for args in (("state", "rm", "file.handbook"), ("state", "mv", "file.handbook", "file.guide")):
        r = hr.run(*args)
        assert r.code == 1 and lock.id in r.err
    backend.unlock(lock)
    hr.ok("state", "rm", "file.handbook", "--lock-timeout", "1s")


def test_pull_and_push_move_a_state_between_backends(hr, make_project):
    doc = hr.ok("state", "pull").out
    assert json.loads(doc) == hr.state()
    other = make_project("math-tutor")
    (other.root / "hr.json").write_text(doc)
    r = other.ok("state", "push", "hr.json")
    pushed = hr.state()
    assert f"now holds lineage {pushed['lineage']}, serial {pushed['serial']}." in r.out
    assert other.state() == pushed
    older = json.loads(doc)
    older["serial"] -= 1
    (other.root / "older.json").write_text(json.dumps(older))
    refused = other.run("state", "push", "older.json")
    assert refused.code == 1 and "newer serial" in refused.err
    forced = other.ok("state", "push", "--force", "older.json")
    assert other.state()["serial"] == json.loads(doc)["serial"] + 1, forced.out
    missing = other.run("state", "push", "nope.json")
    assert missing.code == 1 and "nope.json: no such file" in missing.err
    assert make_project("travel-bot").ok("state", "pull").out == ""

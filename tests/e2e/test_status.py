"""`status`: in sync, drifted (which fields, which files on either side) or missing, via the CLI."""

from __future__ import annotations

import pytest

from assistplan.sandbox import open_store

# These tests call the deprecated assistants methods of the plain SDK on purpose (changes "behind our back").
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def status(p, *args: str) -> dict[str, dict]:
    """address -> its status entry, from `status --json`."""
    r = p.run("status", "--json", *args)
    assert r.code == 0, r.err
    return {e["address"]: e for e in r.json()["resources"]}


@pytest.fixture
def travel(make_project):
    p = make_project("travel-bot")
    p.ok("apply", "--auto-approve")
    return p


def test_status_json_has_the_documented_shape_and_exit_codes(make_project):
    p = make_project("travel-bot")
    before = p.run("status", "--json", "--detailed-exitcode")
    assert before.code == 2
    doc = before.json()
    assert [e["status"] for e in doc["resources"]] == ["missing"] * 4
    assert doc["resources"][0]["note"] == "not created yet: apply creates it"
    assert doc["summary"] == {"in_sync": 0, "drifted": 0, "missing": 4}
    p.ok("apply", "--auto-approve")
    after = p.run("status", "--json", "--detailed-exitcode")
    assert after.code == 0, after.out
    entries = after.json()["resources"]
    assert [e["address"] for e in entries] == [
        "file.destinations",
        "file.fares",
        "vector_store.travel-guides",
        "assistant.travel-bot",
    ]
    for e in entries:
        assert set(e) >= {"address", "status", "fields", "files_missing_locally", "files_missing_remotely"}
        assert (e["status"], e["fields"], e["files_missing_locally"], e["files_missing_remotely"]) == (
            "in_sync",
            [],
            [],
            [],
        )
        assert e["remote_id"] == p.ids()[e["address"]]
    human = p.ok("status")
    assert "✓ assistant.travel-bot" in human.out
    assert "Status: 4 in sync, 0 drifted, 0 missing." in human.out
    assert "\x1b[" not in human.out  # --no-color


def test_status_without_detailed_exitcode_exits_0_even_when_drifted(travel):
    travel.sdk().beta.assistants.update(travel.ids()["assistant.travel-bot"], temperature=1.2)
    r = travel.run("status")
    assert r.code == 0
    assert "~ assistant.travel-bot" in r.out and "drifted" in r.out
    assert travel.run("status", "--detailed-exitcode").code == 2


def test_field_drift_names_the_fields_including_model(travel):
    ids = travel.ids()
    travel.sdk().beta.assistants.update(ids["assistant.travel-bot"], model="gpt-4o", temperature=1.5)
    st = status(travel)
    a = st["assistant.travel-bot"]
    assert a["status"] == "drifted"
    assert a["fields"] == ["model", "temperature"]
    assert a["note"] == "changed outside assistplan since the last apply"
    assert all(st[x]["status"] == "in_sync" for x in st if x != "assistant.travel-bot")
    human = travel.run("status").out
    assert 'model: "gpt-4o" remotely, "gpt-4.1-mini" in the configuration' in human
    assert "temperature: 1.5 remotely, 0.7 in the configuration" in human


def test_a_changed_function_tool_is_drift_but_tool_order_is_not(travel):
    ids = travel.ids()
    sdk = travel.sdk()
    asst = sdk.beta.assistants.retrieve(ids["assistant.travel-bot"])
    tools = [t.to_dict() for t in asst.tools]
    sdk.beta.assistants.update(asst.id, tools=list(reversed(tools)))
    assert status(travel)["assistant.travel-bot"]["status"] == "in_sync"
    changed = [dict(t) for t in tools]
    for t in changed:
        if t["type"] == "function" and t["function"]["name"] == "get_weather":
            t["function"] = {**t["function"], "description": "Weather, tomorrow."}
    dropped = [t for t in changed if t["type"] != "code_interpreter"]
    sdk.beta.assistants.update(asst.id, tools=dropped)
    a = status(travel)["assistant.travel-bot"]
    assert (a["status"], a["fields"]) == ("drifted", ["tools"])
    human = travel.run("status").out
    assert "tools: code_interpreter only in the configuration; function get_weather differs" in human


def test_files_attached_or_detached_remotely_are_listed_on_the_right_side(travel):
    ids = travel.ids()
    sdk = travel.sdk()
    extra = sdk.files.create(file=("notes.md", b"# Notes\n"), purpose="assistants")
    vs = ids["vector_store.travel-guides"]
    sdk.vector_stores.files.create(vs, file_id=extra.id)
    sdk.vector_stores.files.delete(ids["file.destinations"], vector_store_id=vs)
    sdk.beta.assistants.update(
        ids["assistant.travel-bot"],
        tool_resources={
            "code_interpreter": {"file_ids": [extra.id]},
            "file_search": {"vector_store_ids": [vs]},
        },
    )
    st = status(travel)
    store, asst = st["vector_store.travel-guides"], st["assistant.travel-bot"]
    assert store["status"] == asst["status"] == "drifted"
    assert store["fields"] == asst["fields"] == []  # files are not "fields": they have their own lists
    assert store["files_missing_locally"] == [extra.id]
    assert store["files_missing_remotely"] == ["file.destinations"]
    assert asst["files_missing_locally"] == [extra.id]
    assert asst["files_missing_remotely"] == ["file.fares"]
    human = travel.run("status").out
    assert f"+ {extra.id} (notes.md): attached remotely, not declared" in human
    assert "- file.destinations: declared, not attached remotely" in human
    travel.ok("apply", "--auto-approve")
    assert travel.run("status", "--detailed-exitcode").code == 0


def test_deleted_objects_are_missing(travel):
    ids = travel.ids()
    sdk = travel.sdk()
    sdk.beta.assistants.delete(ids["assistant.travel-bot"])
    sdk.files.delete(ids["file.destinations"])  # also leaves the vector store
    st = status(travel)
    assert st["assistant.travel-bot"]["status"] == "missing"
    assert st["assistant.travel-bot"]["note"] == "deleted outside assistplan: apply creates it again"
    assert st["file.destinations"]["status"] == "missing"
    assert st["vector_store.travel-guides"]["status"] == "drifted"
    assert st["vector_store.travel-guides"]["files_missing_remotely"] == ["file.destinations"]
    assert st["file.fares"]["status"] == "in_sync"
    assert "✗ assistant.travel-bot" in travel.run("status").out


def test_a_configuration_edit_is_reported_as_such(travel):
    travel.edit("temperature: 0.7", "temperature: 0.4")
    a = status(travel)["assistant.travel-bot"]
    assert (a["status"], a["fields"]) == ("drifted", ["temperature"])
    assert a["note"] == "the configuration changed since the last apply: apply updates it"


def test_an_object_removed_from_the_config_is_not_in_sync(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    p.edit("  leave-policy: {path: docs/leave-policy.md}\n", "")
    p.edit("files: [handbook, leave-policy]", "files: [handbook]")
    st = status(p)
    assert st["file.leave-policy"]["status"] == "drifted"
    assert st["file.leave-policy"]["note"] == "no longer in the configuration: apply destroys it"
    store = st["vector_store.hr-docs"]
    assert store["status"] == "drifted" and store["files_missing_locally"] == ["file.leave-policy"]


@pytest.mark.parametrize("retries", [0, 1])
def test_an_api_failure_is_an_error_never_in_sync(travel, monkeypatch, retries):
    """Every read fails: one clear error line, and each read was tried exactly as often as the
    retry budget says (counted by the sandbox, not timed). Reads started before the first
    failure all finish; how many start first varies, so each count is a multiple of the budget,
    and the one assistant's read is tried exactly that often."""
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "1")
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", str(retries))
    stats = open_store(travel.root / ".assistplan" / "sandbox").stats
    per_read = 1 + retries
    for args in (("status",), ("status", "--json"), ("status", "--detailed-exitcode")):
        stats.reset()
        r = travel.run(*args)
        assert r.code == 1, r.out
        assert r.out == ""
        *told, error = r.err.strip().splitlines()  # each retry is told, then the one error
        assert error.startswith("Error: ") and "(HTTP 500; " in error and "ASSISTPLAN_MAX_RETRIES" in error
        assert all(line.startswith("retrying ") for line in told) and bool(told) == (retries != 0)
        requests = stats.snapshot()["requests"]
        assert requests["GET /v1/assistants/{assistant_id}"] == per_read, requests
        assert all(n % per_read == 0 for n in requests.values()), requests


def test_a_bad_retry_budget_is_a_clear_error(travel, monkeypatch):
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", "many")
    r = travel.run("status")
    assert r.code == 1 and "ASSISTPLAN_MAX_RETRIES='many'" in r.err


def test_release_snapshots_are_checked_too(make_project):
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    snap = "assistant.hr-bot@hr-pilot.v1"
    p.sdk().beta.assistants.update(p.ids()[snap], instructions="edited by hand")
    st = status(p)
    assert (st[snap]["status"], st[snap]["fields"]) == ("drifted", ["instructions"])
    objects = {a: e for a, e in st.items() if e["type"] not in ("experiment", "pipeline")}
    assert [a for a, e in objects.items() if e["status"] != "in_sync"] == [snap]


def test_refresh_only_accepts_drift_into_state_without_touching_the_remote(travel):
    ids = travel.ids()
    sdk = travel.sdk()
    asst_id, vs_id = ids["assistant.travel-bot"], ids["vector_store.travel-guides"]
    sdk.beta.assistants.update(asst_id, instructions="hand-edited", temperature=1.5)
    sdk.vector_stores.files.delete(ids["file.destinations"], vector_store_id=vs_id)
    plan = travel.plan_json("--refresh-only")
    assert sorted(d["address"] for d in plan["resource_drift"]) == [
        "assistant.travel-bot",
        "vector_store.travel-guides",
    ]
    assert plan["resource_changes"] == []
    assert travel.run("plan", "--refresh-only", "--detailed-exitcode").code == 2
    serial = travel.state()["serial"]
    r = travel.ok("apply", "--refresh-only", "--auto-approve")
    assert "State updated from the remote objects." in r.out
    state = travel.state()
    assert state["serial"] == serial + 1
    asst = state["resources"]["assistant.travel-bot"]["attributes"]
    assert (asst["instructions"], asst["temperature"]) == ("hand-edited", 1.5)
    assert state["resources"]["vector_store.travel-guides"]["attributes"]["file_ids"] == []
    remote = sdk.beta.assistants.retrieve(asst_id)
    assert (remote.instructions, remote.temperature) == ("hand-edited", 1.5)  # untouched
    assert list(sdk.vector_stores.files.list(vs_id)) == []
    after = travel.plan_json()
    assert after["resource_drift"] == []  # accepted: no longer "changed outside assistplan"
    assert {c["address"]: c["actions"] for c in after["resource_changes"] if c["actions"] != ["no-op"]} == {
        "vector_store.travel-guides": ["update"],
        "assistant.travel-bot": ["update"],
    }
    assert travel.run("plan", "--refresh-only", "--detailed-exitcode").code == 0
    st = status(travel)["assistant.travel-bot"]
    assert st["note"] == "the configuration changed since the last apply: apply updates it"


def test_a_saved_refresh_only_plan_accepts_a_deletion(travel):
    ids = travel.ids()
    travel.sdk().beta.assistants.delete(ids["assistant.travel-bot"])
    travel.ok("plan", "--refresh-only", "--out", "refresh.plan")
    travel.ok("apply", "refresh.plan")
    assert "assistant.travel-bot" not in travel.state()["resources"]
    assert travel.plan_json()["resource_drift"] == []


def _lifecycle(p) -> dict[str, dict]:
    r = p.run("status", "--json")
    assert r.code == 0, r.err
    return {e["address"]: e for e in r.json()["resources"] if e["type"] in ("experiment", "pipeline")}


def test_experiments_and_pipelines_have_their_own_status_and_versions(make_project):
    p = make_project("hr-pilot")
    before = _lifecycle(p)
    assert before["experiment.hr-pilot"] == {
        "address": "experiment.hr-pilot",
        "type": "experiment",
        "status": "working",
        "versions": [],
        "note": "not applied yet: apply records it; apply releases v1; apply releases and publishes v2",
    }
    p.ok("apply", "--auto-approve")
    assert list(_lifecycle(p).values()) == [
        {
            "address": "experiment.hr-pilot",
            "type": "experiment",
            "status": "published",
            "versions": [{"version": 1, "status": "released"}, {"version": 2, "status": "published"}],
            "note": None,
        },
        {
            "address": "experiment.helpdesk",
            "type": "experiment",
            "status": "published",
            "versions": [{"version": 1, "status": "published"}],
            "note": None,
        },
        {
            "address": "pipeline.triage",
            "type": "pipeline",
            "status": "working",
            "versions": [{"version": 1, "status": "published", "experiment": "experiment.helpdesk"}],
            "note": None,
        },
    ]
    human = p.ok("status").out.splitlines()
    assert "✓ experiment.hr-pilot               published (v1 released, v2 published)" in human
    assert "✓ pipeline.triage                   working (experiment.helpdesk v1 published)" in human
    assert p.run("status", "--detailed-exitcode").code == 0


def test_a_pending_publish_or_archive_is_not_in_sync(make_project):
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    p.edit("    published: 2\n", "    published: 1\n")
    st = _lifecycle(p)["experiment.hr-pilot"]
    assert (st["status"], st["note"]) == ("published", "apply publishes v1")
    assert p.run("status", "--detailed-exitcode").code == 2
    human = p.run("status").out
    assert (
        "~ experiment.hr-pilot" in human and "1 experiment(s) or pipeline(s) with changes to apply" in human
    )
    p.ok("apply", "--auto-approve")
    st = _lifecycle(p)["experiment.hr-pilot"]
    assert st["versions"] == [{"version": 1, "status": "published"}, {"version": 2, "status": "released"}]
    text = p.config.read_text()
    p.config.write_text(text[: text.index("  helpdesk:\n")])  # the helpdesk experiment leaves
    gone = _lifecycle(p)["experiment.helpdesk"]
    assert gone["note"] == "no longer in the configuration: apply archives its versions"
    assert gone["versions"] == [{"version": 1, "status": "published"}]
    assert p.run("status", "--detailed-exitcode").code == 2

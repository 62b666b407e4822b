"""`import ADDR REMOTE_ID` and `import --all --config-out FILE`: onboarding hand-built objects."""

from __future__ import annotations

import hashlib
import json

import openai
import pytest

from assistplan.config import load_config
from tests.e2e.conftest import Project, changes

# These tests call the deprecated assistants methods of the plain SDK on purpose (objects "built by hand").
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def hand_built_travel_bot(p: Project) -> dict[str, str]:
    """The travel-bot example built by hand (tools in another order), as someone would in a console."""
    sdk = p.sdk()
    dest = sdk.files.create(
        file=("destinations.md", (p.root / "data" / "destinations.md").read_bytes()), purpose="assistants"
    )
    fares = sdk.files.create(
        file=("fares.csv", (p.root / "data" / "fares.csv").read_bytes()), purpose="assistants"
    )
    vs = sdk.vector_stores.create(name="Travel guides", file_ids=[dest.id])
    spec = load_config(p.config).assistants["travel-bot"]
    asst = sdk.beta.assistants.create(
        model=spec.model,
        name=spec.display_name,
        description=spec.description,
        instructions=spec.instructions,
        tools=list(reversed(spec.tools)),
        tool_resources={
            "code_interpreter": {"file_ids": [fares.id]},
            "file_search": {"vector_store_ids": [vs.id]},
        },
        temperature=0.7,
        top_p=0.9,
        metadata={"team": "travel"},
    )
    return {
        "file.destinations": dest.id,
        "file.fares": fares.id,
        "vector_store.travel-guides": vs.id,
        "assistant.travel-bot": asst.id,
    }


def remote_snapshot(p: Project) -> str:
    """Everything the remote holds, to show that import changed nothing there."""
    sdk = p.sdk()
    doc = {
        "assistants": [a.to_dict() for a in sdk.beta.assistants.list()],
        "vector_stores": [v.to_dict() for v in sdk.vector_stores.list()],
        "files": [f.to_dict() for f in sdk.files.list()],
    }
    for vs in doc["vector_stores"]:
        vs["members"] = sorted(f.id for f in sdk.vector_stores.files.list(vs["id"]))
        for moving in ("last_active_at", "expires_at", "file_counts", "status", "usage_bytes"):  # processing
            vs.pop(moving, None)
    return json.dumps(doc, sort_keys=True)


def test_importing_hand_built_objects_makes_the_next_plan_a_noop(make_project):
    p = make_project("travel-bot")
    ids = hand_built_travel_bot(p)
    before = remote_snapshot(p)
    # The assistant first: its references are raw ids until the files are imported, then addresses.
    for addr in ["assistant.travel-bot", "file.fares", "vector_store.travel-guides", "file.destinations"]:
        r = p.ok("import", addr, ids[addr])
        assert f"{addr}: imported {ids[addr]}" in r.out and "Import successful!" in r.out
    assert p.ids() == ids
    state = p.state()["resources"]
    assert state["assistant.travel-bot"]["depends_on"] == ["file.fares", "vector_store.travel-guides"]
    plan = p.plan_json()
    assert changes(plan) == {} and plan["resource_drift"] == []
    assert p.run("plan", "--detailed-exitcode").code == 0
    assert p.run("status", "--detailed-exitcode").code == 0
    assert remote_snapshot(p) == before  # nothing written remotely, no marker added


def test_import_serial_grows_and_real_differences_show_in_the_next_plan(make_project):
    p = make_project("travel-bot")
    ids = hand_built_travel_bot(p)
    p.sdk().beta.assistants.update(ids["assistant.travel-bot"], temperature=1.1)
    for addr in ["file.fares", "file.destinations", "vector_store.travel-guides"]:
        p.ok("import", addr, ids[addr])
    serial = p.state()["serial"]
    p.ok("import", "assistant.travel-bot", ids["assistant.travel-bot"])
    assert p.state()["serial"] == serial + 1
    plan = p.plan_json()
    assert changes(plan) == {"assistant.travel-bot": ["update"]}
    (c,) = [c for c in plan["resource_changes"] if c["actions"] == ["update"]]
    assert c["changed_paths"] == ["temperature"]


def test_import_errors_are_one_clear_line(make_project):
    p = make_project("travel-bot")
    ids = hand_built_travel_bot(p)
    cases = [
        (("import", "assistant.nope", ids["assistant.travel-bot"]), "assistant.nope is not declared"),
        (
            ("import", "assistant.nope", ids["assistant.travel-bot"]),
            "declared: file.destinations, file.fares",
        ),
        (("import", "pipeline.triage", "x"), "only files, vector stores and assistants"),
        (("import", "assistant.travel-bot@exp.v1", "x"), "release snapshots are made by apply"),
        (("import", "Assistant!", "x"), "invalid address"),
        (("import", "assistant.travel-bot", "asst_missing"), "there is no assistant asst_missing on sandbox"),
        (("import", "file.fares", "file-missing"), "there is no file file-missing"),
    ]
    for args, message in cases:
        r = p.run(*args)
        assert r.code == 1 and message in r.err, (args, r.err)
        assert len(r.err.strip().splitlines()) == 1, r.err
    p.ok("import", "file.fares", ids["file.fares"])
    again = p.run("import", "file.fares", ids["file.destinations"])
    assert (
        again.code == 1
        and "file.fares is already managed" in again.err
        and "state rm file.fares" in again.err
    )
    twice = p.run("import", "file.destinations", ids["file.fares"])
    assert twice.code == 1 and f"{ids['file.fares']} is already managed as file.fares" in twice.err
    for args in (
        ("import",),
        ("import", "file.fares"),
        ("import", "--config-out", "x.yaml", "file.fares", "y"),
    ):
        assert p.run(*args).code == 1
    assert not (p.root / "x.yaml").exists()


def test_a_file_is_checked_by_name_size_and_purpose_since_its_content_cannot_be_read(make_project):
    """OpenAI refuses to download files of purpose `assistants` (so does the sandbox): import trusts
    the id the user chose as far as the API can check it, and says what it assumed."""
    p = make_project("travel-bot")
    sdk = p.sdk()
    local = (p.root / "data" / "fares.csv").read_bytes()
    same = sdk.files.create(file=("fares.csv", local), purpose="assistants")
    with pytest.raises(openai.BadRequestError, match="Not allowed to download files of purpose: assistants"):
        sdk.files.content(same.id)
    r = p.ok("import", "file.fares", same.id)
    assert "cannot check its bytes" in r.out and "recorded as holding the local file's content" in r.out
    assert p.state()["resources"]["file.fares"]["sha256"] == hashlib.sha256(local).hexdigest()
    assert changes(p.plan_json("--target", "file.fares")) == {}
    other = sdk.files.create(file=("destinations.md", b"# Elsewhere\n"), purpose="assistants")
    r = p.ok("import", "file.destinations", other.id)
    assert "(destinations.md, 12, assistants) are not the local file's" in r.out
    assert "the next plan replaces it" in r.out
    assert p.state()["resources"]["file.destinations"]["sha256"] is None
    assert changes(p.plan_json("--target", "file.destinations")) == {
        "file.destinations": ["create", "delete"]
    }


def test_a_file_declared_by_id_is_recorded_with_what_references_it(make_project):
    p = make_project("hr-bot")
    sdk = p.sdk()
    report = sdk.files.create(file=("report.md", b"# Report\n"), purpose="assistants")
    vs = sdk.vector_stores.create(
        name="HR documents",
        file_ids=[report.id],
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
        },
        expires_after={"anchor": "last_active_at", "days": 30},
        metadata={"team": "hr"},
    )
    p.edit("  handbook: {path: docs/handbook.md}", f"  handbook: {{id: {report.id}}}")
    p.edit("files: [handbook, leave-policy]", "files: [handbook]")
    wrong = p.run("import", "file.handbook", "file-other")
    assert wrong.code == 1 and f"declared by id {report.id}" in wrong.err
    r = p.ok("import", "vector_store.hr-docs", vs.id)
    assert f"file.handbook: imported {report.id}" in r.out
    plan = p.plan_json()
    assert {a for a, _ in changes(plan).items()} == {"file.leave-policy", "assistant.hr-bot"}  # only creates
    assert all(c == ["create"] for c in changes(plan).values())


def test_import_takes_the_lock(make_project):
    from assistplan.state import LocalBackend

    p = make_project("travel-bot")
    ids = hand_built_travel_bot(p)
    lock = LocalBackend(p.root / ".assistplan" / "state.json").lock("apply", 0)
    r = p.run("import", "file.fares", ids["file.fares"])
    assert r.code == 1 and lock.id in r.err


# -- import --all ---------------------------------------------------------------------------------
def hand_built_account(p: Project) -> dict[str, str]:
    sdk = p.sdk()
    guide = sdk.files.create(file=("Lisbon Guide.md", b"# Lisbon\nTrams.\n"), purpose="assistants")
    guide2 = sdk.files.create(file=("lisbon-guide.md", b"# Lisbon, again\n"), purpose="assistants")
    data = sdk.files.create(file=("fares.csv", b"origin,price\nBER,79\n"), purpose="assistants")
    handbook = sdk.files.create(file=("handbook.md", b"# Handbook\n"), purpose="assistants")
    guides = sdk.vector_stores.create(
        name="Travel guides",
        file_ids=[guide.id, guide2.id],
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 500, "chunk_overlap_tokens": 100},
        },
        expires_after={"anchor": "last_active_at", "days": 7},
        metadata={"team": "travel"},
    )
    hr = sdk.vector_stores.create(name="Travel guides", file_ids=[handbook.id])  # the same display name
    travel = sdk.beta.assistants.create(
        model="gpt-4.1",
        name="Travel Bot",
        instructions="You plan trips.\nAlways confirm before booking.\n",
        tools=[
            WEATHER,
            {"type": "code_interpreter"},
            {"type": "file_search", "file_search": {"max_num_results": 5}},
        ],
        tool_resources={
            "code_interpreter": {"file_ids": [data.id]},
            "file_search": {"vector_store_ids": [guides.id]},
        },
        temperature=0.3,
        response_format={"type": "json_object"},
        metadata={"owner": "travel-team"},
    )
    helper = sdk.beta.assistants.create(
        model="gpt-4o",
        name="HR helper",
        description="Answers from the handbook.",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [hr.id]}},
        top_p=0.5,
    )
    return {
        "travel": travel.id,
        "helper": helper.id,
        "guides": guides.id,
        "hr": hr.id,
        "guide": guide.id,
        "guide2": guide2.id,
        "data": data.id,
        "handbook": handbook.id,
    }


def test_import_all_onboards_an_account_and_the_next_plan_is_a_noop(tmp_path):
    p = Project(tmp_path)
    ids = hand_built_account(p)
    other = p.sdk().beta.assistants.create(
        model="gpt-4o", name="Other", metadata={"assistplan": "x:assistant.a"}
    )
    before = remote_snapshot(p)
    r = p.ok("import", "--all", "--config-out", "assistants.yaml")
    assert "Wrote assistants.yaml: 4 file(s), 2 vector store(s), 2 assistant(s)." in r.out
    assert f"skipped: assistant {other.id} ('Other') carries the marker of an assistplan state" in r.out
    cfg = load_config(p.config)  # ready to review: it loads
    assert list(cfg.assistants) == ["hr-helper", "travel-bot"]
    assert list(cfg.vector_stores) == ["travel-guides", "travel-guides-2"]
    assert sorted(cfg.files) == ["fares", "handbook", "lisbon-guide", "lisbon-guide-2"]
    assert all(f.external for f in cfg.files.values())
    travel = cfg.assistants["travel-bot"]
    assert travel.code_interpreter_files == ("fares",)
    (store,) = travel.file_search_vector_stores  # the namesakes were made in the same second: either name
    helper = cfg.assistants["hr-helper"]
    assert {store, *helper.file_search_vector_stores} == {"travel-guides", "travel-guides-2"}
    assert helper.description == "Answers from the handbook." and helper.top_p == 0.5
    assert travel.temperature == 0.3 and travel.response_format == {"type": "json_object"}
    assert [t["type"] for t in travel.tools] == ["code_interpreter", "file_search", "function"]
    assert "assistplan" not in travel.metadata and travel.metadata == {"owner": "travel-team"}
    guides = cfg.vector_stores[store]
    assert guides.files == ("lisbon-guide", "lisbon-guide-2")
    assert guides.chunking_strategy == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 500, "chunk_overlap_tokens": 100},
    }
    assert guides.expires_after == {"anchor": "last_active_at", "days": 7}
    text = p.config.read_text()
    assert text.startswith("# Written by `assistplan import --all` from sandbox")
    assert "instructions: |\n      You plan trips.\n" in text
    state = p.state()["resources"]
    assert state["assistant.travel-bot"]["remote_id"] == ids["travel"]
    assert state["file.fares"]["remote_id"] == ids["data"]
    assert len(state) == 8
    plan = p.plan_json()
    assert changes(plan) == {} and plan["resource_drift"] == [] and "errors" not in plan
    assert p.run("plan", "--detailed-exitcode").code == 0
    assert p.run("status", "--detailed-exitcode").code == 0
    assert remote_snapshot(p) == before
    # Managing them works from here: an edit is one update.
    p.edit("temperature: 0.3", "temperature: 0.5")
    assert changes(p.plan_json()) == {"assistant.travel-bot": ["update"]}


def test_import_all_never_overwrites_and_skips_what_is_managed(tmp_path):
    p = Project(tmp_path)
    hand_built_account(p)
    p.ok("import", "--all", "--config-out", "assistants.yaml")
    text = p.config.read_text()
    r = p.run("import", "--all", "--config-out", "assistants.yaml")
    assert r.code == 1 and "never overwrites" in r.err
    assert p.config.read_text() == text
    again = p.ok("import", "--all", "--config-out", "more.yaml")
    assert "Nothing to import" in again.out and not (tmp_path / "more.yaml").exists()
    for args in (("import", "--all"), ("import", "--all", "assistant.x", "asst_1")):
        assert p.run(*args).code == 1


def test_import_all_next_to_a_managed_project_keeps_a_state_of_its_own(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    managed = p.ids()
    stray = p.sdk().beta.assistants.create(model="gpt-4o", name="Stray bot", instructions="Hi.")
    r = p.ok("import", "--all", "--config-out", "onboarded.yaml")
    assert "Wrote onboarded.yaml: 0 file(s), 0 vector store(s), 1 assistant(s)." in r.out
    cfg = load_config(p.root / "onboarded.yaml")
    assert list(cfg.assistants) == ["stray-bot"]
    assert cfg.state.path == p.root / ".assistplan" / "onboarded.state.json"
    assert p.ids() == managed  # the project's own state is untouched
    onboarded = json.loads((p.root / ".assistplan" / "onboarded.state.json").read_text())
    assert {a: rs["remote_id"] for a, rs in onboarded["resources"].items()} == {
        "assistant.stray-bot": stray.id
    }
    assert p.run("-c", "onboarded.yaml", "plan", "--detailed-exitcode").code == 0
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_import_all_on_an_empty_account_writes_nothing(tmp_path):
    p = Project(tmp_path)
    r = p.ok("import", "--all", "--config-out", "assistants.yaml")
    assert "Nothing to import" in r.out
    assert not p.config.exists()

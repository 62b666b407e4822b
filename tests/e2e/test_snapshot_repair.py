"""Issue 11 part 2: a release never points at a deleted object, whatever order or plan membership.

Each scenario runs through the CLI against the sandbox: after ONE apply every consumer points at
live objects, a published snapshot assistant is repaired in place (applications hold its id),
its store holds exactly the released files, and the next plan is a no-op.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Project, changes
from tests.e2e.test_guard import FILES, assistant, experiment, write

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

SNAP_ASSISTANT = "assistant.bot@pilot.v1"
SNAP_STORE = "vector_store.docs@pilot.v1"


def released_project(tmp_path: Path, more_assistants: str = "") -> Project:
    """bot (file search over docs) released as pilot v1, published, applied; with
    `more_assistants` (config lines) declared beside it."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 4.\n")
    (root / "policy.md").write_text("# Policy\n28 days of leave.\n")
    p = Project(root)
    write(p, assistants=assistant("bot", search=True) + more_assistants, rest=experiment("bot"))
    p.ok("apply", "--auto-approve")
    return p


@pytest.fixture
def released(tmp_path: Path) -> Project:
    return released_project(tmp_path)


def store_files(p: Project, vs_id: str) -> set[str]:
    return {f.id for f in p.sdk().vector_stores.files.list(vs_id)}


def stores_of(p: Project, asst_id: str) -> list[str]:
    return list(p.sdk().beta.assistants.retrieve(asst_id).tool_resources.file_search.vector_store_ids)


def live_stores(p: Project) -> set[str]:
    return {v.id for v in p.sdk().vector_stores.list(limit=100)}


def assert_repaired(p: Project, before: dict[str, str], released_files: set[str]) -> None:
    """The snapshot assistant kept its id and uses a live store holding exactly the released files."""
    after = p.ids()
    assert after[SNAP_ASSISTANT] == before[SNAP_ASSISTANT]
    (store,) = stores_of(p, after[SNAP_ASSISTANT])
    assert store == after[SNAP_STORE] != before[SNAP_STORE]
    assert store in live_stores(p)
    assert store_files(p, store) == released_files
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_deleted_snapshot_store_is_recreated_and_its_assistant_repointed_in_one_apply(released):
    p = released
    before = p.ids()
    files = store_files(p, before[SNAP_STORE])
    p.sdk().vector_stores.delete(before[SNAP_STORE])
    plan = p.plan_json()
    assert changes(plan) == {SNAP_STORE: ["create"], SNAP_ASSISTANT: ["update"]}
    (repoint,) = [c for c in plan["resource_changes"] if c["address"] == SNAP_ASSISTANT]
    assert repoint["action_reason"] == f"repoint_because_replaced: {SNAP_STORE}"
    shown = p.run("plan").out
    assert f"# (points at the replacement of {SNAP_STORE})" in shown
    assert "repointed at the replacement" in shown
    p.ok("apply", "--auto-approve")
    assert_repaired(p, before, files)


def test_replacing_a_snapshot_store_repoints_its_assistant_before_the_old_store_goes(released):
    p = released
    before = p.ids()
    files = store_files(p, before[SNAP_STORE])
    assert changes(p.plan_json("--replace", SNAP_STORE)) == {
        SNAP_STORE: ["create", "delete"],
        SNAP_ASSISTANT: ["update"],
    }
    p.ok("apply", "--auto-approve", "--replace", SNAP_STORE)
    assert before[SNAP_STORE] not in live_stores(p)
    assert_repaired(p, before, files)


def test_a_targeted_replace_brings_the_consumers_that_must_repoint(released):
    p = released
    before = p.ids()
    files = store_files(p, before[SNAP_STORE])
    plan = p.plan_json("--target", SNAP_STORE, "--replace", SNAP_STORE)
    assert changes(plan) == {SNAP_STORE: ["create", "delete"], SNAP_ASSISTANT: ["update"]}
    p.ok("apply", "--auto-approve", "--target", SNAP_STORE, "--replace", SNAP_STORE)
    assert_repaired(p, before, files)


def test_a_targeted_destroy_brings_the_consumers_that_let_go(released):
    p = released
    (p.root / "notes.md").write_text("# Notes\nAdded after the release.\n")
    coder = "  coder:\n    model: gpt-4.1\n    instructions: I code.\n    tools: [{type: code_interpreter}]\n"
    uses = "    tool_resources: {code_interpreter: {files: [notes]}}\n"
    files = (
        "files:\n  handbook: {path: handbook.md}\n  policy: {path: policy.md}\n  notes: {path: notes.md}\n"
        "vector_stores:\n  docs: {name: Docs, files: [handbook, policy, notes]}\n"
    )
    write(p, files=files, assistants=assistant("bot", search=True) + coder + uses, rest=experiment("bot"))
    p.ok("apply", "--auto-approve")
    notes = p.ids()["file.notes"]
    # notes leaves the config (no snapshot holds it); the target names only the file, and the
    # consumers that must let go of it come along.
    write(p, assistants=assistant("bot", search=True) + coder, rest=experiment("bot"))
    plan = p.plan_json("--target", "file.notes")
    assert changes(plan) == {
        "file.notes": ["delete"],
        "vector_store.docs": ["update"],
        "assistant.coder": ["update"],
    }
    p.ok("apply", "--auto-approve", "--target", "file.notes")
    ids = p.ids()
    assert notes not in store_files(p, ids["vector_store.docs"])
    coder_files = p.sdk().beta.assistants.retrieve(ids["assistant.coder"]).tool_resources.code_interpreter
    assert notes not in (coder_files.file_ids if coder_files else [])
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_store_a_live_snapshot_holds_by_id_is_retained(released):
    p = released
    store = p.ids()[SNAP_STORE]
    # The snapshot's store leaves state (its assistant now holds the raw id), then comes back
    # under a working address; removing that address must not delete what v1 still uses.
    p.ok("state", "rm", SNAP_STORE)
    legacy = "  legacy: {name: Docs v1, files: [handbook, policy]}\n"
    files = FILES + legacy
    write(p, files=files, assistants=assistant("bot", search=True), rest=experiment("bot"))
    p.ok("import", "vector_store.legacy", store)
    write(p, assistants=assistant("bot", search=True), rest=experiment("bot"))
    plan = p.plan_json()
    assert changes(plan) == {}
    (kept,) = [c for c in plan["resource_changes"] if c["address"] == "vector_store.legacy"]
    assert kept["action_reason"] == f"retained_because_in_use: {SNAP_ASSISTANT}"
    p.ok("apply", "--auto-approve")
    assert store in live_stores(p)
    assert stores_of(p, p.ids()[SNAP_ASSISTANT]) == [store]

"""Release snapshots are frozen: state is the only record of what they must be.

A change made outside assistplan to a snapshot (or its deletion) is drift that apply reverts.
Whatever apply does not get to (left out by `--target`, after a failed step, under
`--refresh-only`), it leaves in state as released, never as read from the remote: the next plan
still reverts it, and after that repair the plan is a no-op. (A kill: tests/reliability.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Project, changes
from tests.e2e.test_guard import assistant, experiment, write
from tests.e2e.test_snapshot_repair import released_project

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

SNAP = "assistant.bot@pilot.v1"
SNAP_STORE = "vector_store.docs@pilot.v1"
HELPER = "  helper:\n    model: gpt-4.1\n    instructions: I help.\n    tools: [{type: code_interpreter}]\n"


@pytest.fixture
def released(tmp_path: Path) -> Project:
    """bot (file search over docs) released as pilot v1 and published, plus a helper, applied."""
    return released_project(tmp_path, HELPER)


def recorded(p: Project, address: str) -> dict[str, Any]:
    return p.state()["resources"][address]


def repaired(p: Project, frozen: dict[str, dict[str, Any]]) -> None:
    """One apply puts the snapshots back as released; the next plan has nothing to do."""
    p.ok("apply", "--auto-approve")
    for address, rs in frozen.items():
        assert recorded(p, address)["attributes"] == rs["attributes"], address
    snap = p.sdk().beta.assistants.retrieve(p.ids()[SNAP])
    assert snap.instructions == "I am bot."
    assert snap.name == "bot (pilot v1)"
    (store,) = snap.tool_resources.file_search.vector_store_ids
    assert store == p.ids()[SNAP_STORE]
    assert p.sdk().vector_stores.retrieve(store).name == "Docs (pilot v1)"
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_targeted_apply_leaves_an_edited_snapshot_as_released(released):
    p = released
    frozen = {a: recorded(p, a) for a in (SNAP, SNAP_STORE)}
    p.sdk().beta.assistants.update(p.ids()[SNAP], instructions="edited by hand")
    p.edit("instructions: I help.", "instructions: I help more.")
    p.ok("apply", "--auto-approve", "--target", "assistant.helper")
    assert recorded(p, SNAP) == frozen[SNAP]
    plan = p.plan_json()
    assert changes(plan) == {SNAP: ["update"]}
    assert [c["action_reason"] for c in plan["resource_changes"] if c["address"] == SNAP] == [
        "revert_change_made_outside_assistplan"
    ]
    repaired(p, frozen)


def test_a_targeted_apply_keeps_a_deleted_snapshot_in_state(released):
    p = released
    frozen = {a: recorded(p, a) for a in (SNAP, SNAP_STORE)}
    p.sdk().vector_stores.delete(p.ids()[SNAP_STORE])
    p.edit("instructions: I help.", "instructions: I help more.")
    p.ok("apply", "--auto-approve", "--target", "assistant.helper")
    assert recorded(p, SNAP_STORE) == frozen[SNAP_STORE]  # its dead id too: the plan knows it is gone
    assert changes(p.plan_json()) == {SNAP_STORE: ["create"], SNAP: ["update"]}
    repaired(p, frozen)


def test_a_failed_step_leaves_the_snapshots_it_did_not_reach_as_released(released):
    p = released
    frozen = {a: recorded(p, a) for a in (SNAP, SNAP_STORE)}
    sdk = p.sdk()
    sdk.vector_stores.update(p.ids()[SNAP_STORE], name="Renamed by hand")
    sdk.beta.assistants.update(p.ids()[SNAP], instructions="edited by hand")
    p.ok("plan", "--out", "fix.plan")
    # Edited again after the plan: the store's step refuses (stale), so the assistant's step
    # (after the store it uses) never starts.
    sdk.vector_stores.update(p.ids()[SNAP_STORE], name="Renamed twice")
    failed = p.run("apply", "fix.plan")
    assert failed.code == 1 and f"{SNAP_STORE} (update): " in failed.err, failed.err
    assert recorded(p, SNAP) == frozen[SNAP]
    assert recorded(p, SNAP_STORE) == frozen[SNAP_STORE]
    assert changes(p.plan_json()) == {SNAP_STORE: ["update"], SNAP: ["update"]}
    repaired(p, frozen)


def test_refresh_only_keeps_snapshots_as_released_and_says_so(released):
    p = released
    frozen = {a: recorded(p, a) for a in (SNAP, SNAP_STORE)}
    sdk = p.sdk()
    sdk.beta.assistants.update(p.ids()[SNAP], instructions="edited by hand")
    sdk.beta.assistants.update(p.ids()["assistant.helper"], instructions="helped by hand")
    shown = p.run("plan", "--refresh-only")
    assert f"{SNAP} changed outside assistplan, but release snapshots are frozen" in shown.out + shown.err
    p.ok("apply", "--refresh-only", "--auto-approve")
    assert recorded(p, SNAP) == frozen[SNAP]
    assert recorded(p, "assistant.helper")["attributes"]["instructions"] == "helped by hand"
    # Only a frozen snapshot drifted: nothing to accept, and the plan says what puts it back.
    only_frozen = p.run("plan", "--refresh-only", "--detailed-exitcode")
    assert only_frozen.code == 0, only_frozen.out
    assert changes(p.plan_json()) == {SNAP: ["update"], "assistant.helper": ["update"]}
    repaired(p, frozen)


def test_a_file_a_release_holds_deleted_outside_comes_back_with_the_same_content(released):
    p = released
    frozen = recorded(p, SNAP_STORE)
    old = p.ids()["file.handbook"]
    p.sdk().files.delete(old)
    plan = p.plan_json()
    assert changes(plan) == {
        "file.handbook": ["create"],
        "vector_store.docs": ["update"],
        SNAP_STORE: ["update"],
    }
    (restore,) = [c for c in plan["resource_changes"] if c["address"] == SNAP_STORE]
    assert restore["action_reason"] == "restore_released_file_deleted_outside_assistplan: file.handbook"
    # Targeting the file brings the release that gets it back.
    p.ok("apply", "--auto-approve", "--target", "file.handbook")
    new = p.ids()["file.handbook"]
    assert new != old
    held = recorded(p, SNAP_STORE)["attributes"]["file_ids"]
    assert held == sorted(new if f == old else f for f in frozen["attributes"]["file_ids"])
    members = {f.id for f in p.sdk().vector_stores.files.list(p.ids()[SNAP_STORE])}
    assert members == set(held)
    p.ok("apply", "--auto-approve")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_deleted_released_file_whose_content_left_the_config_is_an_error(released):
    p = released
    p.sdk().files.delete(p.ids()["file.handbook"])
    (p.root / "handbook.md").write_text("# Handbook\nCore hours are 9 to 5.\n")
    r = p.run("plan")
    assert r.code == 1
    assert f"{SNAP_STORE}: " in r.err and "a file it was released with, was deleted outside" in r.err
    assert "archive v1 (remove it from experiments.pilot.releases)" in r.err


def test_archiving_a_version_whose_snapshot_was_deleted_forgets_it(released):
    p = released
    bots = assistant("bot", search=True) + HELPER
    write(p, assistants=bots, rest=experiment("bot", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    p.sdk().vector_stores.delete(p.ids()[SNAP_STORE])
    write(p, assistants=bots, rest=experiment("bot", releases="[2]", published=2))
    p.ok("apply", "--auto-approve")
    assert not {SNAP, SNAP_STORE} & set(p.state()["resources"])
    assert p.run("plan", "--detailed-exitcode").code == 0

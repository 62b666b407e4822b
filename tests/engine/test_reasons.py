"""Typed plan reasons: one table of words, the `plan --json` string, and saved plans keep them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistplan.errors import PlanError
from assistplan.plan import planfile
from assistplan.plan.model import CREATE, DELETE, NO_OP, REPLACE_CBD, UPDATE, Plan, ResourceChange
from assistplan.plan.reasons import TEXT, Reason


def change(actions: tuple[str, ...], reason: Reason | None, **kw: object) -> ResourceChange:
    return ResourceChange("file.a", "file", "a", actions, remote_id="file-1", reason=reason, **kw)


def test_every_reason_has_words() -> None:
    assert set(TEXT) == set(Reason)


@pytest.mark.parametrize(
    ("c", "json_text", "words"),
    [
        (change(CREATE, None), None, ""),
        (change(DELETE, Reason.FORGET_NOT_MANAGED), "forget_because_not_managed", "forgotten from state"),
        (
            change(UPDATE, Reason.REPOINT_REPLACED, replaced=("file.b", "file.c")),
            "repoint_because_replaced: file.b, file.c",
            "points at the replacement of <file.b>, <file.c>",
        ),
        (
            change(NO_OP, Reason.RETAINED_IN_USE, kept_for=("vector_store.docs@pilot.v1",)),
            "retained_because_in_use: vector_store.docs@pilot.v1",
            "it left the config, but <vector_store.docs@pilot.v1> still uses it",
        ),
        (
            change(REPLACE_CBD, Reason.REPLACE_CONTENT_CHANGED, kept_for=("x@e.v1", "y@e.v1")),
            "replace_because_content_changed; the old one is kept while x@e.v1, y@e.v1 use it",
            "the local file's content changed; the old one is kept while <x@e.v1>, <y@e.v1> use it",
        ),
        (
            change(UPDATE, Reason.CONFIGURATION_CHANGED, changed_paths=("name", "metadata.team")),
            "configuration_changed",
            "changed: <name>, <metadata.team>",
        ),
        (
            change(DELETE, Reason.DELETE_REPLACED_UNUSED, deposed="file-0"),
            "delete_replaced_object_no_longer_used",
            "the replaced object <file-0>: nothing uses it any more",
        ),
        (change(REPLACE_CBD, Reason.REPLACE_BY_REQUEST), "replace_by_request", "requested with <--replace>"),
        (
            change(
                REPLACE_CBD,
                Reason.TARGET_CHANGED,
                target="responses",
                old_target="assistants",
                old_object="retired",
            ),
            "target_changed: assistants -> responses",
            "the target changed from <assistants> to <responses>: realised anew; the old object <file-1> is "
            "forgotten: the endpoint no longer serves the Assistants API",
        ),
        (
            change(NO_OP, Reason.DEPOSED_NAMED_BY_DEFINITION, named_by=("assistant.bot",)),
            "deposed_because_named_by_definition: assistant.bot",
            "it left the config, but the applied definition of <assistant.bot> named it",
        ),
        (
            change(REPLACE_CBD, Reason.REPLACE_CANNOT_UPDATE, named_by=("assistant.bot",)),
            "replace_because_cannot_update; the old one stays (deposed) until the next apply: the applied "
            "definition of assistant.bot names it",
            "a changed attribute cannot be updated in place; the old one stays (deposed) until the next "
            "apply",
        ),
        (
            change(DELETE, Reason.FORGET_RETIRED),
            "forget_because_endpoint_retired",
            "forgotten from state only",
        ),
    ],
)
def test_json_string_and_words(c: ResourceChange, json_text: str | None, words: str) -> None:
    assert c.to_json()["action_reason"] == json_text
    assert c.describe(code=lambda name: f"<{name}>").startswith(words)


def test_flags_follow_the_reason() -> None:
    assert change(DELETE, Reason.REFUSED_LIVE_CONSUMERS).refused
    assert change(NO_OP, Reason.RETAINED_IN_USE, kept_for=("s@e.v1",)).retained
    kept = change(REPLACE_CBD, Reason.REPLACE_CONTENT_CHANGED, kept_for=("s@e.v1",))
    assert kept.retain_old and not kept.retained
    assert not change(REPLACE_CBD, Reason.REPLACE_CONTENT_CHANGED).retain_old
    assert change(NO_OP, Reason.DEPOSED_NAMED_BY_DEFINITION, named_by=("assistant.a",)).retained
    assert change(REPLACE_CBD, Reason.REPLACE_CANNOT_UPDATE, named_by=("assistant.a",)).retain_old
    moved = {"target": "responses", "old_target": "assistants"}
    deposed = change(REPLACE_CBD, Reason.TARGET_CHANGED, old_object="deposed", **moved)
    assert deposed.retain_old and not deposed.forget_old
    for fate in ("forgotten", "retired"):
        gone = change(REPLACE_CBD, Reason.TARGET_CHANGED, old_object=fate, **moved)
        assert gone.forget_old and not gone.retain_old
    assert change(CREATE, None, target="responses").no_api_call
    assert not change(CREATE, None, target="assistants").no_api_call


def test_a_saved_plan_keeps_the_typed_reasons(tmp_path: Path) -> None:
    changes = tuple(
        change(a, r, **kw)
        for a, r, kw in [
            (DELETE, Reason.FORGET_NOT_MANAGED, {}),
            (UPDATE, Reason.REPOINT_REPLACED, {"replaced": ("file.b",)}),
            (NO_OP, Reason.RETAINED_IN_USE, {"kept_for": ("vector_store.docs@pilot.v1",)}),
            (REPLACE_CBD, Reason.REPLACE_CONTENT_CHANGED, {"kept_for": ("assistant.x@e.v2",)}),
            (CREATE, None, {}),
            (
                REPLACE_CBD,
                Reason.TARGET_CHANGED,
                {"target": "responses", "old_target": "assistants", "old_object": "deposed"},
            ),
            (NO_OP, Reason.DEPOSED_NAMED_BY_DEFINITION, {"named_by": ("assistant.bot",)}),
        ]
    )
    plan = Plan("l", 1, True, "e", "d", changes=changes, drift=(change(DELETE, Reason.DRIFT_DELETED),))
    path = tmp_path / "tfplan"
    planfile.save(plan, path)
    loaded = planfile.load(path)
    assert loaded.changes == plan.changes and loaded.drift == plan.drift
    assert loaded.changes[0].reason is Reason.FORGET_NOT_MANAGED


def test_a_saved_plan_with_an_unknown_reason_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "tfplan"
    planfile.save(Plan("l", 1, True, "e", "d", changes=(change(DELETE, Reason.DELETE_NOT_IN_CONFIG),)), path)
    doc = json.loads(path.read_text())
    doc["changes"][0]["reason"] = "because_i_said_so"
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanError, match="corrupt plan file"):
        planfile.load(path)

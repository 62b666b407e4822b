"""The state document in memory: copies."""

from __future__ import annotations

import dataclasses
import json

from assistplan.state.model import ResourceState, State

from .conformance import sample_state


def test_a_copy_has_every_field_and_shares_nothing_mutable() -> None:
    state = sample_state(serial=7)
    state.forgotten = ["file-old"]
    state.account_sizes = {"file": 3}
    for f in dataclasses.fields(State):  # every field set, so a field the copy forgets shows
        if getattr(state, f.name) is None:
            setattr(state, f.name, "set")
    copied = state.copy()
    assert copied.to_json() == state.to_json()
    assert [getattr(copied, f.name) for f in dataclasses.fields(State)] == [
        getattr(state, f.name) for f in dataclasses.fields(State)
    ]
    rs = copied.get("assistant.support")
    assert rs is not None
    rs.attributes["metadata"]["empty"]["x"] = 1
    rs.extra["history"].append(4)
    rs.depends_on.append("file.other")
    copied.forgotten.append("file-2")
    copied.account_sizes["file"] = 4
    copied.put(ResourceState("file.new", "file"))
    assert state.to_json() == sample_state_like(state).to_json()


def test_a_copy_takes_given_attributes_as_they_are_and_copies_the_rest() -> None:
    state = sample_state(serial=7)
    before = json.dumps(state.to_json())  # text: to_json shares the entries' dicts
    fresh = {"name": "read just now"}
    copied = state.copy({"assistant.support": fresh})
    rs = copied.get("assistant.support")
    assert rs is not None and rs.attributes is fresh  # the refreshed attributes, not a copy
    assert rs.extra == state.resources["assistant.support"].extra
    others = [a for a in state.resources if a != "assistant.support"]
    assert others and all(copied.resources[a].attributes == state.resources[a].attributes for a in others)
    rs.extra["history"].append(4)
    for a in others:
        copied.resources[a].attributes["changed"] = True
    assert json.dumps(state.to_json()) == before


def sample_state_like(state: State) -> State:
    """`state` as it was before the copy was changed (built again the same way)."""
    again = sample_state(serial=7)
    again.lineage, again.forgotten, again.account_sizes = state.lineage, ["file-old"], {"file": 3}
    for f in dataclasses.fields(State):
        if getattr(again, f.name) is None:
            setattr(again, f.name, "set")
    return again

"""The state document in memory: copies."""

from __future__ import annotations

import dataclasses

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


def sample_state_like(state: State) -> State:
    """`state` as it was before the copy was changed (built again the same way)."""
    again = sample_state(serial=7)
    again.lineage, again.forgotten, again.account_sizes = state.lineage, ["file-old"], {"file": 3}
    for f in dataclasses.fields(State):
        if getattr(again, f.name) is None:
            setattr(again, f.name, "set")
    return again

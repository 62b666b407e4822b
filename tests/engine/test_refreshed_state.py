"""refreshed_state: prior state as the refresh found it, the state it was made from untouched."""

from __future__ import annotations

import json

from assistplan.plan.drift import refreshed_state
from assistplan.plan.intents import PENDING
from assistplan.plan.refresh import Actual, Refreshed
from assistplan.state.model import ResourceState, State


def _state() -> State:
    state = State(serial=3)
    state.put(ResourceState("file.a", "file", "file-a", {"filename": "a.md"}))
    state.put(ResourceState("file.b", "file", "file-b", {"filename": "b.md"}))
    state.put(
        ResourceState("vector_store.kb", "vector_store", "vs_1", {"name": "kb", "file_ids": ["file.a"]})
    )
    state.put(
        ResourceState("vector_store.kb@beta.v1", "vector_store", "vs_0", {"name": "kb", "file_ids": []})
    )
    state.put(
        ResourceState("assistant.bot", "assistant", None, {"name": "bot"}, extra={PENDING: {"id": "x"}})
    )
    return state


def test_refreshed_attributes_gone_objects_and_unmade_creates_and_the_original_untouched() -> None:
    state = _state()
    before = json.dumps(state.to_json())
    kb = {"name": "kb2", "file_ids": ["file.a", "file.b"]}
    refreshed = Refreshed(
        actual={
            "vector_store.kb": Actual("vector_store.kb", "vs_1", kb, {}),
            "vector_store.kb@beta.v1": Actual("vector_store.kb@beta.v1", "vs_0", {"name": "drifted"}, {}),
            "file.a": Actual("file.a", "file-a", {"filename": "a.md"}, {}),
        },
        missing={"file.b", "file.a"},  # read, and reported missing too: gone wins, and nothing fails
        unmade={"assistant.bot"},
    )
    prior = refreshed_state(state, refreshed)
    assert set(prior.resources) == {"vector_store.kb", "vector_store.kb@beta.v1", "assistant.bot"}
    assert prior.resources["vector_store.kb"].attributes == kb
    assert prior.resources["vector_store.kb"].depends_on == ["file.a", "file.b"]
    assert prior.resources["vector_store.kb@beta.v1"].attributes == {"name": "kb", "file_ids": []}  # frozen
    assert PENDING not in prior.resources["assistant.bot"].extra
    assert json.dumps(state.to_json()) == before

"""State surgery, import helpers and onboarding names, without a remote."""

from __future__ import annotations

import pytest

from assistplan.errors import StateError
from assistplan.plan.importer import DEFAULT_STATIC, chunking_of
from assistplan.plan.onboard import slug
from assistplan.plan.status import value_at
from assistplan.plan.surgery import forget, move, record_import
from assistplan.remote.normalize import AUTO_CHUNKING
from assistplan.state.model import ResourceState, State


def sample() -> State:
    st = State()
    st.put(ResourceState("file.a", "file", "file-1", {"sha256": "x"}, "x"))
    st.put(ResourceState("file.b", "file", "file-2", {"sha256": "y"}, "y"))
    st.put(
        ResourceState(
            "vector_store.docs",
            "vector_store",
            "vs_1",
            {"file_ids": ["file.a", "file.b"]},
            depends_on=["file.a", "file.b"],
        )
    )
    st.put(
        ResourceState(
            "assistant.bot",
            "assistant",
            "asst_1",
            {"tool_resources": {"code_interpreter": ["file.a"], "file_search": ["vector_store.docs"]}},
            depends_on=["file.a", "vector_store.docs"],
        )
    )
    st.put(
        ResourceState(
            "assistant.bot@pilot.v1",
            "assistant",
            "asst_2",
            {"tool_resources": {"code_interpreter": ["file-1"]}},
        )
    )
    st.put(
        ResourceState(
            "experiment.pilot@v1",
            "experiment_version",
            None,
            {"assistants": {"bot": "assistant.bot@pilot.v1"}},
            depends_on=["assistant.bot@pilot.v1"],
        )
    )
    return st


def test_forget_turns_references_into_remote_ids_and_remembers_the_ids():
    st = sample()
    removed = forget(st, ["file.a"])
    assert [r.address for r in removed] == ["file.a"]
    assert st.get("vector_store.docs").attributes["file_ids"] == ["file-1", "file.b"]
    assert st.get("vector_store.docs").depends_on == ["file.b"]
    assert st.get("assistant.bot").depends_on == ["vector_store.docs"]
    assert st.forgotten == ["file-1"]
    assert "forgotten" in st.to_json() and State.from_json(st.to_json()).forgotten == ["file-1"]


def test_forget_is_all_or_nothing():
    st = sample()
    with pytest.raises(StateError, match="file.c is not in the state"):
        forget(st, ["file.a", "file.c"])
    assert "file.a" in st.resources and st.forgotten == []


def test_move_follows_references_and_takes_snapshots_along():
    st = sample()
    pairs = move(st, "assistant.bot", "assistant.helper")
    assert pairs == [
        ("assistant.bot", "assistant.helper"),
        ("assistant.bot@pilot.v1", "assistant.helper@pilot.v1"),
    ]
    assert st.get("assistant.helper").remote_id == "asst_1"
    version = st.get("experiment.pilot@v1")
    assert version.depends_on == ["assistant.helper@pilot.v1"]
    assert version.attributes == {"assistants": {"bot": "assistant.helper@pilot.v1"}}
    move(st, "file.a", "file.guide")
    assert st.get("vector_store.docs").attributes["file_ids"] == ["file.b", "file.guide"]
    assert st.get("assistant.helper").depends_on == ["file.guide", "vector_store.docs"]
    # A snapshot's frozen raw file id is not a reference to rename.
    assert st.get("assistant.helper@pilot.v1").attributes["tool_resources"] == {
        "code_interpreter": ["file-1"]
    }


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("file.a", "file.b", "already in the state"),
        ("file.a", "assistant.a", "keeps its kind"),
        ("assistant.bot@pilot.v1", "assistant.x@pilot.v1", "move with their working"),
        ("experiment.pilot", "experiment.x", "not in the state"),
    ],
)
def test_move_refusals_change_nothing(src, dst, message):
    st = sample()
    before = st.to_json()
    with pytest.raises(StateError, match=message):
        move(st, src, dst)
    assert st.to_json() == before


def test_record_import_names_the_id_in_working_entries_only():
    st = sample()
    forget(st, ["file.a"])
    record_import(st, ResourceState("file.alpha", "file", "file-1", {"sha256": "x"}, "x"))
    assert st.forgotten == []
    assert st.get("vector_store.docs").attributes["file_ids"] == ["file.alpha", "file.b"]
    assert st.get("assistant.bot").depends_on == ["file.alpha", "vector_store.docs"]
    assert st.get("assistant.bot@pilot.v1").attributes["tool_resources"] == {"code_interpreter": ["file-1"]}


def test_chunking_is_read_from_the_members():
    static = {"type": "static", "static": {"max_chunk_size_tokens": 500, "chunk_overlap_tokens": 100}}
    member = lambda s: {"id": "f", "chunking_strategy": s}  # noqa: E731
    assert chunking_of([member(static), member(static)], AUTO_CHUNKING) == static
    assert chunking_of([member(DEFAULT_STATIC)], AUTO_CHUNKING) == AUTO_CHUNKING  # how the API shows "auto"
    assert chunking_of([member(DEFAULT_STATIC)], None) == AUTO_CHUNKING
    assert chunking_of([member(DEFAULT_STATIC)], DEFAULT_STATIC) == DEFAULT_STATIC
    assert chunking_of([member(static), member(DEFAULT_STATIC)], static) == static  # mixed: assumed
    assert chunking_of([], static) == static


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("HR Bot", "hr-bot"),
        ("  Équipe RH / Paris  ", "equipe-rh-paris"),
        ("__x__", "x"),
        ("", "assistant"),
        (None, "assistant"),
        ("日本語", "assistant"),
        ("a" * 100, "a" * 56),
    ],
)
def test_slug_makes_valid_resource_names(text, name):
    assert slug(text, "assistant") == name


def test_value_at_reads_dotted_paths_with_dotted_keys():
    tree = {"metadata": {"team.lead": "ana", "team": "hr"}, "tools": [{"type": "x"}], "model": "m"}
    assert value_at(tree, "model") == "m"
    assert value_at(tree, "metadata.team.lead") == "ana"
    assert value_at(tree, "metadata.team") == "hr"
    assert value_at(tree, "tools") == [{"type": "x"}]
    assert value_at(tree, "tool_resources.file_search") is None

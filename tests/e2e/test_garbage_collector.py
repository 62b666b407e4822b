"""The library leaves the process's cyclic garbage collector alone: applications calling
`assistplan.published` (or the engine) in a long-running process get their garbage cycles
collected, and nothing of theirs is frozen out of the collector's reach."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

import pytest

import assistplan
from assistplan.config import load_config
from assistplan.state.factory import config_backend
from assistplan.state.manager import StateManager

from .conftest import Project


class Node:
    other: Node


def garbage_cycle() -> weakref.ref[Node]:
    """A reference cycle nobody holds: only the cyclic collector frees it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def load_state(p: Project) -> None:
    StateManager(config_backend(load_config(p.config)), endpoint="sandbox").load()


CALLS: dict[str, Callable[[Project], object]] = {
    "load_config": lambda p: load_config(p.config),
    "StateManager.load": load_state,
    "published": lambda p: assistplan.published("hr-pilot", config=p.config),
    "cli plan (run_cli in process)": lambda p: p.ok("plan"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_garbage_cycles_made_around_a_call_are_collected(make_project, call) -> None:
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    cycles = []
    for _ in range(3):
        cycles.append(garbage_cycle())
        call(p)
    assert (gc.isenabled(), gc.get_freeze_count()) == (enabled, frozen)
    gc.collect()
    assert [c() for c in cycles] == [None, None, None]

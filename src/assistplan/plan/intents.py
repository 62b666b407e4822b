"""What a state entry says about objects other than the one it records: a create under way
(the pending intent) and earlier objects waiting to be deleted (deposed).

- `pending`: apply wrote down that it was about to create the address's object (apply/executor.py
  `_intend`) and has not recorded it yet. For a replace it names the old object (`replaces`),
  which stays the address's object until the new one is recorded.
- `deposed`: the ids of earlier objects of the address (replaced, kept while something uses
  them). An id becomes deposed only in the state write that records its successor (the create
  or adoption its intent was for), and never one that names the object the entry records now
  (`targets.current_ids`: for a Foundry agent, its name and its current version).
"""

from __future__ import annotations

from typing import Any

from assistplan.state.model import ResourceState, State
from assistplan.targets import current_ids

PENDING = "pending"
REPLACES = "replaces"  # in a pending intent: {id, target?, keep?} of the object it replaces
DEPOSED = "deposed"
DEPOSED_TARGETS = "deposed_targets"  # deposed id -> the target that realised it (another than the entry's)


def intended_replacement(rs: ResourceState) -> dict[str, Any] | None:
    """The old object the pending create of `rs` replaces, if any."""
    intent = rs.extra.get(PENDING)
    replaces = intent.get(REPLACES) if isinstance(intent, dict) else None
    return replaces if isinstance(replaces, dict) and isinstance(replaces.get("id"), str) else None


def deposed_ids(state: State) -> set[str]:
    """Every deposed id of `state`: objects of ours (carrying our marker), never taken for new ones."""
    return {d for rs in state.resources.values() for d in rs.extra.get(DEPOSED, []) if isinstance(d, str)}


def depose(rs: ResourceState, replaces: dict[str, Any] | None) -> None:
    """Record `replaces` as deposed in `rs` (which holds its successor), and drop from the
    deposed ids the object `rs` now is (older states, or a stale intent, could name it)."""
    targets = dict(rs.extra.get(DEPOSED_TARGETS, {}))
    ids = set(rs.extra.get(DEPOSED, []))
    if replaces is not None:
        ids.add(replaces["id"])
        if replaces.get("target"):
            targets[replaces["id"]] = replaces["target"]
    _set_deposed(rs, ids - current_ids(rs), targets)


def drop_deposed(rs: ResourceState, remote_id: str) -> None:
    """`remote_id` is deleted: no longer one of the address's deposed objects."""
    _set_deposed(rs, set(rs.extra.get(DEPOSED, [])) - {remote_id}, dict(rs.extra.get(DEPOSED_TARGETS, {})))


def _set_deposed(rs: ResourceState, ids: set[str | None], targets: dict[str, str]) -> None:
    rs.extra.pop(DEPOSED, None)
    rs.extra.pop(DEPOSED_TARGETS, None)
    if ids:
        rs.extra[DEPOSED] = sorted(i for i in ids if i is not None)
        targets = {k: v for k, v in targets.items() if k in ids}
        if targets:
            rs.extra[DEPOSED_TARGETS] = targets


def old_objects(rs: ResourceState, adopt_id: str | None = None) -> list[str]:
    """The earlier objects of an address a plan may delete: its deposed ids and, when the plan
    adopts (`adopt_id`) what an interrupted replace made, the object that replace deposes (unless
    it is kept after the replace); never the object the address is, or becomes by the adoption."""
    if DEPOSED not in rs.extra and PENDING not in rs.extra:
        return []  # most entries: nothing earlier (asked for every entry of every plan)
    ids = {i for i in rs.extra.get(DEPOSED, []) if isinstance(i, str)}
    replaces = intended_replacement(rs)
    if adopt_id is not None and replaces is not None and not replaces.get("keep"):
        ids.add(replaces["id"])
    if adopt_id is not None:
        return sorted(i for i in ids if i != adopt_id)
    return sorted(ids - current_ids(rs))

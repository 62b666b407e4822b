"""State surgery: forget objects (`state rm`), rename an address (`state mv`), and record an
imported object, keeping every other entry's references true to what a refresh reads.

References in state are addresses for managed objects and raw ids for anything else (see
`remote.normalize`). So when an object leaves state, references to it become its remote id;
when one is imported, references to its id become its address; when one is renamed, references
follow. A forgotten object keeps our marker remotely, so its id goes to `State.forgotten`: no
refresh adopts it back (importing it again takes it off). Pure functions on a `State`: the
caller holds the lock and persists.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from assistplan.addrs import REMOTE_KINDS, Address
from assistplan.errors import StateError, command
from assistplan.remote import normalize as norm
from assistplan.state.model import ResourceState, State

MOVABLE = ("file", "vector_store", "assistant", "pipeline")


def unknown_address(state: State, address: str) -> StateError:
    close = difflib.get_close_matches(address, list(state.resources), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return StateError(f"{address} is not in the state{hint} (see `", command("state", "list"), "`)")


def forget(state: State, addresses: Iterable[str]) -> list[ResourceState]:
    """Remove `addresses` from state (nothing remote changes); all must exist, else nothing is removed."""
    wanted = list(dict.fromkeys(addresses))
    for a in wanted:
        if a not in state.resources:
            raise unknown_address(state, a)
    removed = [state.resources.pop(a) for a in wanted]
    ids = {rs.address: rs.remote_id for rs in removed if rs.remote_id and rs.type in REMOTE_KINDS}
    # They keep our marker remotely: make sure no refresh adopts them back (nor replaced ones).
    let_go = [
        *ids.values(),
        *(d for rs in removed if rs.type in REMOTE_KINDS for d in rs.extra.get("deposed", [])),
    ]
    state.forgotten = sorted({*state.forgotten, *let_go})
    _rewrite_refs(state, lambda ref: ids.get(ref, ref), working_only=False)
    gone = set(wanted)
    for rs in state.resources.values():
        if rs.type not in REMOTE_KINDS:
            rs.depends_on = [d for d in rs.depends_on if d not in gone]
    return removed


def move(state: State, source: str, dest: str) -> list[tuple[str, str]]:
    """Rename `source` to `dest` (same kind, `dest` free); returns every (old, new) address moved.

    A working assistant or vector store takes its release snapshots along
    (`assistant.A@E.vN` -> `assistant.B@E.vN`), so its family stays one family.
    """
    src, dst = _parse(source), _parse(dest)
    if source not in state.resources:
        raise unknown_address(state, source)
    if src.kind != dst.kind:
        raise StateError(f"cannot move {source} to {dest}: an address keeps its kind ({src.kind})")
    if src.kind not in MOVABLE:
        raise StateError(
            f"cannot move {source}: an experiment's versions and snapshots are named after it; "
            "rename it in the configuration instead (its releases are made anew)"
        )
    if src.version is not None or dst.version is not None:
        raise StateError(
            f"cannot move {source} to {dest}: release snapshots move with their working "
            "assistant or vector store (`state mv assistant.OLD assistant.NEW`)"
        )
    pairs = [(source, dest)]
    pairs += [(a, dest + a[len(source) :]) for a in state.resources if a.startswith(f"{source}@")]
    taken = [new for _, new in pairs if new in state.resources]
    if taken:
        raise StateError(
            f"cannot move {source} to {dest}: {', '.join(taken)} is already in the state (`",
            command("state", "rm", *taken),
            "` it first, or pick another name)",
        )
    rename = dict(pairs)
    resources: dict[str, ResourceState] = {}
    for addr, rs in state.resources.items():
        rs.address = rename.get(addr, addr)
        rs.depends_on = [rename.get(d, d) for d in rs.depends_on]
        if rs.type not in REMOTE_KINDS:  # pipelines, experiments, versions: structural attributes only
            rs.attributes = _deep_rename(rs.attributes, rename)
        resources[rs.address] = rs
    state.resources = resources
    _rewrite_refs(state, lambda ref: rename.get(ref, ref), working_only=False)
    return pairs


def record_import(state: State, rs: ResourceState) -> None:
    """Put an imported object in state; working entries that reference its id now name it."""
    state.put(rs)
    state.forgotten = [i for i in state.forgotten if i != rs.remote_id]
    if rs.remote_id:
        rid, addr = rs.remote_id, rs.address
        # A release snapshot keeps the raw file ids it was frozen with: leave snapshots alone.
        _rewrite_refs(state, lambda ref: addr if ref == rid else ref, working_only=True, skip=addr)


def _rewrite_refs(
    state: State, fn: Callable[[str], str], *, working_only: bool, skip: str | None = None
) -> None:
    for addr, rs in state.resources.items():
        if rs.type not in REMOTE_KINDS or addr == skip or (working_only and "@" in addr):
            continue
        attrs = norm.map_refs(rs.type, rs.attributes, fn)
        if attrs != rs.attributes:
            rs.attributes = attrs
            rs.depends_on = norm.refs_of(rs.type, attrs)


def _deep_rename(value: Any, rename: dict[str, str]) -> Any:
    if isinstance(value, str):
        return rename.get(value, value)
    if isinstance(value, list):
        return [_deep_rename(v, rename) for v in value]
    if isinstance(value, dict):
        return {k: _deep_rename(v, rename) for k, v in value.items()}
    return value


def _parse(text: str) -> Address:
    try:
        return Address.parse(text)
    except ValueError as exc:
        raise StateError(str(exc)) from None

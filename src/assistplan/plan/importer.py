"""Import: put an existing remote object under management without changing anything remotely.

An imported object is recorded the way a refresh reads it (normalised attributes, references
to managed objects as addresses), so the next plan shows only real differences between the
remote object and its declaration. What the API cannot show back is settled like this:

- a file's content: OpenAI does not let a file of purpose `assistants` be downloaded, so it is
  never read back. The user's choice of id is trusted as far as the API can check it: when the
  remote file has the local file's name, size and purpose, it is recorded as holding the local
  bytes (and the output says that this was assumed); otherwise it is recorded without a content
  hash, and the next plan replaces it.
- a vector store's chunking strategy: the one every live file in it was chunked with (the API
  shows it per file); with no files, or mixed strategies, the configured one is assumed.
- a vector store's description: the remote one when shown, else the configured one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistplan.addrs import REMOTE_KINDS, Address, noun
from assistplan.errors import PlanError, RemoteError, StateError, command
from assistplan.plan.desired import Desired
from assistplan.plan.intents import DEPOSED, DEPOSED_TARGETS, PENDING, depose, intended_replacement
from assistplan.plan.refresh import LIVE_FILE_STATUSES
from assistplan.remote import normalize as norm
from assistplan.remote.api import Remote
from assistplan.state.model import ResourceState, State
from assistplan.targets import DEFAULT_TARGET, TARGETS, Target, open_target

DEFAULT_STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}


@dataclass(frozen=True)
class Imported:
    """One object to record, and what the user should know about how it was recorded."""

    resource: ResourceState
    notes: tuple[str, ...] = ()


def check_importable(state: State, desired: dict[str, Desired], address: str, remote_id: str) -> Desired:
    """The declaration to import `remote_id` as; PlanError/StateError when that cannot be done."""
    try:
        addr = Address.parse(address)
    except ValueError as exc:
        raise PlanError(str(exc)) from None
    if addr.kind not in REMOTE_KINDS:
        raise PlanError(
            f"cannot import {address}: only files, vector stores and assistants are remote objects "
            "(pipelines and experiments live in the config and state only)"
        )
    if addr.is_snapshot or addr.version is not None:
        raise PlanError(f"cannot import {address}: release snapshots are made by apply, not imported")
    d = desired.get(address)
    if d is None:
        declared = [a for a, x in desired.items() if x.type in REMOTE_KINDS and "@" not in a]
        raise PlanError(
            f"{address} is not declared in the configuration: declare it first, then import it "
            f"(declared: {', '.join(declared) or 'nothing'})"
        )
    rs = state.get(address)
    if rs is not None and PENDING not in rs.extra:  # an interrupted create: an import takes its place
        raise StateError(
            f"{address} is already managed (remote id {rs.remote_id}); use `",
            command("state", "rm", address),
            "` first to import another object in its place",
        )
    for other, ors in state.resources.items():
        if ors.remote_id == remote_id or remote_id in ors.extra.get(DEPOSED, []):
            raise StateError(f"{remote_id} is already managed as {other}")
    if d.external and d.attrs["id"] != remote_id:
        raise PlanError(
            f"{address} is declared by id {d.attrs['id']}: import that id, or change the declaration "
            f"to {{id: {remote_id}}}"
        )
    return d


def id_map(state: State, desired: dict[str, Desired]) -> dict[str, str]:
    """Remote id -> address: what state manages, plus files the config declares by id."""
    out = {rs.remote_id: a for a, rs in state.resources.items() if rs.remote_id}
    for a, d in desired.items():
        if d.external:
            out.setdefault(d.attrs["id"], a)
    return out


def read_import(
    remote: Remote,
    state: State,
    desired: dict[str, Desired],
    address: str,
    remote_id: str,
    target: str = DEFAULT_TARGET,
) -> list[Imported]:
    """Read `remote_id` and build its state entry (first), plus entries for files declared by id
    that it references and state does not hold yet (they are only ever referenced). `target`
    realises the config's assistants: one that is no Assistants object cannot be imported."""
    d = check_importable(state, desired, address, remote_id)
    if d.type == "assistant" and not TARGETS[target].remote:
        raise PlanError(
            f"cannot import {address}: on target {target} an assistant is not an Assistants API object "
            "(nothing to import): `",
            command("apply"),
            "` realises it from the configuration",
        )
    if d.type == "assistant" and TARGETS[target].collection != "assistant":
        return [
            realisation_state(
                d, open_target(target, remote), remote_id, id_map(state, desired), state.lineage
            )
        ]
    if d.type == "assistant":
        remote.probe_assistants()
    obj = remote.get(d.type, remote_id, address)
    if obj is None:
        raise RemoteError(f"{address}: there is no {noun(d.type)} {remote_id} on {remote.endpoint_name}")
    to_addr = id_map(state, desired)
    if d.type == "file":
        main = file_state(d, obj)
    elif d.type == "vector_store":
        main = vector_store_state(d, obj, live_members(remote, obj), to_addr, state.lineage)
    else:
        main = assistant_state(d, obj, to_addr, state.lineage)
    prior = state.get(address)
    if prior is not None:  # the import takes the place of an interrupted create: the old still goes
        kept = {k: prior.extra[k] for k in (DEPOSED, DEPOSED_TARGETS) if k in prior.extra}
        main.resource.extra.update(kept)
        depose(main.resource, intended_replacement(prior))
    out = [main]
    for ref in main.resource.depends_on:
        ref_d = desired.get(ref)
        if ref_d is not None and ref_d.external and ref not in state.resources:
            out.append(file_state(ref_d, {"id": ref_d.attrs["id"]}))
    return out


def live_members(remote: Remote, vs: dict[str, Any]) -> list[dict[str, Any]]:
    """A vector store's files that count (completed or still processing), as the API shows them."""
    if not (vs.get("file_counts") or {}).get("total"):
        return []
    return [
        f
        for page in remote.pages("vector_store_files", vs["id"])
        for f in page
        if f.get("status") in LIVE_FILE_STATUSES
    ]


# -- building entries (no I/O) ----------------------------------------------------------------
def file_state(d: Desired, obj: dict[str, Any]) -> Imported:
    """A file as the user chose it: its content cannot be read back, so name, size and purpose
    decide whether it is recorded as holding the local bytes."""
    if d.external:
        return Imported(_entry(d, obj["id"], {"id": obj["id"]}))
    attrs = norm.file_actual(obj, None)
    local = d.attrs
    shown = ("filename", "bytes", "purpose")
    if all(attrs[k] == local[k] for k in shown):
        attrs["sha256"] = local["sha256"]
        note = (
            f"{d.address}: the API does not let a file's content be read back, so assistplan cannot check "
            f"its bytes; {obj['id']} has the local file's name, size and purpose, so it is recorded as "
            "holding the local file's content, as you chose"
        )
    else:
        theirs = ", ".join(f"{attrs[k]}" for k in shown)
        ours = ", ".join(f"{local[k]}" for k in shown)
        note = (
            f"{d.address}: its name, size and purpose ({theirs}) are not the local file's ({ours}), "
            "so the next plan replaces it"
        )
    return Imported(_entry(d, obj["id"], attrs), (note,))


def vector_store_state(
    d: Desired, obj: dict[str, Any], members: list[dict[str, Any]], to_addr: dict[str, str], lineage: str
) -> Imported:
    configured = d.attrs
    prior = {
        "description": obj["description"] if "description" in obj else configured["description"],
        "chunking_strategy": chunking_of(members, configured["chunking_strategy"]),
    }
    attrs = norm.vector_store_actual(obj, [m["id"] for m in members], to_addr, prior)
    return Imported(_entry(d, obj["id"], attrs), _marker_notes(d.address, obj, lineage))


def assistant_state(d: Desired, obj: dict[str, Any], to_addr: dict[str, str], lineage: str) -> Imported:
    attrs = norm.assistant_actual(obj, to_addr)
    return Imported(_entry(d, obj["id"], attrs), _marker_notes(d.address, obj, lineage))


def realisation_state(
    d: Desired, target: Target, remote_id: str, to_addr: dict[str, str], lineage: str
) -> Imported:
    """An assistant realised through a target that reads its own (a Foundry agent, by name)."""
    found = target.fetch(remote_id, d.address, d.attrs.get("name"), to_addr)
    rs = _entry(d, found.realised.remote_id, found.attrs)
    rs.extra = dict(found.realised.extra)
    return Imported(rs, _marker_notes(d.address, {"metadata": {norm.MARKER_KEY: found.marker}}, lineage))


def chunking_of(members: Iterable[dict[str, Any]], assumed: dict[str, Any] | None) -> dict[str, Any] | None:
    """The strategy every member was chunked with; `assumed` when that cannot be told.

    The API shows the automatic strategy as its static equivalent (800/400 tokens), so that one
    counts as automatic whenever automatic is what is assumed (or nothing is).
    """
    strategies = [m.get("chunking_strategy") for m in members]
    if len({json.dumps(s, sort_keys=True) for s in strategies}) != 1:
        return assumed
    found = strategies[0]
    if not isinstance(found, dict) or found.get("type") not in ("auto", "static"):
        return assumed
    if found["type"] == "auto" or (found == DEFAULT_STATIC and assumed in (None, norm.AUTO_CHUNKING)):
        return norm.AUTO_CHUNKING
    return found


def _entry(d: Desired, remote_id: str, attrs: dict[str, Any]) -> ResourceState:
    return ResourceState(
        address=d.address,
        type=d.type,
        remote_id=remote_id,
        attributes=attrs,
        sha256=attrs.get("sha256"),
        depends_on=norm.refs_of(d.type, attrs),
        prevent_destroy=d.prevent_destroy,
    )


def _marker_notes(address: str, obj: dict[str, Any], lineage: str) -> tuple[str, ...]:
    """A warning when another state (or another address of this one) marked the object as its own."""
    _, mark = norm.split_marker(obj.get("metadata"))
    if mark is None or mark == norm.marker(lineage, address):
        return ()
    return (
        f"{address}: the remote object carries the marker of an assistplan state ({mark}); if that "
        "state still manages it, remove it there with `state rm`, or the two states will fight over it",
    )

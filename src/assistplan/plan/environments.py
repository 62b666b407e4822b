"""What environments add to a plan: its environment's name, the overlay lines behind removals, and
the promotion check of releases.

A release records the digest of what it froze (`experiment.E@vN`'s `digest`): its snapshots'
attributes, labels (name, description) left out, with every file named by its content hash
instead of its id (each environment uploads its own copy). When this environment freezes a
version another environment already froze with another digest, the plan warns and names both:
the v2 tested in staging is the v2 production gets, or the reviewer is told why not.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from assistplan.addrs import SECTIONS, Address
from assistplan.config.messages import where
from assistplan.config.model import Config, Pos
from assistplan.errors import AssistplanError
from assistplan.plan.model import CREATE, DELETE, UPDATE, Plan, ResourceChange
from assistplan.remote import normalize as norm
from assistplan.state.model import State

LABELS = ("name", "description")  # what a person reads, not what the model runs with
Node = tuple[str, dict[str, Any]]  # (type, attributes)


# -- the digest of a release -------------------------------------------------------------------
def snapshot_nodes(assistants: Iterable[str], lookup: Callable[[str], Node | None]) -> dict[str, Node]:
    """A version's snapshot assistants and the snapshot vector stores they search."""
    nodes: dict[str, Node] = {}
    for a in assistants:
        found = lookup(a)
        if found is None:
            continue
        nodes[a] = found
        for vs in found[1].get("tool_resources", {}).get("file_search", []):
            store = lookup(vs) if "@" in vs else None
            if store is not None:
                nodes[vs] = store
    return nodes


def frozen_content(nodes: dict[str, Node], file_key: Callable[[str], str]) -> dict[str, Any]:
    """What a release froze, comparable across environments (see the module docstring)."""
    out: dict[str, Any] = {}
    for addr in sorted(nodes):
        kind, attrs = nodes[addr]
        kept = {k: v for k, v in attrs.items() if k not in LABELS}
        out[addr] = norm.map_refs(kind, kept, lambda ref: ref if "@" in ref else file_key(ref))
    return out


def digest(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def file_key_of(files: dict[str, dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> Callable[[str], str]:
    """A file reference (an address, or a remote id) -> its content hash, else its id."""

    def key(ref: str) -> str:
        attrs = files.get(ref) if "." in ref else by_id.get(ref)
        if attrs and attrs.get("sha256"):
            return f"sha256:{attrs['sha256']}"
        if attrs and attrs.get("id"):
            return f"id:{attrs['id']}"
        return f"id:{ref}"

    return key


def _state_content(state: State, assistants: Iterable[str]) -> dict[str, Any]:
    stored = [rs for rs in state.resources.values() if rs.type == "file"]
    files = {rs.address: rs.attributes for rs in stored}
    by_id = {rs.remote_id: rs.attributes for rs in stored if rs.remote_id}

    def lookup(addr: str) -> Node | None:
        rs = state.get(addr)
        return (rs.type, rs.attributes) if rs else None

    return frozen_content(snapshot_nodes(assistants, lookup), file_key_of(files, by_id))


def _plan_content(plan: Plan, assistants: Iterable[str]) -> dict[str, Any]:
    after = {c.address: c for c in plan.changes if c.after is not None and not c.deposed}
    files = {a: c.after for a, c in after.items() if c.type == "file" and c.after is not None}

    def lookup(addr: str) -> Node | None:
        c = after.get(addr)
        return (c.type, c.after) if c is not None and c.after is not None else None

    return frozen_content(snapshot_nodes(assistants, lookup), file_key_of(files, {}))


def promotion_warnings(plan: Plan, config: Config, read_peer: Callable[[str], State | None]) -> list[str]:
    """A warning per version this plan freezes that another environment froze otherwise."""
    frozen = [
        (c, c.after)
        for c in plan.changes
        if c.type == "experiment_version" and c.actions == CREATE and c.after and c.after.get("digest")
    ]
    here = config.environment
    out: list[str] = []
    for peer in config.environments if frozen else ():
        if peer == here:
            continue
        try:
            theirs = read_peer(peer)
        except AssistplanError as exc:
            out.append(f"could not compare the releases of this plan with environment {peer}: {exc}")
            continue
        if theirs is None:
            continue  # nothing frozen there yet
        for c, after in frozen:
            rs = theirs.get(c.address)
            if rs is None or rs.type != "experiment_version":
                continue
            names = list(after.get("assistants", {}).values())
            recorded = rs.attributes.get("digest") or digest(_state_content(theirs, names))
            if recorded == after["digest"]:
                continue
            what = _differences(_plan_content(plan, names), _state_content(theirs, names))
            version = Address.parse(c.address).version
            out.append(
                f"{c.address}: {here} freezes other content than {peer} froze as v{version} "
                f"(differs in {what}): the v{version} tested in {peer} is not the v{version} {here} gets"
            )
    return out


def _differences(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    parts = []
    for addr in sorted(set(ours) | set(theirs)):
        a, b = ours.get(addr), theirs.get(addr)
        if a is None or b is None:
            parts.append(f"{addr} only in {'this plan' if b is None else 'the other'}")
            continue
        fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if fields:
            parts.append(f"{addr}: {', '.join(fields)}")
    return "; ".join(parts) or "its content differs"


# -- the plan of an environment ----------------------------------------------------------------
def for_environment(plan: Plan, config: Config, read_peer: Callable[[str], State | None]) -> Plan:
    """`plan` as made for `config.environment`: named, removals traced to the overlay, releases
    compared with the other environments'. Without an environment, `plan` as it is."""
    if config.environment is None:
        return plan
    changes = tuple(_with_removal(c, config.removed) for c in plan.changes)
    plan = dataclasses.replace(plan, environment=config.environment, changes=changes)
    warnings = promotion_warnings(plan, config, read_peer)
    return dataclasses.replace(plan, warnings=(*plan.warnings, *warnings))


def _with_removal(c: ResourceChange, removed: dict[tuple[str | int, ...], Pos]) -> ResourceChange:
    """Name the overlay line whose `null` causes this change, in its reason."""
    if not removed or "@" in c.address or c.deposed:
        return c
    a = Address.parse(c.address)
    base: tuple[str, ...] = (SECTIONS[a.kind], a.name)
    paths: list[tuple[str, ...]] = []
    if c.actions == DELETE:
        paths = [base]
    elif c.actions == UPDATE:
        paths = [(*base, *p.split(".")) for p in c.changed_paths]
    found: dict[tuple[str | int, ...], Pos] = {}
    for p in paths:
        hit = next((p[:i] for i in range(len(p), 1, -1) if p[:i] in removed), None)
        if hit is not None:
            found[hit] = removed[hit]
    if not found:
        return c
    places = tuple(f"{pos.file}:{pos.line} ({where(p)}: null)" for p, pos in found.items())
    return dataclasses.replace(c, removed_by=places)

"""Retention: what a plan keeps because something still uses it, and the replaced objects it
collects once nothing does (snapshots hold ids; applied definitions name them)."""

from __future__ import annotations

import dataclasses

from assistplan.addrs import REMOTE_KINDS, Address
from assistplan.plan.desired import Desired
from assistplan.plan.intents import old_objects
from assistplan.plan.model import DELETE, NO_OP, ResourceChange
from assistplan.plan.reasons import Reason
from assistplan.remote import normalize as norm
from assistplan.state.model import State
from assistplan.targets import deposed_target, named_ids


def _raw_ids(d: Desired) -> set[str]:
    """The remote ids a snapshot holds as such (files, and stores it was left holding by id)."""
    return {r for r in norm.all_refs(d.type, d.attrs) if "." not in r}


def retain_in_use(
    changes: list[ResourceChange], desired: dict[str, Desired], prior: State, *, superseded: bool = True
) -> list[ResourceChange]:
    """Keep what a live snapshot still uses; collect replaced objects no snapshot uses any more.

    A file that left the config, or was replaced, stays while a snapshot that stays live
    holds its id; the apply that archives its last consumer deletes it. With `superseded`, what
    an applied definition named (applications hold copies of it) stays for one more apply.
    Replaced objects are the deposed ones (plus, where the plan adopts what an interrupted
    replace made, the object it replaced), never an address's current object (plan/intents.py).
    """
    users: dict[str, list[str]] = {}
    for d in desired.values():
        if "@" in d.address and d.type in REMOTE_KINDS:
            for rid in _raw_ids(d):
                users.setdefault(rid, []).append(d.address)
    named: dict[str, list[str]] = {}  # id -> the applied definitions naming it
    for addr, rs in prior.resources.items() if superseded else ():
        if rs.type == "assistant":
            for rid in named_ids(rs):
                named.setdefault(rid, []).append(addr)
    out: list[ResourceChange] = []
    for c in changes:
        if c.type in ("file", "vector_store") and c.remote_id in named and c.remote_id not in users:
            if "delete" in c.actions:
                c = _deposed_for_one_apply(c, named[c.remote_id])
        if c.type in ("file", "vector_store") and c.remote_id in users and "delete" in c.actions:
            who = tuple(sorted(users[c.remote_id]))
            if c.actions == DELETE:
                c = dataclasses.replace(
                    c, actions=NO_OP, reason=Reason.RETAINED_IN_USE, kept_for=who, after=c.before
                )
            else:
                c = dataclasses.replace(c, kept_for=who)
        out.append(c)
    adopting = {c.address: c.adopt_id for c in out if c.adopt_id is not None}
    for addr, rs in prior.resources.items():
        # never the object the address lives in now (plan/intents.py; a Foundry agent keeps its name)
        for rid in old_objects(rs, adopting.get(addr)):
            if rid not in users and rid not in named:
                out.append(
                    ResourceChange(
                        address=addr,
                        type=rs.type,
                        name=Address.parse(addr).name,
                        actions=DELETE,
                        remote_id=rid,
                        deposed=rid,
                        reason=Reason.DELETE_REPLACED_UNUSED,
                        target=deposed_target(rs, rid) if rs.type == "assistant" else None,
                    )
                )
    return out


def _deposed_for_one_apply(c: ResourceChange, definitions: list[str]) -> ResourceChange:
    """An object an applied definition named: applications may still call with that definition,
    so it goes one apply after the definition stopped naming it."""
    who = tuple(sorted(definitions))
    if c.actions == DELETE:
        return dataclasses.replace(
            c, actions=NO_OP, reason=Reason.DEPOSED_NAMED_BY_DEFINITION, named_by=who, after=c.before
        )
    return dataclasses.replace(c, named_by=who)

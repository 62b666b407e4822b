"""What applications read: `output --json` (DESIGN.md sections 6 and 9) and `assistplan.published`.

Built from state alone (no API call). An entry without an id (a create an interrupted apply
began) is left out: applications only ever get objects that exist. Every assistant entry has
its `id` and `target`; a
`responses` definition adds `definition` (the `POST /v1/responses` parameters), `revision`
and its labels. Experiment versions list their assistants' ids under `assistants` and the
same entries under `assistants_detail`.
"""

from __future__ import annotations

from typing import Any

from assistplan.addrs import REMOTE_KINDS, SECTIONS, Address
from assistplan.state.model import State
from assistplan.targets import describe


def assistant_entry(state: State, address: str) -> dict[str, Any] | None:
    """`{id, target, ...}` of the assistant (or snapshot) at `address`; None when state lacks it
    or records no object for it yet."""
    rs = state.get(address)
    if rs is None or rs.remote_id is None:
        return None
    return {"id": rs.remote_id, **describe(rs)}


def _assistants(state: State, addresses: dict[str, str]) -> dict[str, Any]:
    """`assistants: {NAME: id}` and `assistants_detail: {NAME: {...}}` for NAME -> address."""
    every = {name: assistant_entry(state, addr) for name, addr in sorted(addresses.items())}
    detail = {name: entry for name, entry in every.items() if entry is not None}  # never one without id
    return {"assistants": {name: entry["id"] for name, entry in detail.items()}, "assistants_detail": detail}


def _working(state: State, exp: dict[str, Any]) -> dict[str, str]:
    targets: dict[str, str] = {}
    if exp.get("assistant"):
        targets[Address.parse(exp["assistant"]).name] = exp["assistant"]
    elif exp.get("pipeline"):
        pipeline = state.get(exp["pipeline"])
        for node in pipeline.attributes.get("nodes", []) if pipeline else []:
            if node.get("assistant"):
                targets[Address.parse(node["assistant"]).name] = node["assistant"]
    return targets


def outputs(state: State) -> dict[str, Any]:
    doc: dict[str, Any] = {"files": {}, "vector_stores": {}, "assistants": {}, "experiments": {}}
    versions: dict[str, list[dict[str, Any]]] = {}
    for addr in sorted(state.resources):
        rs = state.resources[addr]
        a = Address.parse(addr)
        if a.kind in REMOTE_KINDS and rs.remote_id is None:
            continue  # no object (yet): nothing an application could call
        if a.kind == "assistant" and not a.is_snapshot:
            doc["assistants"][a.name] = assistant_entry(state, addr)
        elif a.kind in REMOTE_KINDS and not a.is_snapshot:
            doc[SECTIONS[a.kind]][a.name] = {"id": rs.remote_id}
        elif rs.type == "experiment_version":
            v = rs.attributes
            versions.setdefault(a.name, []).append(
                {
                    "version": v["version"],
                    "status": v["status"],
                    **_assistants(state, v.get("assistants", {})),
                }
            )
    for addr in sorted(state.resources):
        rs = state.resources[addr]
        if rs.type != "experiment":
            continue
        name = Address.parse(addr).name
        vs = sorted(versions.get(name, []), key=lambda v: v["version"])
        published = next((v for v in vs if v["status"] == "published"), None)
        doc["experiments"][name] = {
            "published": {k: published[k] for k in ("version", "assistants", "assistants_detail")}
            if published
            else None,
            "working": _assistants(state, _working(state, rs.attributes)),
            "versions": vs,
        }
    return doc

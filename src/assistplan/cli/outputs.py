"""`output --json`: the ids applications read (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

from assistplan.addrs import Address
from assistplan.state.model import State

SECTIONS = {"file": "files", "vector_store": "vector_stores", "assistant": "assistants"}


def _ids(state: State, snapshots: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, addr in sorted(snapshots.items()):
        rs = state.get(addr)
        out[name] = rs.remote_id if rs else None
    return out


def _working(state: State, exp: dict[str, Any]) -> dict[str, str | None]:
    targets: dict[str, str] = {}
    if exp.get("assistant"):
        targets[Address.parse(exp["assistant"]).name] = exp["assistant"]
    elif exp.get("pipeline"):
        pipeline = state.get(exp["pipeline"])
        for node in pipeline.attributes.get("nodes", []) if pipeline else []:
            if node.get("assistant"):
                targets[Address.parse(node["assistant"]).name] = node["assistant"]
    return _ids(state, targets)


def outputs(state: State) -> dict[str, Any]:
    doc: dict[str, Any] = {"files": {}, "vector_stores": {}, "assistants": {}, "experiments": {}}
    versions: dict[str, list[dict[str, Any]]] = {}
    for addr in sorted(state.resources):
        rs = state.resources[addr]
        a = Address.parse(addr)
        if a.kind in SECTIONS and not a.is_snapshot:
            doc[SECTIONS[a.kind]][a.name] = {"id": rs.remote_id}
        elif rs.type == "experiment_version":
            v = rs.attributes
            versions.setdefault(a.name, []).append(
                {
                    "version": v["version"],
                    "status": v["status"],
                    "assistants": _ids(state, v.get("assistants", {})),
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
            "published": {"version": published["version"], "assistants": published["assistants"]}
            if published
            else None,
            "working": {"assistants": _working(state, rs.attributes)},
            "versions": vs,
        }
    return doc

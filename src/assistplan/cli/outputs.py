"""`output --json`: the ids applications read (DESIGN.md section 6)."""

from __future__ import annotations

from typing import Any

from assistplan.addrs import Address
from assistplan.state.model import State

SECTIONS = {"file": "files", "vector_store": "vector_stores", "assistant": "assistants"}


def outputs(state: State) -> dict[str, Any]:
    doc: dict[str, Any] = {"files": {}, "vector_stores": {}, "assistants": {}, "experiments": {}}
    for addr in sorted(state.resources):
        rs = state.resources[addr]
        a = Address.parse(addr)
        if a.kind in SECTIONS and not a.is_snapshot:
            doc[SECTIONS[a.kind]][a.name] = {"id": rs.remote_id}
    return doc

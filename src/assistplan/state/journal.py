"""Journal records: what one state write changed, so a write costs the change, not the document.

A `Change` names the resources put (their JSON as `ResourceState.to_json()` gives it, already
encoded), the addresses removed, and the top-level fields (`State.meta()`) when they changed.
It carries the lineage and the serial it creates: replaying the changes of serials S+1, S+2...
over the document of serial S gives the current state. Backends store changes (a journal file
next to the document, rows in PostgreSQL) and fold them into the document from time to time
(`compact`).

The local journal file is one JSON object per line: a header naming the exact document it
extends (lineage, serial and sha256 of its bytes), then one change per line. A line is written
with a single `write` and fsynced before the change counts as saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assistplan.errors import StateError
from assistplan.secrets import redact_stored
from assistplan.state.model import ResourceState, State

JOURNAL_VERSION = 1


def canonical(value: Any) -> str:
    """The one JSON text of a value (sorted keys, no spaces): equal texts mean equal content."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Change:
    """The change that makes serial `serial` of a state of `lineage` from serial `serial - 1`."""

    lineage: str
    serial: int
    put: Mapping[str, str]  # address -> canonical JSON of ResourceState.to_json()
    remove: tuple[str, ...] = ()
    meta: str | None = None  # canonical JSON of State.meta(), when it changed

    def dumps(self) -> str:
        """One line of JSON (no newline); the resources' JSON is embedded as encoded."""
        put = ",".join(f"{json.dumps(a, ensure_ascii=False)}:{doc}" for a, doc in self.put.items())
        parts = [
            f'"serial":{self.serial}',
            f'"lineage":{json.dumps(self.lineage)}',
            f'"put":{{{put}}}',
            f'"remove":{json.dumps(list(self.remove), ensure_ascii=False)}',
        ]
        if self.meta is not None:
            parts.append(f'"meta":{self.meta}')
        return redact_stored("{" + ",".join(parts) + "}")


def replay(state: State, record: Any, source: str) -> None:
    """Apply one parsed change record to `state` (whose serial must be the one before it)."""
    try:
        serial, lineage = record["serial"], record["lineage"]
        if lineage != state.lineage:
            raise StateError(f"{source}: a change of lineage {lineage} in a state of lineage {state.lineage}")
        if serial != state.serial + 1:
            raise StateError(f"{source}: change {serial} follows serial {state.serial}")
        for address, data in record["put"].items():
            state.put(ResourceState.from_json(address, data))
        for address in record["remove"]:
            state.remove(address)
        if record.get("meta") is not None:
            state.set_meta(record["meta"])
        state.serial = serial
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateError(f"{source}: corrupt change record ({exc})") from None


def header_for(lineage: str, serial: int, base_sha256: str) -> str:
    """The first line of a journal that extends the document whose bytes hash to `base_sha256`."""
    return canonical(
        {"journal": JOURNAL_VERSION, "lineage": lineage, "base_serial": serial, "base_sha256": base_sha256}
    )


@dataclass
class Parsed:
    """A journal file as read: its records (none when it does not extend the given document),
    and where its last complete record ends (a torn tail after it is ignored and cut before
    appending)."""

    records: list[Any]
    end: int  # bytes up to and including the last good line


def parse(data: bytes, base: bytes, source: str) -> Parsed:
    """Split a journal's bytes into its header and records.

    A journal whose header names another document is stale (left by a compaction that replaced
    the document and was killed before removing it): it extends nothing. The last line may be
    torn (a kill during its write): it is ignored. Any other unreadable line is corruption.
    """
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is incomplete by definition
    if not complete:
        return Parsed([], 0)
    try:
        head = json.loads(complete[0])
    except ValueError:
        head = None
    if not isinstance(head, dict) or head.get("base_sha256") != hashlib.sha256(base).hexdigest():
        return Parsed([], 0)
    if head.get("journal") != JOURNAL_VERSION:
        raise StateError(f"{source}: written by a newer assistplan (journal version {head.get('journal')})")
    records: list[Any] = []
    end = len(complete[0]) + 1
    for i, line in enumerate(complete[1:], start=1):
        try:
            records.append(json.loads(line))
        except ValueError:
            if i == len(complete) - 1:
                break  # a torn last line: never acknowledged
            raise StateError(f"{source}: corrupt journal (line {i + 1} is not JSON)") from None
        end += len(line) + 1
    return Parsed(records, end)


def replay_all(state: State, records: Iterable[Any], source: str) -> State:
    for record in records:
        replay(state, record, source)
    return state

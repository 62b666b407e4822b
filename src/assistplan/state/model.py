"""The state document: what assistplan last applied, per address, plus the reference edges.

On disk it is JSON (see `to_json`/`from_json`); `format_version` guards against reading a
state written by a newer assistplan. `serial` grows on every write that changes content;
`lineage` is fixed at the first write and ties saved plans to the state they came from.
"""

from __future__ import annotations

import dataclasses
import json
import marshal
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistplan.errors import StateError
from assistplan.secrets import redact_stored

FORMAT_VERSION = 1
_ENCODER = json.JSONEncoder(separators=(", ", ": "))


@dataclass
class ResourceState:
    """One managed object (or experiment version) as last applied.

    `attributes` are the normalised attributes the plan compares against (ids, not names);
    `depends_on` lists the addresses this object references (the reference graph's edges);
    `extra` holds type-specific bookkeeping (e.g. a version's status, a snapshot's members).
    """

    address: str
    type: str
    remote_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    sha256: str | None = None
    depends_on: list[str] = field(default_factory=list)
    prevent_destroy: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "remote_id": self.remote_id,
            "attributes": self.attributes,
            "sha256": self.sha256,
            "depends_on": sorted(self.depends_on),
            "prevent_destroy": self.prevent_destroy,
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, address: str, data: dict[str, Any]) -> ResourceState:
        return cls(
            address=address,
            type=data["type"],
            remote_id=data.get("remote_id"),
            attributes=dict(data.get("attributes") or {}),
            sha256=data.get("sha256"),
            depends_on=list(data.get("depends_on") or []),
            prevent_destroy=bool(data.get("prevent_destroy", False)),
            extra=dict(data.get("extra") or {}),
        )


@dataclass
class State:
    """The whole state document. Mutable: the engine works on a copy and persists it."""

    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    endpoint: str | None = None
    resources: dict[str, ResourceState] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # Remote ids `state rm` forgot: they carry our marker, but are never adopted back by it.
    forgotten: list[str] = field(default_factory=list)
    # Objects of each kind ("file", "vector_store", "assistant") the account held when a refresh
    # last listed them: the next refresh picks listing or one GET per object from it.
    account_sizes: dict[str, int] = field(default_factory=dict)
    # The environment (`--env`) this state belongs to; None: the default state, as before environments.
    environment: str | None = None

    def copy(self, attributes: Mapping[str, dict[str, Any]] | None = None) -> State:
        """A deep copy. The entries' nested data is plain JSON, copied in one pass by `marshal`:
        several times faster than `copy.deepcopy`, which a plan of 10,000 resources spent a
        fifth of its time in. `attributes`: new attributes for some entries (e.g. refreshed
        ones), taken as they are instead of copies of the old."""
        fresh = attributes or {}
        entries = list(self.resources.values())
        nested = marshal.loads(
            marshal.dumps([(None if rs.address in fresh else rs.attributes, rs.extra) for rs in entries])
        )
        resources = {
            rs.address: dataclasses.replace(
                rs, attributes=fresh.get(rs.address, attrs), extra=extra, depends_on=list(rs.depends_on)
            )
            for rs, (attrs, extra) in zip(entries, nested, strict=True)
        }
        return dataclasses.replace(
            self, resources=resources, forgotten=list(self.forgotten), account_sizes=dict(self.account_sizes)
        )

    def get(self, address: str) -> ResourceState | None:
        return self.resources.get(address)

    def put(self, rs: ResourceState) -> None:
        self.resources[rs.address] = rs

    def remove(self, address: str) -> None:
        self.resources.pop(address, None)

    def meta(self) -> dict[str, Any]:
        """The top-level fields: everything but the resources and the serial."""
        return {
            "format_version": self.format_version,
            "lineage": self.lineage,
            "endpoint": self.endpoint,
            **({"environment": self.environment} if self.environment is not None else {}),
            **({"forgotten": sorted(set(self.forgotten))} if self.forgotten else {}),
            **({"account_sizes": dict(sorted(self.account_sizes.items()))} if self.account_sizes else {}),
        }

    def set_meta(self, meta: dict[str, Any]) -> None:
        """Take the top-level fields from `meta()` as stored (the lineage never changes)."""
        self.endpoint = meta.get("endpoint")
        self.environment = None if meta.get("environment") is None else str(meta["environment"])
        self.forgotten = [str(i) for i in meta.get("forgotten") or []]
        self.account_sizes = _sizes(meta.get("account_sizes"))

    def content(self) -> dict[str, Any]:
        """Everything but the serial: two states with equal content need no new serial."""
        doc = self.meta()
        doc["resources"] = {a: self.resources[a].to_json() for a in sorted(self.resources)}
        return doc

    def to_json(self) -> dict[str, Any]:
        doc = self.content()
        doc["serial"] = self.serial
        keys = (
            "format_version",
            "lineage",
            "serial",
            "endpoint",
            "environment",
            "resources",
            "forgotten",
            "account_sizes",
        )
        return {k: doc[k] for k in keys if k in doc}

    def dumps(self) -> str:
        """The document as written: one line per top-level key and per resource (readable, and a
        change to one resource is a one-line diff). Each line is encoded by the C JSON encoder,
        several times faster than `indent=` (which is pure Python): state is written after every
        step of an apply, so this is what a write costs."""
        doc = self.to_json()
        resources = doc.pop("resources")
        enc = _ENCODER.encode
        lines = [f"  {enc(k)}: {enc(v)}," for k, v in doc.items()]
        if resources:
            body = ",\n".join(f"    {enc(a)}: {enc(r)}" for a, r in resources.items())
            lines.append(f'  "resources": {{\n{body}\n  }}')
        else:
            lines.append('  "resources": {}')
        return redact_stored("{\n" + "\n".join(lines) + "\n}\n")

    @classmethod
    def from_json(cls, data: Any, source: str = "state") -> State:
        if not isinstance(data, dict):
            raise StateError(f"{source}: not a state document (expected a JSON object)")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise StateError(f"{source}: not an assistplan state (missing or invalid format_version)")
        if version > FORMAT_VERSION:
            raise StateError(
                f"{source}: written by a newer assistplan (format_version {version}, "
                f"this one reads up to {FORMAT_VERSION}); upgrade assistplan"
            )
        try:
            resources = {
                addr: ResourceState.from_json(addr, rs) for addr, rs in (data.get("resources") or {}).items()
            }
            return cls(
                lineage=str(data["lineage"]),
                serial=int(data["serial"]),
                endpoint=data.get("endpoint"),
                resources=resources,
                format_version=FORMAT_VERSION,
                forgotten=[str(i) for i in data.get("forgotten") or []],
                account_sizes=_sizes(data.get("account_sizes")),
                environment=None if data.get("environment") is None else str(data["environment"]),
            )
        except KeyError as exc:
            raise StateError(f"{source}: corrupt state document (missing field {exc})") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"{source}: corrupt state document ({exc})") from exc

    @classmethod
    def loads(cls, text: str, source: str = "state") -> State:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateError(f"{source}: corrupt state file (not JSON: {exc.msg})") from exc
        return cls.from_json(data, source)


def _sizes(data: Any) -> dict[str, int]:
    """`account_sizes` as stored; anything malformed is dropped (it is only a hint)."""
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 0}

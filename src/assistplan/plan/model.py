"""The frozen plan: what will change and why, plus what apply needs to carry it out.

`to_json()` is the public shape of `plan --json` (DESIGN.md section 6); `to_file()` adds the
refreshed prior state and the bookkeeping a saved plan needs to be applied later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NO_OP = ("no-op",)
CREATE = ("create",)
UPDATE = ("update",)
DELETE = ("delete",)
ARCHIVE = ("archive",)
REPLACE_CBD = ("create", "delete")  # create the new one, repoint consumers, delete the old one
REPLACE_DBC = ("delete", "create")

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Consumer:
    address: str
    version: str
    status: str

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "version": self.version, "status": self.status}


@dataclass(frozen=True)
class Blocked:
    """A destroy refused because live consumers still use the object (the guard)."""

    address: str
    experiments: tuple[Consumer, ...] = ()
    pipelines: tuple[Consumer, ...] = ()
    experiments_referencing_pipeline: tuple[Consumer, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "consumers": {
                "experiments": [c.to_json() for c in self.experiments],
                "pipelines": [c.to_json() for c in self.pipelines],
                "experiments_referencing_pipeline": [
                    c.to_json() for c in self.experiments_referencing_pipeline
                ],
            },
        }


@dataclass(frozen=True)
class ResourceChange:
    """One planned change. `action_reason` is for people; apply never branches on it.

    `before`/`after` are attributes in address space (references shown as addresses);
    `depends_on` are the addresses `after` references, `prior_depends_on` those `before` did.
    """

    address: str
    type: str
    name: str
    actions: tuple[str, ...]
    remote_id: str | None = None
    action_reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changed_paths: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    prior_depends_on: tuple[str, ...] = ()
    adopt_id: str | None = None  # a remote object an interrupted apply created: take it over
    deposed: str | None = None  # this change is about an older object of the address (replaced, kept)
    retain_old: bool = False  # a replace that keeps the old object: a live snapshot still uses it

    @property
    def key(self) -> str:
        """Unique within a plan: the address, or the address and the deposed object's id."""
        return f"{self.address}#{self.deposed}" if self.deposed else self.address

    @property
    def is_noop(self) -> bool:
        return self.actions == NO_OP and self.adopt_id is None

    @property
    def refused(self) -> bool:
        """A destroy the guard refused: listed for the record, never carried out or counted."""
        return self.action_reason == "refused_because_live_consumers"

    @property
    def retained(self) -> bool:
        return (self.action_reason or "").startswith("retained_because_in_use")

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.type,
            "name": self.name,
            "remote_id": self.remote_id,
            "actions": list(self.actions),
            "action_reason": self.action_reason,
            "before": self.before,
            "after": self.after,
            "changed_paths": list(self.changed_paths),
            **({"deposed": self.deposed} if self.deposed else {}),
        }

    def to_file(self) -> dict[str, Any]:
        return {
            **self.to_json(),
            "depends_on": list(self.depends_on),
            "prior_depends_on": list(self.prior_depends_on),
            "adopt_id": self.adopt_id,
            "retain_old": self.retain_old,
        }

    @classmethod
    def from_file(cls, d: dict[str, Any]) -> ResourceChange:
        return cls(
            address=d["address"],
            type=d["type"],
            name=d["name"],
            actions=tuple(d["actions"]),
            remote_id=d.get("remote_id"),
            action_reason=d.get("action_reason"),
            before=d.get("before"),
            after=d.get("after"),
            changed_paths=tuple(d.get("changed_paths") or ()),
            depends_on=tuple(d.get("depends_on") or ()),
            prior_depends_on=tuple(d.get("prior_depends_on") or ()),
            adopt_id=d.get("adopt_id"),
            deposed=d.get("deposed"),
            retain_old=bool(d.get("retain_old")),
        )


def summarize(changes: tuple[ResourceChange, ...]) -> dict[str, int]:
    out = {"create": 0, "update": 0, "replace": 0, "delete": 0, "archive": 0, "no-op": 0}
    for c in changes:
        if c.refused:
            continue
        if c.actions in (REPLACE_CBD, REPLACE_DBC):
            out["replace"] += 1
        elif c.actions == NO_OP:
            out["no-op"] += 1
        else:
            out[c.actions[0]] += 1
    return out


@dataclass(frozen=True)
class Plan:
    """A frozen plan. `prior_exists` False means it was made on empty state."""

    lineage: str
    serial: int
    prior_exists: bool
    endpoint: str
    config_digest: str
    changes: tuple[ResourceChange, ...] = ()
    drift: tuple[ResourceChange, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    errors: tuple[str, ...] = ()
    refresh_only: bool = False
    prior_state: dict[str, Any] = field(default_factory=dict)  # refreshed state document (JSON)
    format_version: int = PLAN_FORMAT_VERSION

    @property
    def errored(self) -> bool:
        return bool(self.errors or self.blocked)

    @property
    def has_changes(self) -> bool:
        if self.refresh_only:
            return bool(self.drift)
        return any(not c.is_noop for c in self.changes)

    @property
    def applyable(self) -> bool:
        return not self.errored and (self.has_changes or bool(self.drift))

    def summary(self) -> dict[str, int]:
        return summarize(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": str(self.format_version),
            "lineage": self.lineage,
            "serial": self.serial,
            "applyable": self.applyable,
            "errored": self.errored,
            "resource_changes": [c.to_json() for c in self.changes],
            "resource_drift": [c.to_json() for c in self.drift],
            "blocked": [b.to_json() for b in self.blocked],
            "summary": self.summary(),
            **({"errors": list(self.errors)} if self.errors else {}),
        }

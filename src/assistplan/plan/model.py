"""The frozen plan: what will change and why, plus what apply needs to carry it out.

`to_json()` is the public shape of `plan --json` (DESIGN.md section 6); `to_file()` adds the
refreshed prior state and the bookkeeping a saved plan needs to be applied later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistplan.addrs import frozen
from assistplan.plan.reasons import (
    OLD_VERSION_DELETED,
    Reason,
    deposed_old,
    kept_old,
    removed,
    target_change_notes,
    words,
)
from assistplan.targets import TARGETS

NO_OP = ("no-op",)
CREATE = ("create",)
UPDATE = ("update",)
LIFECYCLE = "lifecycle.prevent_destroy"  # a changed path that only state holds (no API call)
DELETE = ("delete",)
ARCHIVE = ("archive",)
REPLACE_CBD = ("create", "delete")  # create the new one, repoint consumers, delete the old one

# What a target change does with the old object: keep it (deposed) until the next apply, so
# applications can switch; forget it (nothing remote to delete: a definition); forget it
# because its endpoint no longer serves it (the Assistants API sunset). A replace on a target
# whose new realisation keeps the old one's id (Foundry's named agents) deletes only the old
# version (`remote_id` is that version's id).
OLD_DEPOSED, OLD_FORGOTTEN, OLD_RETIRED, OLD_VERSION = "deposed", "forgotten", "retired", "version"

PLAN_FORMAT_VERSION = 3  # saved plan files (2: typed reasons; 3: `forget` says what apply does)
JSON_FORMAT_VERSION = "1"  # `plan --json`


@dataclass(frozen=True)
class Consumer:
    address: str
    version: str
    status: str
    at: str | None = field(default=None, compare=False)  # FILE:LINE:COL of the config's reference

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
    """One planned change. `reason` (with `replaced`/`kept_for`) says why, for people; what
    apply does is in the typed fields (`actions`, `forget`, `deposed`, `adopt_id`, ...), never
    in the reason.

    `before`/`after` are attributes in address space (references shown as addresses);
    `depends_on` are the addresses `after` references, `prior_depends_on` those `before` did.
    """

    address: str
    type: str
    name: str
    actions: tuple[str, ...]
    remote_id: str | None = None
    reason: Reason | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    changed_paths: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    prior_depends_on: tuple[str, ...] = ()
    adopt_id: str | None = None  # a remote object an interrupted apply created: take it over
    deposed: str | None = None  # this change is about an older object of the address (replaced, kept)
    replaced: tuple[str, ...] = ()  # a repoint: the replaced (or re-created) addresses it follows
    kept_for: tuple[str, ...] = ()  # the live snapshots that keep this object (or, on a replace, the old one)
    # Applied definitions (targets without a remote object) that name this file or vector store:
    # applications hold copies of them, so it stays, deposed, until the next apply.
    named_by: tuple[str, ...] = ()
    # An assistant: the target realising `after` (provider.target); on a target change, the one
    # that realised `before`, and what becomes of the old object (`OLD_*`).
    target: str | None = None
    old_target: str | None = None
    old_object: str | None = None
    removed_by: tuple[str, ...] = ()  # `--env`: the overlay's `null`s this change carries out (FILE:LINE ...)
    # A delete that only drops the entry from state, never calling the API (an object referenced
    # by id, one on an endpoint that no longer serves it, a record that lives in state only).
    forget: bool = False

    @property
    def key(self) -> str:
        """Unique within a plan: the address, or the address and the deposed object's id."""
        return f"{self.address}#{self.deposed}" if self.deposed else self.address

    @property
    def label(self) -> str:
        """The block's head as the address spells it: `assistant "hr-bot@pilot.v1"`,
        `experiment "pilot@v2"` (a version is `experiment.E@vN`, whatever its state type)."""
        kind, _, rest = self.address.partition(".")
        return f'{kind} "{rest}"'

    @property
    def is_noop(self) -> bool:
        return self.actions == NO_OP and self.adopt_id is None

    @property
    def refused(self) -> bool:
        """A destroy the guard refused: listed for the record, never carried out or counted."""
        return self.reason is Reason.REFUSED_LIVE_CONSUMERS

    @property
    def retained(self) -> bool:
        """An object left the config but stays: a live snapshot (`kept_for`) still uses it, or an
        applied definition named it (`named_by`, one more apply)."""
        return self.reason in (Reason.RETAINED_IN_USE, Reason.DEPOSED_NAMED_BY_DEFINITION)

    @property
    def retain_old(self) -> bool:
        """A replace that keeps the old object (deposed): a live snapshot (`kept_for`) still uses
        it, an applied definition names it, or applications are switching targets."""
        return "create" in self.actions and bool(
            self.kept_for or self.named_by or self.old_object == OLD_DEPOSED
        )

    @property
    def no_api_call(self) -> bool:
        """A change to a realisation that is no remote object (a Responses definition): planned
        and applied into state only."""
        return self.target is not None and not TARGETS[self.target].remote and not self.is_noop

    @property
    def new_version(self) -> bool:
        """An update that a versioned target (Foundry's agents) carries out as a new version."""
        return (
            self.target is not None
            and TARGETS[self.target].versioned
            and self.actions == UPDATE
            and self.changed_paths != (LIFECYCLE,)
        )

    @property
    def drops_record(self) -> bool:
        """Only a record goes: a create an interrupted apply began and recorded no object for.
        What that create made, if anything, is a change of its own (DELETE_LEFTOVER)."""
        return self.reason is Reason.DELETE_INTERRUPTED_CREATE and self.forget and self.remote_id is None

    @property
    def forget_old(self) -> bool:
        """A replace whose old object is only forgotten: apply neither deletes nor keeps it."""
        return self.old_object in (OLD_FORGOTTEN, OLD_RETIRED)

    @property
    def action_reason(self) -> str | None:
        """The reason as `plan --json` shows it: the code, then the addresses it names."""
        if self.reason is None:
            return None
        text = str(self.reason)
        if self.old_target is not None:
            text += f": {self.old_target} -> {self.target}"
        named = self.replaced or (self.kept_for or self.named_by if self.retained else ())
        if named:
            text += ": " + ", ".join(named)
        if self.kept_for and self.retain_old:
            text += "; " + kept_old(list(self.kept_for))
        elif self.named_by and "create" in self.actions:
            text += "; " + deposed_old(list(self.named_by))
        if self.removed_by:
            text += "; " + removed(self.removed_by)
        return text

    def describe(self, code: Callable[[str], str] = str) -> str:
        """The reason in words (the one table in plan/reasons.py); `code` marks up names."""
        text = words(
            self.reason,
            code=code,
            addresses=self.replaced or self.kept_for or self.named_by,
            paths=self.changed_paths,
            object_id=self.deposed or self.remote_id,
            kept_for=self.kept_for,
            targets=(self.old_target, self.target) if self.old_target else None,
            removed_by=self.removed_by,
        )
        if self.named_by and "create" in self.actions:
            text = "; ".join(x for x in (text, deposed_old(list(self.named_by), code)) if x)
        if self.old_target is not None:
            notes = target_change_notes(self.address, self.remote_id, self.old_object, code)
            text = "; ".join([text, *notes])
        elif self.old_object == OLD_VERSION:
            text = "; ".join([text, OLD_VERSION_DELETED.format(object=code(self.remote_id or ""))])
        return text

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
            "reason": self.reason.value if self.reason else None,
            "replaced": list(self.replaced),
            "kept_for": list(self.kept_for),
            "named_by": list(self.named_by),
            "target": self.target,
            "old_target": self.old_target,
            "old_object": self.old_object,
            "removed_by": list(self.removed_by),
            "forget": self.forget,
        }

    @classmethod
    def from_file(cls, d: dict[str, Any]) -> ResourceChange:
        return cls(
            address=d["address"],
            type=d["type"],
            name=d["name"],
            actions=tuple(d["actions"]),
            remote_id=d.get("remote_id"),
            reason=Reason(d["reason"]) if d.get("reason") is not None else None,
            before=d.get("before"),
            after=d.get("after"),
            changed_paths=tuple(d.get("changed_paths") or ()),
            depends_on=tuple(d.get("depends_on") or ()),
            prior_depends_on=tuple(d.get("prior_depends_on") or ()),
            adopt_id=d.get("adopt_id"),
            deposed=d.get("deposed"),
            replaced=tuple(d.get("replaced") or ()),
            kept_for=tuple(d.get("kept_for") or ()),
            named_by=tuple(d.get("named_by") or ()),
            target=d.get("target"),
            old_target=d.get("old_target"),
            old_object=d.get("old_object"),
            removed_by=tuple(d.get("removed_by") or ()),
            forget=bool(d.get("forget")),
        )


def summarize(changes: tuple[ResourceChange, ...]) -> dict[str, int]:
    out = {"create": 0, "update": 0, "replace": 0, "delete": 0, "archive": 0, "no-op": 0}
    for c in changes:
        if c.refused or c.drops_record:  # the object a dropped record stood for is counted on its own
            continue
        if c.actions == REPLACE_CBD:
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
    environment: str | None = None  # `--env`: the environment whose state and overlay it was made with
    warnings: tuple[str, ...] = ()  # for the reviewer; they do not stop an apply

    @property
    def errored(self) -> bool:
        return bool(self.errors or self.blocked)

    @property
    def has_changes(self) -> bool:
        if self.refresh_only:
            return any(not frozen(d.address) for d in self.drift)
        return any(not c.is_noop for c in self.changes)

    @property
    def applyable(self) -> bool:
        return not self.errored and (self.has_changes or bool(self.drift))

    def summary(self) -> dict[str, int]:
        return summarize(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": JSON_FORMAT_VERSION,
            **({"environment": self.environment} if self.environment is not None else {}),
            "lineage": self.lineage,
            "serial": self.serial,
            "applyable": self.applyable,
            "errored": self.errored,
            "resource_changes": [c.to_json() for c in self.changes],
            "resource_drift": [c.to_json() for c in self.drift],
            "blocked": [b.to_json() for b in self.blocked],
            "summary": self.summary(),
            **({"errors": list(self.errors)} if self.errors else {}),
            **({"warnings": list(self.warnings)} if self.warnings else {}),
        }

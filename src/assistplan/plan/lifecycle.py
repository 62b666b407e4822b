"""`status` of what lives only in state: experiments (with their versions) and pipelines.

DESIGN.md section 6: each appears as `{address, status, versions: [{version, status}]}` with
statuses of its own, as state records them (what `output` gives applications):

- an experiment is `published` when one of its versions is, `released` when it has released
  versions but none published, else `working` (it runs on the working assistant or pipeline);
  each version is `published`, `released` or `archived`;
- a pipeline is `working`; its versions are the released experiment versions that froze it
  (each naming its `experiment`).

`pending` (and the note) say what the next apply would change here: a release, a publish, an
archive, or an entry the config added, changed or dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assistplan.addrs import Address
from assistplan.plan.desired import Desired
from assistplan.plan.releases import ARCHIVED, PUBLISHED, RELEASED
from assistplan.state.model import State

WORKING = "working"


@dataclass(frozen=True)
class VersionStatus:
    version: int
    status: str  # published | released | archived
    experiment: str | None = None  # a pipeline's version: the experiment that froze it

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "status": self.status}
        if self.experiment:
            out["experiment"] = self.experiment
        return out

    def __str__(self) -> str:
        where = f"{self.experiment} " if self.experiment else ""
        return f"{where}v{self.version} {self.status}"


@dataclass(frozen=True)
class LifecycleStatus:
    address: str
    type: str  # experiment | pipeline
    status: str  # working | published | released
    versions: tuple[VersionStatus, ...] = ()
    note: str | None = None
    pending: bool = False  # the next apply changes something here

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.type,
            "status": self.status,
            "versions": [v.to_json() for v in self.versions],
            "note": self.note,
        }


def lifecycle(state: State, desired: dict[str, Desired]) -> tuple[LifecycleStatus, ...]:
    """Every experiment and pipeline the config declares or state holds, config order first."""
    out = []
    for kind in ("experiment", "pipeline"):
        addresses = [a for a, d in desired.items() if d.type == kind]
        addresses += sorted(a for a, rs in state.resources.items() if rs.type == kind and a not in desired)
        judge = _experiment if kind == "experiment" else _pipeline
        out += [judge(a, state, desired) for a in addresses]
    return tuple(out)


def _versions(nodes: Iterable[tuple[str, str, dict[str, Any]]], experiment: str) -> dict[int, str]:
    """Version number -> status of `experiment`'s versions among (address, type, attributes)."""
    return {
        int(attrs["version"]): str(attrs["status"])
        for addr, kind, attrs in nodes
        if kind == "experiment_version" and addr.startswith(f"{experiment}@v")
    }


def _experiment(addr: str, state: State, desired: dict[str, Desired]) -> LifecycleStatus:
    applied = _versions(((a, rs.type, rs.attributes) for a, rs in state.resources.items()), addr)
    wanted = _versions(((a, d.type, d.attrs) for a, d in desired.items()), addr) if addr in desired else {}
    statuses = set(applied.values())
    status = PUBLISHED if PUBLISHED in statuses else RELEASED if RELEASED in statuses else WORKING
    versions = tuple(VersionStatus(v, applied[v]) for v in sorted(applied))
    todo = []
    if addr not in desired:
        todo.append("no longer in the configuration: apply archives its versions")
    elif state.get(addr) is None:
        todo.append("not applied yet: apply records it")
    for v in sorted(wanted):
        now, then = applied.get(v), wanted[v]
        if now is None:
            todo.append(f"apply releases{' and publishes' if then == PUBLISHED else ''} v{v}")
        elif now != then and then in (PUBLISHED, ARCHIVED):
            todo.append(f"apply {'publishes' if then == PUBLISHED else 'archives'} v{v}")
    if addr in desired:
        todo += [
            f"apply archives v{v}" for v in sorted(applied) if v not in wanted and applied[v] != ARCHIVED
        ]
    rs, d = state.get(addr), desired.get(addr)
    if not todo and rs is not None and d is not None and rs.attributes != d.attrs:
        todo.append("the configuration changed since the last apply: apply records it")
    return LifecycleStatus(addr, "experiment", status, versions, "; ".join(todo) or None, bool(todo))


def _pipeline(addr: str, state: State, desired: dict[str, Desired]) -> LifecycleStatus:
    versions = []
    for vaddr, version in sorted(state.resources.items()):
        attrs = version.attributes
        if version.type == "experiment_version" and attrs.get("pipeline") == addr:
            exp = f"experiment.{Address.parse(vaddr).name}"
            versions.append(VersionStatus(int(attrs["version"]), str(attrs["status"]), exp))
    rs, d = state.get(addr), desired.get(addr)
    note = None
    if d is None:
        note = "no longer in the configuration: apply removes it"
    elif rs is None:
        note = "not applied yet: apply records it"
    elif rs.attributes != d.attrs:
        note = "the configuration changed since the last apply: apply records it"
    return LifecycleStatus(addr, "pipeline", WORKING, tuple(versions), note, note is not None)

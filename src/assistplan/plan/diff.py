"""The diff: desired vs refreshed prior state -> the changes, in reference order, then the
deletes and archives of what left the config. Pure: reads nothing, writes nothing."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from assistplan.addrs import REMOTE_KINDS, Address
from assistplan.config.model import DEFAULT_TARGET, Config
from assistplan.errors import PlanError
from assistplan.graph import DAG, CycleError
from assistplan.plan.desired import Desired
from assistplan.plan.intents import PENDING
from assistplan.plan.model import (
    ARCHIVE,
    CREATE,
    DELETE,
    LIFECYCLE,
    NO_OP,
    OLD_DEPOSED,
    OLD_FORGOTTEN,
    OLD_RETIRED,
    OLD_VERSION,
    REPLACE_CBD,
    UPDATE,
    ResourceChange,
)
from assistplan.plan.reasons import Reason
from assistplan.plan.refresh import Actual, Refreshed
from assistplan.plan.releases import ARCHIVED
from assistplan.remote import normalize as norm
from assistplan.state.model import ResourceState, State
from assistplan.targets import TARGETS, recorded_target

STATE_ONLY = ("pipeline", "experiment", "experiment_version")


REPLACE_FIELDS = {
    "file": {"sha256", "filename", "purpose", "bytes"},
    "vector_store": set(norm.VECTOR_STORE_CREATE_ONLY),
    "assistant": set(),
}


def changed_paths(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two attribute trees differ (dicts recurse; lists compare whole)."""
    if before == after:  # the common case, compared in C: most objects of a plan are unchanged
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            if before.get(key) != after.get(key):
                out.extend(changed_paths(before.get(key), after.get(key), f"{prefix}{key}."))
        return out
    return [prefix.rstrip(".")] if before != after else []


def resource_change(d: Desired | ResourceState, actions: tuple[str, ...], **kw: Any) -> ResourceChange:
    name = d.name if isinstance(d, Desired) else Address.parse(d.address).name
    return ResourceChange(address=d.address, type=d.type, name=name, actions=actions, **kw)


def _diff_one(
    d: Desired,
    prior: State,
    refreshed: Refreshed,
    recreated: set[str],
    replace: set[str],
    target: str,
    config: Config | None = None,
) -> ResourceChange | None:
    rs = prior.get(d.address)
    deps = d.refs
    # An assistant's change names the target realising it (set here: replacing it later costs more).
    change = functools.partial(resource_change, target=target) if d.type == "assistant" else resource_change
    if d.type in STATE_ONLY:
        if rs is None:
            return change(d, CREATE, after=d.attrs, depends_on=deps)
        state_paths = tuple(changed_paths(rs.attributes, d.attrs))
        return change(
            d,
            UPDATE if state_paths else NO_OP,
            reason=Reason.CONFIGURATION_CHANGED if state_paths else None,
            before=rs.attributes,
            after=d.attrs,
            changed_paths=state_paths,
            depends_on=deps,
            prior_depends_on=tuple(rs.depends_on),
        )
    # A file declared by id is read whether state holds it yet or not (then it is recorded).
    act = refreshed.actual.get(d.address) if rs is not None or d.external else None
    if d.external:
        if act is None:
            return None  # reported as an error by the caller
        if rs is not None and rs.remote_id == d.attrs["id"]:
            return change(d, NO_OP, remote_id=act.remote_id, before=act.attrs, after=d.attrs)
        return change(
            d,
            NO_OP,
            remote_id=act.remote_id,
            after=d.attrs,
            adopt_id=act.remote_id,
            reason=Reason.TRACK_EXISTING_FILE,
        )
    adopted = refreshed.adoptable.get(d.address)
    if (
        adopted is not None
        and d.address not in replace
        and (act is None or adopted.remote_id != act.remote_id)
    ):
        # What an interrupted apply created: take it over (a replaced predecessor stays deposed).
        adopt_paths = tuple(changed_paths(adopted.attrs, d.attrs))
        return change(
            d,
            UPDATE if adopt_paths else NO_OP,
            remote_id=adopted.remote_id,
            before=adopted.attrs,
            after=d.attrs,
            changed_paths=adopt_paths,
            depends_on=deps,
            adopt_id=adopted.remote_id,
            reason=Reason.ADOPT_INTERRUPTED,
            prior_depends_on=tuple(rs.depends_on) if rs else (),
        )
    if d.type == "assistant" and rs is not None and rs.remote_id and recorded_target(rs) != target:
        if act is not None or d.address in refreshed.retired:
            return _target_changed(d, rs, act, refreshed, target)
    if act is None:
        reason = Reason.RECREATE_DELETED if d.address in refreshed.missing else None
        return change(d, CREATE, after=d.attrs, depends_on=deps, reason=reason)
    paths = changed_paths(act.attrs, d.attrs)
    # A snapshot is frozen: it follows only its own snapshot vector store, never a working file.
    snapshot = "@" in d.address
    repointed = sorted(r for r in d.refs if r in recreated and (not snapshot or "@" in r))
    common = dict(
        remote_id=act.remote_id,
        before=act.attrs,
        after=d.attrs,
        depends_on=deps,
        prior_depends_on=tuple(rs.depends_on) if rs else (),
    )
    if d.address in replace:
        return change(d, REPLACE_CBD, reason=Reason.REPLACE_BY_REQUEST, changed_paths=tuple(paths), **common)
    if (
        d.type == "assistant"
        and rs is not None
        and config is not None
        and TARGETS[target].renamed(config, rs)
    ):
        return change(d, REPLACE_CBD, reason=Reason.REPLACE_RENAMED, changed_paths=tuple(paths), **common)
    if {p.split(".", 1)[0] for p in paths} & REPLACE_FIELDS[d.type]:
        reason = Reason.REPLACE_CONTENT_CHANGED if d.type == "file" else Reason.REPLACE_CANNOT_UPDATE
        return change(d, REPLACE_CBD, reason=reason, changed_paths=tuple(paths), **common)
    if repointed:
        paths = sorted({*paths, *(_ref_path(d, r) for r in repointed)})
        return change(
            d,
            UPDATE,
            reason=Reason.REPOINT_REPLACED,
            replaced=tuple(repointed),
            changed_paths=tuple(paths),
            **common,
        )
    if rs is not None and rs.prevent_destroy != d.prevent_destroy:
        paths = [*paths, LIFECYCLE]  # kept in state, so changing it is a change to apply
    if paths:
        reason = Reason.REVERT_DRIFT if rs and act.attrs != rs.attributes else Reason.CONFIGURATION_CHANGED
        if reason is Reason.CONFIGURATION_CHANGED and d.type == "assistant" and TARGETS[target].versioned:
            reason = Reason.NEW_VERSION if paths != [LIFECYCLE] else reason
        return change(d, UPDATE, changed_paths=tuple(paths), reason=reason, **common)
    return change(d, NO_OP, **common)


def _target_changed(
    d: Desired, rs: ResourceState, act: Actual | None, refreshed: Refreshed, target: str
) -> ResourceChange:
    """An assistant realised through another target than the config's: realised anew (a
    snapshot from its frozen attributes), consumers repointed; the old object is deposed until
    the next apply, or forgotten where nothing remote is left to delete."""
    old = recorded_target(rs)
    before = act.attrs if act is not None else rs.attributes
    if d.address in refreshed.retired:
        fate = OLD_RETIRED
    else:
        fate = OLD_DEPOSED if TARGETS[old].remote else OLD_FORGOTTEN
    return resource_change(
        d,
        REPLACE_CBD,
        remote_id=rs.remote_id,
        before=before,
        after=d.attrs,
        changed_paths=tuple(changed_paths(before, d.attrs)),
        depends_on=d.refs,
        prior_depends_on=tuple(rs.depends_on),
        reason=Reason.TARGET_CHANGED,
        target=target,
        old_target=old,
        old_object=fate,
    )


def _old_object(ch: ResourceChange, rs: ResourceState, target: str, config: Config) -> ResourceChange:
    """What a replace of an assistant deletes is the target's to say: on Foundry, whose agents
    are named, only the old version when the name stays (never the agent the new one lives in)."""
    if ch.old_target is not None:  # a target change: the old object is the other target's
        return ch
    old = TARGETS[target].replaced(config, rs)
    if old == ch.remote_id:
        return ch
    if old is None:
        return dataclasses.replace(ch, old_object=OLD_FORGOTTEN)
    return dataclasses.replace(ch, remote_id=old, old_object=OLD_VERSION)


def _ref_path(d: Desired, ref: str) -> str:
    if d.type == "vector_store":
        return "file_ids"
    kind = "code_interpreter" if ref.startswith("file.") else "file_search"
    return f"tool_resources.{kind}"


def diff(
    desired: dict[str, Desired],
    prior: State,
    refreshed: Refreshed,
    replace: set[str],
    protected: frozenset[str] | set[str] = frozenset(),
    target: str = DEFAULT_TARGET,
    config: Config | None = None,
) -> list[ResourceChange]:
    """Desired vs refreshed prior state, in reference order, then deletes and archives.

    Reference order, not declaration order: a consumer is diffed after everything it uses, so it
    knows which of them get a new object and must be repointed (release snapshots come from state
    in address order, a snapshot assistant before its store). Nothing in `protected` (held by
    live consumers, see guard) is destroyed. `target` realises the desired assistants
    (provider.target); `config` holds its settings (the names it gives).
    """
    changes: list[ResourceChange] = []
    recreated: set[str] = set()
    for addr in reference_order(desired):
        d = desired[addr]
        ch = _diff_one(d, prior, refreshed, recreated, replace, target, config)
        if ch is None:
            continue
        if ch.type == "assistant" and ch.target is None:
            ch = dataclasses.replace(ch, target=target)
        rs = prior.get(d.address)
        if ch.type == "assistant" and ch.actions == REPLACE_CBD and rs is not None and config is not None:
            ch = _old_object(ch, rs, target, config)
        if "create" in ch.actions or (
            ch.adopt_id and rs is not None and rs.remote_id not in (None, ch.adopt_id)
        ):
            recreated.add(d.address)  # consumers must be pointed at the new object
        changes.append(ch)
    for addr, rs in prior.resources.items():
        if addr in desired or addr in protected:
            continue
        if rs.type == "experiment_version":
            changes.extend(_archive(rs, desired))
            continue
        if rs.type in STATE_ONLY:
            changes.append(
                resource_change(
                    rs,
                    DELETE,
                    before=rs.attributes,
                    reason=Reason.DELETE_NOT_IN_CONFIG,
                    prior_depends_on=tuple(rs.depends_on),
                    forget=True,  # a record in state only
                )
            )
            continue
        if rs.type in REMOTE_KINDS:
            external = "id" in rs.attributes
            reason = Reason.FORGET_NOT_MANAGED if external else Reason.DELETE_NOT_IN_CONFIG
            if "@" in addr:
                reason = Reason.DELETE_VERSION_ARCHIVED
            retired = addr in refreshed.retired
            if retired:
                reason = Reason.FORGET_RETIRED
            if rs.remote_id is None and PENDING in rs.extra:
                reason = Reason.DELETE_INTERRUPTED_CREATE
            # a snapshot deleted outside stays in state (frozen) until it goes: forgotten
            remote_id = None if addr in refreshed.missing else rs.remote_id
            changes.append(
                resource_change(
                    rs,
                    DELETE,
                    remote_id=remote_id,
                    before=rs.attributes,
                    reason=reason,
                    prior_depends_on=tuple(rs.depends_on),
                    target=recorded_target(rs) if rs.type == "assistant" else None,
                    # Referenced by id (not ours), or nothing left to delete: only forgotten (but
                    # a file's interrupted upload is settled first, by its upload id).
                    forget=external or retired or (remote_id is None and rs.type != "file"),
                )
            )
    for addr, ids in refreshed.leftovers.items():
        kind = desired[addr].type if addr in desired else prior.resources[addr].type
        for rid in ids:
            changes.append(
                ResourceChange(
                    address=addr,
                    type=kind,
                    name=Address.parse(addr).name,
                    actions=DELETE,
                    remote_id=rid,
                    deposed=rid,  # an object of the address that is not (and never becomes) its own
                    reason=Reason.DELETE_LEFTOVER,
                    target=target if kind == "assistant" else None,
                )
            )
    return changes


def reference_order(desired: dict[str, Desired]) -> list[str]:
    """Every desired address after the addresses it references (ties keep declaration order)."""
    dag: DAG[str] = DAG()
    for addr in desired:
        dag.add(addr)
    for addr, d in desired.items():
        dag.add(addr, [r for r in d.refs if r in desired])
    try:
        return dag.topo_order()
    except CycleError as exc:
        raise PlanError(f"the references form a cycle: {' -> '.join(map(str, exc.path))}") from None


def _archive(rs: ResourceState, desired: dict[str, Desired]) -> list[ResourceChange]:
    """A version that leaves the live set. Its experiment gone, it is forgotten once archived
    (so the same config can be applied again later); otherwise it stays as an archived record."""
    v = Address.parse(rs.address)
    exp = desired.get(f"experiment.{v.name}")
    archived = rs.attributes.get("status") == ARCHIVED
    if exp is None:
        if archived:
            return [
                resource_change(
                    rs, DELETE, before=rs.attributes, reason=Reason.FORGET_ARCHIVED_VERSION, forget=True
                )
            ]
        after = None
        reason = Reason.ARCHIVE_EXPERIMENT_REMOVED
    elif archived:
        return []
    else:
        after = {**rs.attributes, "status": ARCHIVED, "assistants": {}, "nodes": {}}
        listed = v.version in exp.attrs.get("releases", [])
        reason = Reason.ARCHIVE_ASSISTANT_REMOVED if listed else Reason.ARCHIVE_RELEASE_REMOVED
    return [
        resource_change(
            rs,
            ARCHIVE,
            before=rs.attributes,
            after=after,
            reason=reason,
            changed_paths=tuple(changed_paths(rs.attributes, after or {})),
            prior_depends_on=tuple(rs.depends_on),
        )
    ]

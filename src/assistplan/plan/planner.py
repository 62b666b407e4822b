"""plan(config, prior state, remote) -> Plan. Reads the remote, never writes anything."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from assistplan.addrs import Address, frozen
from assistplan.config.messages import did_you_mean
from assistplan.config.model import DEFAULT_TARGET, Config
from assistplan.errors import ConfigError, PlanError, command
from assistplan.graph import DAG, CycleError
from assistplan.plan import guard
from assistplan.plan.desired import Desired, build_desired
from assistplan.plan.intents import PENDING, old_objects
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
    Plan,
    ResourceChange,
)
from assistplan.plan.models import check_models
from assistplan.plan.reasons import Reason
from assistplan.plan.refresh import KINDS, Actual, Progress, Reader, Refreshed
from assistplan.plan.releases import ARCHIVED, build_releases, restore_deleted_files
from assistplan.remote import normalize as norm
from assistplan.remote.api import Remote
from assistplan.state.model import ResourceState, State
from assistplan.targets import (
    TARGETS,
    deposed_target,
    named_ids,
    open_target,
    recorded_target,
    unknown_targets,
)
from assistplan.targets import problems as target_problems

STATE_ONLY = ("pipeline", "experiment", "experiment_version")
# A refresh-only plan leaves release snapshots as they were released (state is their only record).
FROZEN_DRIFT = (
    "{addresses} changed outside assistplan, but release snapshots are frozen: a refresh-only apply "
    "keeps them in state as released, and an apply without --refresh-only puts them back"
)
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


def _change(d: Desired | ResourceState, actions: tuple[str, ...], **kw: Any) -> ResourceChange:
    name = d.name if isinstance(d, Desired) else Address.parse(d.address).name
    return ResourceChange(address=d.address, type=d.type, name=name, actions=actions, **kw)


def refreshed_state(state: State, refreshed: Refreshed) -> State:
    """Prior state with what the remote says now: attributes refreshed, vanished objects dropped.

    Not for release snapshots: state is the only record of what they must be (their config is
    the release), so drift or a deletion never reaches it; the plan reverts or re-creates them.
    An apply that does not get to them (`--target`, a failed step, a kill) leaves them as frozen.
    """
    prior = state.copy()
    for addr in refreshed.missing:
        if not frozen(addr):
            prior.remove(addr)
    for addr, act in refreshed.actual.items():
        rs = prior.get(addr)
        if rs is not None and not frozen(addr):
            rs.attributes = act.attrs
            rs.depends_on = norm.refs_of(rs.type, act.attrs)
    prior.account_sizes = {**prior.account_sizes, **refreshed.account_sizes}
    return prior


def drift_of(state: State, refreshed: Refreshed) -> list[ResourceChange]:
    """Changes made outside assistplan since the last apply (state vs remote)."""
    out: list[ResourceChange] = []
    for addr, rs in state.resources.items():
        if addr in refreshed.missing:
            out.append(
                _change(
                    rs,
                    DELETE,
                    remote_id=rs.remote_id,
                    reason=Reason.DRIFT_DELETED,
                    before=rs.attributes,
                )
            )
            continue
        act = refreshed.actual.get(addr)
        if act is not None and act.attrs != rs.attributes:
            paths = tuple(changed_paths(rs.attributes, act.attrs))
            out.append(
                _change(
                    rs,
                    UPDATE,
                    remote_id=rs.remote_id,
                    reason=Reason.DRIFT_CHANGED,
                    before=rs.attributes,
                    after=act.attrs,
                    changed_paths=paths,
                )
            )
    return out


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
    change = functools.partial(_change, target=target) if d.type == "assistant" else _change
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
    return _change(
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
                _change(
                    rs,
                    DELETE,
                    before=rs.attributes,
                    reason=Reason.DELETE_NOT_IN_CONFIG,
                    prior_depends_on=tuple(rs.depends_on),
                    forget=True,  # a record in state only
                )
            )
            continue
        if rs.type in KINDS:
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
                _change(
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


def _targeted(
    changes: list[ResourceChange], targets: Iterable[str], desired: dict[str, Desired]
) -> list[ResourceChange]:
    """The changes of `targets` and of what they reference, plus the consumers that must follow.

    A consumer repointed at a target's new object, or letting go of a destroyed one, comes along
    (with what it references): left out, it would point at an object this apply deletes.
    """
    keep = _closure(targets, desired)
    while True:
        moved = {c.address for c in changes if c.address in keep and {"create", "delete"} & set(c.actions)}
        follow = [
            c.address
            for c in changes
            if c.address not in keep and not c.is_noop and moved & {*c.replaced, *c.prior_depends_on}
        ]
        if not follow:
            return [c for c in changes if c.address in keep]
        keep |= _closure(follow, desired)


def _closure(targets: Iterable[str], desired: dict[str, Desired]) -> set[str]:
    out: set[str] = set()
    stack = list(targets)
    while stack:
        a = stack.pop()
        if a in out:
            continue
        out.add(a)
        if a in desired:
            stack.extend(desired[a].refs)
    return out


LISTED_AT_MOST = 20  # known addresses an unknown one's error lists (beyond: `state list`)


def _check_addresses(kind: str, addrs: Iterable[str], known: set[str]) -> None:
    bad = [a for a in addrs if a not in known]
    if not bad:
        return
    shown = []
    for a in bad:
        close = did_you_mean(a, sorted(known))
        shown.append(f"{a} (did you mean {close}?)" if close else a)
    head = f"--{kind}: unknown address{'es' if len(bad) > 1 else ''} {', '.join(shown)}"
    if len(known) <= LISTED_AT_MOST:
        raise PlanError(f"{head}; known: {', '.join(sorted(known)) or 'none'}")
    raise PlanError(
        f"{head}; the config and `", command("state", "list"), f"` name the {len(known)} known ones"
    )


def make_plan(
    config: Config,
    state: State,
    remote: Remote,
    *,
    endpoint: str,
    prior_exists: bool,
    refresh_only: bool = False,
    targets: tuple[str, ...] = (),
    replace: tuple[str, ...] = (),
    parallelism: int = 10,
    destroy: bool = False,
    warn: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The plan for `config`. `destroy`: everything goes now, also what superseded definitions
    named (which an ordinary plan keeps for one more apply). `warn` hears what the plan could
    not check (an endpoint without a model list); `progress`, how the refresh goes (Reader)."""
    unknown = unknown_targets(state)
    if unknown:
        raise PlanError(
            f"state records assistants realised through targets this assistplan does not know: "
            f"{', '.join(unknown)}; upgrade assistplan"
        )
    working = build_desired(config, parallelism)
    book = build_releases(config, state, working)
    if book.diagnostics:  # the config asks what state forbids (an archived version again)
        raise ConfigError(book.diagnostics)
    desired = {**working, **book.desired}
    known = set(desired) | set(state.resources)
    _check_addresses("target", targets, known)
    _check_addresses("replace", replace, set(desired))
    verdict = guard.check(config, state, desired)
    for v in verdict.cascaded:  # archived with the family: the version and all its snapshots
        va = Address.parse(v)
        suffix = f"@{va.name}.v{va.version}"
        for a in [a for a in desired if a == v or a.endswith(suffix)]:
            desired.pop(a)
    if not refresh_only:  # the last check before reading the remote: the one that needs it
        check_models(config, state, open_target(config.target, remote, config).models, warn)
    reader = Reader(remote, state, parallelism, target=config.target, config=config, progress=progress)
    refreshed = reader.refresh(desired)
    restored = restore_deleted_files(desired, state, refreshed.missing)
    prior = refreshed_state(state, refreshed)
    drift = drift_of(state, refreshed)
    errors: list[str] = [*book.errors, *refreshed.taken.values(), *restored.errors]
    for d in desired.values():
        if d.external and d.address not in refreshed.actual:
            errors.append(f"{d.address}: remote file {d.attrs['id']} does not exist on {endpoint}")
    changes: list[ResourceChange] = []
    if not refresh_only:
        changes = diff(desired, prior, refreshed, set(replace), verdict.protected, config.target, config)
        changes = [_restoring(c, restored.sources.get(c.address)) for c in changes]
        changes = retain_in_use(changes, desired, prior, superseded=not destroy)
        if destroy:  # the config is emptied for a destroy: say why in its words
            changes = [dataclasses.replace(c, reason=DESTROYED.get(c.reason, c.reason)) for c in changes]
        errors += _unexpressible(changes, config.target)
    if targets:
        changes = _targeted(changes, targets, desired)
    changes += _refused(verdict, prior)
    errors += _protected_errors(changes, prior, desired)
    errors += _published_errors(changes, config)
    kept = sorted(d.address for d in drift if frozen(d.address)) if refresh_only else []
    return Plan(
        lineage=state.lineage,
        serial=state.serial,
        prior_exists=prior_exists,
        endpoint=endpoint,
        config_digest=plan_digest(config, working),
        changes=tuple(changes),
        drift=tuple(drift),
        blocked=tuple(verdict.blocked),
        errors=tuple(errors),
        refresh_only=refresh_only,
        prior_state=prior.to_json(),
        warnings=(FROZEN_DRIFT.format(addresses=", ".join(kept)),) if kept else (),
    )


def _restoring(c: ResourceChange, sources: tuple[str, ...] | None) -> ResourceChange:
    """A snapshot updated to get back files deleted outside assistplan says so, and follows the
    files it gets them from (a targeted plan brings it along with them)."""
    if not sources or c.actions != UPDATE:
        return c
    return dataclasses.replace(c, reason=Reason.RESTORE_RELEASED_FILE, replaced=sources)


# What a change planned from the emptied config of a destroy is, said as a destroy.
DESTROYED: dict[Reason | None, Reason] = {
    Reason.DELETE_NOT_IN_CONFIG: Reason.DELETE_BY_DESTROY,
    Reason.ARCHIVE_EXPERIMENT_REMOVED: Reason.ARCHIVE_BY_DESTROY,
}


def _protected_errors(changes: list[ResourceChange], prior: State, desired: dict[str, Desired]) -> list[str]:
    """lifecycle.prevent_destroy, as last applied (state) or as configured, refuses a destroy."""
    errors = []
    for c in changes:
        rs = prior.get(c.address)
        d = desired.get(c.address)
        protected = (rs is not None and rs.prevent_destroy) or (d is not None and d.prevent_destroy)
        # A target change keeps the assistant (realised anew from the same attributes).
        if (
            protected
            and "delete" in c.actions
            and not c.deposed
            and not c.forget
            and c.reason is not Reason.TARGET_CHANGED
        ):
            errors.append(
                f"{c.address} has lifecycle.prevent_destroy set (kept in state), but this plan would "
                f"{'replace' if 'create' in c.actions else 'destroy'} it; to destroy it, first apply the "
                "config with prevent_destroy: false"
            )
    return errors


def _unexpressible(changes: list[ResourceChange], target: str) -> list[str]:
    """Assistants the plan realises that the target cannot express (the config's own entries
    are refused at load; these are snapshots re-realised from frozen attributes)."""
    errors = []
    for c in changes:
        if c.type == "assistant" and c.after is not None and ("create" in c.actions or c.actions == UPDATE):
            errors += [f"{c.address}: {p}" for p in target_problems(target, c.after)]
    return errors


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
        if "@" in d.address and d.type in KINDS:
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


def _published_errors(changes: list[ResourceChange], config: Config) -> list[str]:
    """The published version of an experiment that stays cannot be archived until another is published."""
    errors = []
    for c in changes:
        if c.actions != ARCHIVE or (c.before or {}).get("status") != "published":
            continue
        exp = config.experiments.get(c.name)
        if exp is not None and exp.published is None:
            errors.append(
                f"{c.address} is published and cannot be archived while it is: publish another version "
                f"(experiments.{c.name}.published) first, then remove this one from releases"
            )
    return errors


def plan_digest(config: Config, working: dict[str, Desired]) -> str:
    """What a saved plan was made from: the config (and instructions files) and every local file's bytes."""
    h = hashlib.sha256(config.digest.encode())
    for addr in sorted(working):
        sha = working[addr].attrs.get("sha256") if working[addr].type == "file" else None
        if sha:
            h.update(f"\0{addr}\0{sha}".encode())
    return h.hexdigest()


def _refused(verdict: guard.GuardResult, prior: State) -> list[ResourceChange]:
    """The destroys the guard refused, listed so that JSON and PR comments show what was asked."""
    out = []
    for b in verdict.blocked:
        rs = prior.get(b.address)
        if rs is not None:
            out.append(
                _change(
                    rs,
                    DELETE,
                    remote_id=rs.remote_id,
                    before=rs.attributes,
                    reason=Reason.REFUSED_LIVE_CONSUMERS,
                    prior_depends_on=tuple(rs.depends_on),
                )
            )
    return out


def _archive(rs: ResourceState, desired: dict[str, Desired]) -> list[ResourceChange]:
    """A version that leaves the live set. Its experiment gone, it is forgotten once archived
    (so the same config can be applied again later); otherwise it stays as an archived record."""
    v = Address.parse(rs.address)
    exp = desired.get(f"experiment.{v.name}")
    archived = rs.attributes.get("status") == ARCHIVED
    if exp is None:
        if archived:
            return [
                _change(rs, DELETE, before=rs.attributes, reason=Reason.FORGET_ARCHIVED_VERSION, forget=True)
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
        _change(
            rs,
            ARCHIVE,
            before=rs.attributes,
            after=after,
            reason=reason,
            changed_paths=tuple(changed_paths(rs.attributes, after or {})),
            prior_depends_on=tuple(rs.depends_on),
        )
    ]

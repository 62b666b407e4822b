"""plan(config, prior state, remote) -> Plan: refresh -> diff -> retention -> guard and refusals
-> the frozen Plan. Reads the remote, never writes anything."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from assistplan.addrs import Address, frozen
from assistplan.config.model import Config
from assistplan.errors import ConfigError, PlanError
from assistplan.plan import guard
from assistplan.plan.desired import build_desired
from assistplan.plan.diff import diff
from assistplan.plan.drift import drift_of, refreshed_state
from assistplan.plan.model import UPDATE, Plan, ResourceChange
from assistplan.plan.model_names import check_models
from assistplan.plan.planfile import plan_digest
from assistplan.plan.reasons import Reason
from assistplan.plan.refresh import Progress, Reader
from assistplan.plan.refusals import protected_errors, published_errors, refused_destroys, unexpressible
from assistplan.plan.releases import build_releases, restore_deleted_files
from assistplan.plan.retention import retain_in_use
from assistplan.plan.targeting import check_addresses, check_replaceable, targeted
from assistplan.remote.api import Remote
from assistplan.state.model import State
from assistplan.targets import open_target, unknown_targets

# A refresh-only plan leaves release snapshots as they were released (state is their only record).
FROZEN_DRIFT = (
    "{addresses} changed outside assistplan, but release snapshots are frozen: a refresh-only apply "
    "keeps them in state as released, and an apply without --refresh-only puts them back"
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
    check_addresses("target", targets, known)
    check_replaceable(replace, desired)
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
        errors += unexpressible(changes, config.target)
    if targets:
        changes = targeted(changes, targets, desired)
    changes += refused_destroys(verdict, prior)
    errors += protected_errors(changes, prior, desired)
    errors += published_errors(changes, config)
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

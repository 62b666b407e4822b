"""Drift: what changed outside assistplan since the last apply (state vs what the refresh read)."""

from __future__ import annotations

from assistplan.addrs import frozen
from assistplan.plan.diff import changed_paths, resource_change
from assistplan.plan.intents import PENDING
from assistplan.plan.model import DELETE, UPDATE, ResourceChange
from assistplan.plan.reasons import Reason
from assistplan.plan.refresh import Refreshed
from assistplan.remote import normalize as norm
from assistplan.state.model import State


def refreshed_state(state: State, refreshed: Refreshed) -> State:
    """Prior state with what the remote says now: attributes refreshed, vanished objects dropped,
    intents of creates that made nothing (`Refreshed.unmade`) dropped.

    Not for release snapshots: state is the only record of what they must be (their config is
    the release), so drift or a deletion never reaches it; the plan reverts or re-creates them.
    An apply that does not get to them (`--target`, a failed step, a kill) leaves them as frozen.
    """
    fresh = {a: act.attrs for a, act in refreshed.actual.items() if a in state.resources and not frozen(a)}
    prior = state.copy(fresh)
    for addr in refreshed.missing:
        if not frozen(addr):
            prior.remove(addr)
    for addr, attrs in fresh.items():
        if addr in prior.resources:
            prior.resources[addr].depends_on = norm.refs_of(prior.resources[addr].type, attrs)
    for addr in refreshed.unmade:  # the create it announced made nothing: nothing to settle
        rs = prior.get(addr)
        if rs is not None:
            rs.extra.pop(PENDING, None)
    prior.account_sizes = {**prior.account_sizes, **refreshed.account_sizes}
    return prior


def drift_of(state: State, refreshed: Refreshed) -> list[ResourceChange]:
    """Changes made outside assistplan since the last apply (state vs remote)."""
    out: list[ResourceChange] = []
    for addr, rs in state.resources.items():
        if addr in refreshed.missing:
            out.append(
                resource_change(
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
                resource_change(
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

"""What a plan refuses: the errors it carries (a plan with errors cannot be applied) and the
destroys the guard refused, listed as changes so that JSON and PR comments show what was asked."""

from __future__ import annotations

from assistplan.config.model import Config
from assistplan.plan import guard
from assistplan.plan.desired import Desired
from assistplan.plan.diff import resource_change
from assistplan.plan.model import ARCHIVE, DELETE, UPDATE, ResourceChange
from assistplan.plan.reasons import Reason
from assistplan.state.model import State
from assistplan.targets import problems as target_problems


def protected_errors(changes: list[ResourceChange], prior: State, desired: dict[str, Desired]) -> list[str]:
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


def unexpressible(changes: list[ResourceChange], target: str) -> list[str]:
    """Assistants the plan realises that the target cannot express (the config's own entries
    are refused at load; these are snapshots re-realised from frozen attributes)."""
    errors = []
    for c in changes:
        if c.type == "assistant" and c.after is not None and ("create" in c.actions or c.actions == UPDATE):
            errors += [f"{c.address}: {p}" for p in target_problems(target, c.after)]
    return errors


def published_errors(changes: list[ResourceChange], config: Config) -> list[str]:
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


def refused_destroys(verdict: guard.GuardResult, prior: State) -> list[ResourceChange]:
    """The destroys the guard refused, listed so that JSON and PR comments show what was asked."""
    out = []
    for b in verdict.blocked:
        rs = prior.get(b.address)
        if rs is not None:
            out.append(
                resource_change(
                    rs,
                    DELETE,
                    remote_id=rs.remote_id,
                    before=rs.attributes,
                    reason=Reason.REFUSED_LIVE_CONSUMERS,
                    prior_depends_on=tuple(rs.depends_on),
                )
            )
    return out

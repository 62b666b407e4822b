"""An environment planned from an empty state while the default state (no `--env`) manages
objects on the same endpoint: most likely the team declared environments after it had applied,
and wants that state to become the environment's, not a second set of every object beside it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from assistplan.errors import AssistplanError

if TYPE_CHECKING:
    from assistplan.cli.session import Options
    from assistplan.config.model import Config
    from assistplan.plan.model import Plan

# Where the default state is, then the line of the environment's overlay that points at it.
ADOPT = (
    "environment {env} has no state yet, but the default state (without --env: {where}) manages "
    "{count} object(s) on this endpoint, and this plan creates {env}'s own beside them. If they are "
    "{env}'s objects, adopt that state instead: add `{line}` to {overlay} (it becomes {env}'s state "
    "at the next apply; runs without --env are then refused)"
)


def adoption_warning(opts: Options, cfg: Config, plan: Plan) -> str | None:
    """The warning, when the environment's state is empty, the plan creates something, and the
    default state holds objects of this endpoint that no environment has taken over."""
    if cfg.environment is None or plan.prior_exists or not any("create" in c.actions for c in plan.changes):
        return None
    from assistplan.config.loader import load_config
    from assistplan.config.overlay import overlay_path
    from assistplan.state.manager import normalize_endpoint

    try:
        base = load_config(cfg.path, allow_dangling=True)
        backend = opts.backend(base)
        stored = backend.read()
    except AssistplanError:
        return None  # nothing to compare with: the plan stands on its own
    if stored is None or stored.environment is not None:
        return None  # none, or taken over by an environment already
    theirs = stored.endpoint
    if theirs is not None and normalize_endpoint(theirs) != normalize_endpoint(plan.endpoint):
        return None
    count = sum(1 for rs in stored.resources.values() if rs.remote_id)
    if not count:
        return None
    if base.state.backend == "postgres":
        line = f"state: {{workspace: {base.state.workspace}}}"
    else:
        line = f"state: {{path: {os.path.relpath(base.state_path, cfg.dir)}}}"
    overlay = overlay_path(cfg.path, cfg.environment).name
    where = backend.describe()
    return ADOPT.format(env=cfg.environment, where=where, count=count, line=line, overlay=overlay)

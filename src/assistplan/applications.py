"""`assistplan.published`: what an application reads to call the released assistant.

Read-only from the state backend the config names (a local file or PostgreSQL; with `env`, that
environment's, as `--env` selects it): no lock, no API call, no SDK import. The answer is the
published version of one experiment, each of its assistants as `output --json` shows it
(`{"target", "id", "definition" | ...}`), so on the responses target
`client.responses.create(**entry["definition"], input=...)` calls it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assistplan.config import load_config
from assistplan.errors import NotPublishedError
from assistplan.outputs import outputs
from assistplan.state.factory import config_backend
from assistplan.state.manager import check_environment

ENV_VAR = "ASSISTPLAN_ENV"


def published(
    experiment: str, *, config: str | os.PathLike[str] = "assistants.yaml", env: str | None = None
) -> dict[str, Any]:
    """`{"version": N, "assistants": {NAME: {"target", "id", ...}}}` for the experiment's published
    version. Raises NotPublishedError when nothing is published (no state yet, no such experiment
    applied, no version published, or one whose assistants an interrupted apply left without an
    id), other AssistplanErrors when the config or state is bad (an
    undeclared environment, or a state of another environment, included)."""
    env = env if env is not None else (os.environ.get(ENV_VAR) or None)
    cfg = load_config(Path(config), allow_dangling=True, env=env)
    path = f"{config} (environment {env})" if env else str(config)
    backend = config_backend(cfg)
    state = backend.read()
    apply = f"assistplan --env {env} apply" if env else "assistplan apply"
    if state is None:
        raise NotPublishedError(f"{path}: nothing is applied yet (no state): run `{apply}` first")
    check_environment(state, cfg.environment, backend.describe())
    experiments = outputs(state)["experiments"]
    exp = experiments.get(experiment)
    if exp is None:
        known = ", ".join(sorted(experiments)) or "none"
        raise NotPublishedError(f"{path}: experiment {experiment!r} is not applied (applied: {known})")
    version = exp["published"]
    if version is None:
        raise NotPublishedError(
            f"{path}: experiment {experiment!r} has no published version: set "
            f"experiments.{experiment}.published to one of its releases and apply"
        )
    record = state.get(f"experiment.{experiment}@v{version['version']}")
    names = record.attributes.get("assistants", {}) if record is not None else {}
    lacking = sorted(set(names) - set(version["assistants_detail"]))
    if lacking:  # an apply was interrupted before recording them: never hand out an entry without id
        raise NotPublishedError(
            f"{path}: experiment {experiment!r} version {version['version']} has no recorded object for "
            f"{', '.join(lacking)}: run `{apply}` to finish it"
        )
    return {"version": version["version"], "assistants": version["assistants_detail"]}

"""`assistplan.published`: what an application reads to call the released assistant.

Read-only from the state backend the config names (a local file or PostgreSQL): no lock, no
API call, no SDK import. The answer is the published version of one experiment, each of its
assistants as `output --json` shows it (`{"target", "id", "definition" | ...}`), so on the
responses target `client.responses.create(**entry["definition"], input=...)` calls it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assistplan.config import load_config
from assistplan.errors import AssistplanError, NotPublishedError
from assistplan.outputs import outputs
from assistplan.state.factory import config_backend

ENV_VAR = "ASSISTPLAN_ENV"


def published(
    experiment: str, *, config: str | os.PathLike[str] = "assistants.yaml", env: str | None = None
) -> dict[str, Any]:
    """`{"version": N, "assistants": {NAME: {"target", "id", ...}}}` for the experiment's published
    version. Raises NotPublishedError when nothing is published (no state yet, no such experiment
    applied, or no version published), other AssistplanErrors when the config or state is bad."""
    env = env if env is not None else (os.environ.get(ENV_VAR) or None)
    if env is not None:
        raise AssistplanError(f"environment {env!r}: this version of assistplan has no environments")
    path = Path(config)
    cfg = load_config(path, allow_dangling=True)
    state = config_backend(cfg).read()
    if state is None:
        raise NotPublishedError(f"{path}: nothing is applied yet (no state): run `assistplan apply` first")
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
    return {"version": version["version"], "assistants": version["assistants_detail"]}

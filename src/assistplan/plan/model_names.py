"""Model names, checked at plan time against what the endpoint serves.

A typo in `model` (`gpt4.1-minii`) would otherwise surface as an API error halfway through an
apply. Before the refresh, after every offline check (config, state, endpoint binding, guard),
the plan asks the target for its model list (`Target.models()`: one `GET /models`, kept for the
run; on Azure, the project's model deployments) and refuses, with a did-you-mean at the
`model:` line, any name not on it. Only names that would be sent are checked (new assistants,
changed models): a plan that changes no model makes no request. An endpoint that lists no
models is warned about, not refused.
"""

from __future__ import annotations

from collections.abc import Callable

from assistplan.config.messages import did_you_mean
from assistplan.config.model import Config
from assistplan.errors import ConfigError
from assistplan.state.model import State
from assistplan.targets import Models


def to_check(config: Config, state: State) -> dict[str, str]:
    """Assistant name -> model, for the models this plan could send: new assistants' and
    changed ones' (a model already applied was accepted by the endpoint)."""
    out = {}
    for name, spec in config.assistants.items():
        applied = state.get(f"assistant.{name}")
        if applied is None or applied.attributes.get("model") != spec.model:
            out[name] = spec.model
    return out


def check_models(
    config: Config, state: State, models: Callable[[], Models], warn: Callable[[str], None] | None = None
) -> None:
    """Raise ConfigError (FILE:LINE:COL at each `model:`) for names the endpoint does not serve."""
    wanted = to_check(config, state)
    if not wanted:
        return
    listed = models()
    if listed.ids is None:
        if warn is not None:
            warn(
                f"{listed.where} lists no models (GET /models), so these model names were not checked: "
                + ", ".join(sorted(set(wanted.values())))
            )
        return
    problems = []
    for name, model in wanted.items():
        if model in listed.ids:
            continue
        close = did_you_mean(model, sorted(listed.ids))
        hint = f"; did you mean '{close}'?" if close else ""
        pos = config.assistants[name].model_pos or config.assistants[name].pos
        message = f"assistants.{name}.model: '{model}' is not {listed.noun}"
        problems.append(config.diagnostic(pos, message + hint))  # in an overlay, or the config
    if problems:
        raise ConfigError(problems)

"""Targets: where an assistant is realised (DESIGN.md section 9).

`provider.target` picks one for the whole config: `assistants` (an Assistants-v2 object, the
default), `responses` (a definition for `POST /v1/responses`, kept in state) or `foundry` (an
Azure AI Foundry prompt agent, versioned). Only the assistant kind and its release snapshots go
through a target; the engine keeps attributes in the config's shape and opens the target at the
seam (`open_target`). Nothing here imports an SDK.
"""

from __future__ import annotations

from typing import Any

from assistplan.config.model import Config
from assistplan.state.model import ResourceState, State
from assistplan.targets import foundry, mapping
from assistplan.targets.assistants import AssistantsTarget
from assistplan.targets.base import (
    DEFAULT_TARGET,
    REALISATION_KEYS,
    TARGET_KEY,
    Claim,
    Fetched,
    Models,
    Realise,
    Realised,
    Refs,
    Target,
    deposed_target,
    recorded_target,
)
from assistplan.targets.foundry import FoundryTarget
from assistplan.targets.mapping import unexpressible
from assistplan.targets.responses import ResponsesTarget

TARGETS: dict[str, type[Target]] = {t.name: t for t in (AssistantsTarget, ResponsesTarget, FoundryTarget)}
NAMES = tuple(TARGETS)

__all__ = [
    "DEFAULT_TARGET",
    "NAMES",
    "REALISATION_KEYS",
    "TARGET_KEY",
    "TARGETS",
    "Claim",
    "Fetched",
    "Models",
    "Realise",
    "Realised",
    "Refs",
    "Target",
    "config_problems",
    "deposed_target",
    "describe",
    "named_ids",
    "open_target",
    "recorded_target",
    "unknown_targets",
    "unexpressible",
]


def open_target(name: str, api: Any, config: Config | None = None) -> Target:
    """The target `name`, bound to the API client it calls (the `Remote`) and to the config's
    settings where it names what it makes (Foundry's agent prefix)."""
    return TARGETS[name](api, config)


def config_problems(target: str, spec: dict[str, Any]) -> list[tuple[mapping.Path, str]]:
    """What a config entry `assistants.NAME` (as written) sets that `target` cannot express."""
    if target == FoundryTarget.name:
        return foundry.config_problems(spec)
    out = foundry.only_foundry(spec.get("tools"))
    if target == ResponsesTarget.name:
        out += mapping.problems(spec, foundry.foundry_tools())  # those are reported just above
    return out


def describe(rs: ResourceState) -> dict[str, Any]:
    """An assistant's realisation as `output` shows it (its id aside)."""
    cls = TARGETS.get(recorded_target(rs))
    return cls.describe(rs) if cls is not None else {"target": recorded_target(rs)}


def named_ids(rs: ResourceState) -> list[str]:
    """The file and vector store ids an applied definition names (applications hold copies of
    definitions, so these must outlive the definition by one apply)."""
    definition = rs.extra.get("definition")
    tools = definition.get("tools") if isinstance(definition, dict) else None
    out: list[str] = []
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict):
            container = tool.get("container")
            for ids in (
                tool.get("vector_store_ids"),
                container.get("file_ids") if isinstance(container, dict) else None,
            ):
                out += [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    return out


def unknown_targets(state: State) -> list[str]:
    """Assistants in state realised through a target this assistplan does not know (a newer one
    wrote the state): nothing may plan them."""
    return sorted(
        f"{a} (target {recorded_target(rs)!r})"
        for a, rs in state.resources.items()
        if rs.type == "assistant" and recorded_target(rs) not in TARGETS
    )

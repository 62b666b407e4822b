"""Targets: where an assistant is realised (DESIGN.md section 9).

`provider.target` picks one for the whole config: `assistants` (an Assistants-v2 object, the
default), `responses` (a definition for `POST /v1/responses`, kept in state) or `foundry` (an
Azure AI Foundry prompt agent, versioned). Only the assistant kind and its release snapshots go
through a target; the engine keeps attributes in the config's shape and opens the target at the
seam (`open_target`). Nothing here imports an SDK.
"""

from __future__ import annotations

from typing import Any

from assistplan.config.messages import where
from assistplan.config.model import Config
from assistplan.state.model import ResourceState, State
from assistplan.targets.assistants import AssistantsTarget
from assistplan.targets.base import (
    DEFAULT_TARGET,
    REALISATION_KEYS,
    TARGET_KEY,
    Claim,
    Fetched,
    Models,
    Path,
    Realise,
    Realised,
    Refs,
    Target,
    deposed_target,
    own_ids,
    recorded_target,
)
from assistplan.targets.foundry import FoundryTarget
from assistplan.targets.mapping import unexpressible
from assistplan.targets.responses import ResponsesTarget

TARGETS: dict[str, type[Target]] = {t.name: t for t in (AssistantsTarget, ResponsesTarget, FoundryTarget)}
NAMES = tuple(TARGETS)
# Where the endpoint no longer serves the Assistants API (OpenAI since 2026-08-26), a config
# written for it (`import --all`) realises its assistants as Responses definitions.
AFTER_ASSISTANTS_SUNSET = ResponsesTarget.name

__all__ = [
    "AFTER_ASSISTANTS_SUNSET",
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
    "deposed_target",
    "current_ids",
    "describe",
    "entry_problems",
    "foreign_tools",
    "named_ids",
    "open_target",
    "problems",
    "recorded_target",
    "unknown_targets",
    "unexpressible",
]


def open_target(name: str, api: Any, config: Config | None = None) -> Target:
    """The target `name`, bound to the API client it calls (the `Remote`) and to the config's
    settings where it names what it makes (Foundry's agent prefix)."""
    return TARGETS[name](api, config)


def foreign_tools(target: str, tools: Any) -> list[tuple[Path, str]]:
    """(path, why) of each tool in `tools` that is another target's own (`native_tools`): `target`
    cannot express it."""
    owners = {kind: t for t in TARGETS.values() if t.name != target for kind in t.native_tools()}
    out: list[tuple[Path, str]] = []
    for i, t in enumerate(tools if isinstance(tools, list | tuple) else ()):
        kind = t.get("type") if isinstance(t, dict) else None
        owner = owners.get(kind) if isinstance(kind, str) else None
        if owner is not None:
            out.append((("tools", i, "type"), f"{kind} is a tool of {owner.noun} (target {owner.name})"))
    return out


def entry_problems(target: str, spec: dict[str, Any]) -> list[tuple[Path, str]]:
    """What a config entry `assistants.NAME` (as written) sets that `target` cannot express."""
    foreign = frozenset().union(*(t.native_tools() for t in TARGETS.values() if t.name != target))
    return foreign_tools(target, spec.get("tools")) + TARGETS[target].entry_problems(spec, foreign)


def problems(target: str, attrs: dict[str, Any]) -> list[str]:
    """What assistant attributes set that `target` cannot express (plan time), in words."""
    foreign = foreign_tools(target, attrs.get("tools"))
    if foreign:
        return [unexpressible(where(at), target, why) for at, why in foreign]
    return TARGETS[target].problems(attrs)


def describe(rs: ResourceState) -> dict[str, Any]:
    """An assistant's realisation as `output` shows it (its id aside)."""
    cls = TARGETS.get(recorded_target(rs))
    return cls.describe(rs) if cls is not None else {"target": recorded_target(rs)}


def current_ids(rs: ResourceState) -> frozenset[str]:
    """The ids that name what `rs` records as its object now (see Target.current_ids)."""
    cls = TARGETS.get(recorded_target(rs)) if rs.type == "assistant" else None
    if cls is not None:
        return cls.current_ids(rs)
    return own_ids(rs)


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

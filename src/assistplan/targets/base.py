"""The seam between the engine and where an assistant is realised (DESIGN.md section 9).

The engine plans and applies `assistant.NAME` (and its release snapshots) with attributes in
the config's shape, whatever the target; it hands a `Realise` to the target to create or
update the realisation and records what comes back (`Realised`) in state. A target that keeps
its realisations in an OpenAI collection (`collection`) is refreshed by the engine's reader
with files and vector stores; any other target reads its own (`read`), and where a realisation's
identity is a name the config fixes (Foundry's agents) it says what already holds each name
the config wants (`claim`): ours, left by an interrupted apply (adopted), or someone else's
(refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from assistplan.config.model import DEFAULT_TARGET as DEFAULT_TARGET
from assistplan.config.model import Config
from assistplan.state.model import ResourceState

# State keys (ResourceState.extra of an assistant) that describe its realisation; a new
# realisation replaces all of them.
TARGET_KEY = "target"
REALISATION_KEYS = (TARGET_KEY, "definition", "revision", "agent")


def recorded_target(rs: ResourceState) -> str:
    """The target an assistant in state was realised through (states before targets: assistants)."""
    return str(rs.extra.get(TARGET_KEY) or DEFAULT_TARGET)


def deposed_target(rs: ResourceState, remote_id: str) -> str:
    """The target that realised a deposed object of an assistant (a target change keeps it)."""
    targets = rs.extra.get("deposed_targets")
    found = targets.get(remote_id) if isinstance(targets, dict) else None
    return str(found or recorded_target(rs))


def own_ids(rs: ResourceState) -> frozenset[str]:
    """An entry's own remote id, when it records one: what it names as its object now."""
    return frozenset({rs.remote_id} if rs.remote_id else ())


class OwnIds:
    """Target methods for realisations that each have an id of their own, never a name taken
    from the config (assistants, responses): nothing renames them, a replace deletes the old id."""

    @classmethod
    def renamed(cls, config: Config, rs: ResourceState) -> str | None:
        return None  # ids are not names

    @classmethod
    def replaced(cls, config: Config, rs: ResourceState) -> str | None:
        return rs.remote_id  # the new realisation has an id of its own

    @classmethod
    def current_ids(cls, rs: ResourceState) -> frozenset[str]:
        return own_ids(rs)


def openai_endpoint_settings(provider: dict[str, Any], refused: dict[str, str]) -> list[tuple[str, str]]:
    """The provider settings a target that speaks an OpenAI endpoint (not a Foundry project)
    refuses: the Foundry-only ones, its own `refused` (KEY -> why), and base_url beside a
    project endpoint; (KEY, why) for the keys `provider` sets."""
    out = [("agent_prefix", "only with target: foundry (it names Foundry agents)")]
    out += refused.items()
    if "project_endpoint" in provider:
        out.append(("base_url", "set either base_url or project_endpoint, not both"))
    return [(key, why) for key, why in out if key in provider]


@dataclass(frozen=True)
class Realise:
    """What apply asks a target to realise: attributes as planned (references as addresses or,
    in a snapshot, the raw ids it was frozen with), `resolve` turning a reference into its id."""

    address: str
    attrs: dict[str, Any]
    resolve: Callable[[str], str]
    marker: str  # the reserved metadata value marking an object as ours (lineage + address)
    lineage: str
    # A replace: the id of the old object (`Target.replaced`), which the new one must not be.
    replaces: str | None = None


@dataclass(frozen=True)
class Realised:
    """What state records of a realisation: its id and the target's bookkeeping."""

    remote_id: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """An object that already holds the identity (a name) an address would take."""

    remote_id: str
    # Ours (it carries our marker: an interrupted apply made it): its attributes now, to adopt.
    # None: not ours; `why` says who holds it and what to do.
    attrs: dict[str, Any] | None
    why: str = ""


@dataclass(frozen=True)
class Fetched:
    """An existing realisation read by its id (`import`): attributes, bookkeeping, and the marker
    it carries (None: none)."""

    attrs: dict[str, Any]
    realised: Realised
    marker: str | None


# A path into a config entry or document, as written ("tools", 0, "type").
Path = tuple[str | int, ...]

# The address a remote id names, as seen from the realisation at `address` (a release snapshot
# sees only its own snapshot stores; anything unknown stays a raw id).
Refs = Callable[[str, str], str]


@dataclass(frozen=True)
class Models:
    """The model names an assistant realised through a target may use, as its endpoint lists
    them (`ids`; None: it lists none, so names cannot be checked), `where` ("the sandbox", a URL,
    a Foundry project), and what a name on the list is, in words ("a model the sandbox serves
    (GET /models)", "a model deployment of project P")."""

    ids: frozenset[str] | None
    where: str
    noun: str


class Target(Protocol):
    """One way of realising an assistant. Instances carry the API client they need (`api`, the
    engine's `Remote`, which a target that makes no API call ignores)."""

    name: ClassVar[str]
    # Realisations are remote objects (created, read and deleted through an API); False: they
    # live in state and are published through `output` (no API call).
    remote: ClassVar[bool]
    # The OpenAI collection ("assistant") the engine's reader lists or GETs with files and
    # vector stores; None: `read` reads this target's realisations.
    collection: ClassVar[str | None]
    # An update makes a new immutable version beside the old ones (the plan says so).
    versioned: ClassVar[bool]
    # Realisations are agents of an Azure AI Foundry project: the endpoint is the project's
    # (files and vector stores under its /openai/v1, the agents routes beside them).
    project_agents: ClassVar[bool]
    # What realises an assistant, in words ("Azure AI Foundry's agents"), for messages.
    noun: ClassVar[str]

    def __init__(self, api: Any, config: Config | None = None) -> None:
        """`config` supplies the target's settings (provider.*) where it needs them to name things."""
        ...

    def create(self, r: Realise) -> Realised: ...

    def update(self, r: Realise, remote_id: str) -> Realised: ...

    def adopt(self, r: Realise, remote_id: str) -> Realised:
        """Take over what an interrupted apply made (a claim the plan adopts): its bookkeeping."""
        ...

    def delete(self, address: str, remote_id: str) -> None: ...

    def read(self, entries: Mapping[str, ResourceState], refs: Refs) -> dict[str, dict[str, Any] | None]:
        """Attributes now (config shape) per address; None where the realisation is gone."""
        ...

    def claim(self, lineage: str, wanted: Mapping[str, dict[str, Any]], refs: Refs) -> dict[str, Claim]:
        """What holds the identities of addresses state does not hold yet (`wanted`: address ->
        desired attributes), per address; targets whose identities are not names claim nothing."""
        ...

    def fetch(self, remote_id: str, address: str, name: str | None, to_addr: Mapping[str, str]) -> Fetched:
        """An existing realisation to import as `address` (`name`: its label as declared);
        RemoteError when there is none. Targets read by the engine's reader are imported by it."""

    def models(self) -> Models:
        """What `model` may name here (checked at plan time, before anything changes)."""
        ...

    def listed(self) -> list[dict[str, Any]] | None:
        """`import --all`: every assistant this target realises on its endpoint, as Assistants
        API objects (oldest first), when it lists its own (Foundry's agents); None: the
        endpoint's assistants collection holds them."""
        ...

    @classmethod
    def onboarded(cls, listed: dict[str, Any]) -> dict[str, Any]:
        """The bookkeeping (state `extra`) of an assistant `listed` returned, imported as it is."""
        ...

    @classmethod
    def native_tools(cls) -> frozenset[str]:
        """Tool types this target passes through unchanged beside the shared mapping (Foundry's
        own tools): no other target can express them."""
        ...

    @classmethod
    def problems(cls, attrs: dict[str, Any]) -> list[str]:
        """What these attributes set that this target cannot express (plan time: snapshots
        re-realised from frozen attributes; the config's own entries are checked at load).
        Other targets' native tools are the registry's to report (`targets.problems`)."""
        ...

    @classmethod
    def entry_problems(cls, spec: dict[str, Any], foreign: frozenset[str]) -> list[tuple[Path, str]]:
        """What a config entry `assistants.NAME` (as written) sets that this target cannot
        express: (path in the entry, why); tools of the `foreign` types are reported apart."""
        ...

    @classmethod
    def config_problems(cls, data: dict[str, Any]) -> list[tuple[Path, str]]:
        """What the whole config (as written) asks of this target that it refuses, beyond each
        entry (Foundry: the agent names it would take): (path, message)."""
        ...

    @classmethod
    def provider_problems(cls, provider: dict[str, Any]) -> list[tuple[str, str]]:
        """The `provider.KEY` settings (as written) this target does not take: (KEY, why)."""
        ...

    @classmethod
    def renamed(cls, config: Config, rs: ResourceState) -> str | None:
        """The new name of a realisation named after the config (Foundry's agent prefix) when the
        config now names it otherwise (it is then replaced); None when nothing renames it."""
        ...

    @classmethod
    def replaced(cls, config: Config, rs: ResourceState) -> str | None:
        """What a replace of `rs` deletes once the new realisation exists: its id, or where the new
        one keeps that id (Foundry's agents, named) only the part that was `rs`, never the object
        the new one lives in; None: nothing (it is only forgotten)."""
        ...

    @classmethod
    def current_ids(cls, rs: ResourceState) -> frozenset[str]:
        """The ids that name the realisation `rs` records now (Foundry: the agent and its recorded
        version): never deposed, never deleted as a replaced object of the address."""
        ...

    @classmethod
    def describe(cls, rs: ResourceState) -> dict[str, Any]:
        """What `output` and `assistplan.published` show of a realisation, beside its id."""
        ...

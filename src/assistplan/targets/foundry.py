"""`target: foundry`: an assistant is an Azure AI Foundry prompt agent (DESIGN.md section 9).

An agent is named, and its name is its identity: `provider.agent_prefix` + the resource name
(`_` as `-`); a release snapshot is an agent of its own, `NAME-EXPERIMENT-vN`, so a person
recognises it in the Foundry portal. Its versions are immutable: creating the assistant makes
version "1", every change of its definition another version (the older ones stay, as history);
the latest is the working assistant; deleting it deletes the agent with all its versions.
Replacing it (`--replace`) keeps the agent, whose name the new version lives under: a new
version is made, and only the version it replaces is deleted.

A version is `{definition, description, metadata}`: the definition is the shared Responses
mapping plus `kind: prompt` (Foundry's own tools passed through unchanged); the description
and metadata (with our marker) go on the version; `name` stays a label in state. Because a
version never changes, the latest version being the one state recorded means the agent is as
last applied; any other latest version is read back (`mapping.attributes`) as drift.

Names are claimed with care: before creating an agent, apply reads the name. An agent there
whose versions carry our marker was made by an interrupted apply and is adopted; any other is
refused with the way out (`assistplan import`), never extended or deleted. Nothing here imports
an SDK: the agents routes are the engine's Remote (the same HTTP stack as files).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from assistplan.addrs import NAME_RE, Address
from assistplan.config.messages import where
from assistplan.config.model import Config
from assistplan.errors import AnswerLost, ApplyError, Message, RemoteError, command
from assistplan.remote import normalize as norm
from assistplan.state.model import ResourceState
from assistplan.targets import mapping
from assistplan.targets.base import TARGET_KEY, Claim, Fetched, Models, Path, Realise, Realised, Refs
from assistplan.targets.models import deployment_models

if TYPE_CHECKING:
    from assistplan.remote.api import Remote

NAME = "foundry"
AGENT_NAME_MAX = 63
_AGENT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
GETS_AT_MOST = 2  # reading more agents than this lists them (pages of 100) instead of one GET each


@functools.cache
def foundry_tools() -> frozenset[str]:
    """The tool types of Foundry's agents that assistplan passes through: the schema's list."""
    from assistplan.config.schema import load_schema

    return frozenset(load_schema()["$defs"]["foundryTool"]["properties"]["type"]["enum"])


# -- names ------------------------------------------------------------------------------------
def agent_name(prefix: str, name: str, experiment: str | None = None, version: int | None = None) -> str:
    """The agent that realises `assistant.NAME` (or its snapshot `@EXPERIMENT.vN`)."""
    parts = [name, *([experiment, f"v{version}"] if experiment is not None else [])]
    return prefix + "-".join(parts).replace("_", "-")


def agent_name_of(prefix: str, address: str) -> str:
    a = Address.parse(address)
    return agent_name(prefix, a.name, a.experiment, a.version)


def version_id(name: str, version: str) -> str:
    """An agent version's id, as Foundry gives it (AgentVersionDetails.id): `NAME:VERSION`."""
    return f"{name}:{version}"


def name_problem(name: str) -> str | None:
    """Why Foundry would refuse `name` as an agent name; None when it takes it."""
    if len(name) > AGENT_NAME_MAX:
        return f"its Foundry agent name {name!r} has {len(name)} characters (Foundry allows {AGENT_NAME_MAX})"
    if not _AGENT_NAME.fullmatch(name):
        return (
            f"its Foundry agent name {name!r} is invalid (letters, digits and hyphens, starting and "
            "ending with a letter or digit)"
        )
    return None


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _reached(data: dict[str, Any], exp: dict[str, Any]) -> list[str]:
    """The assistants whose snapshots an experiment's releases make (directly or through its pipeline)."""
    if isinstance(exp.get("assistant"), str):
        return [exp["assistant"]]
    pipeline = _section(data, "pipelines").get(str(exp.get("pipeline")))
    nodes = pipeline.get("nodes") if isinstance(pipeline, dict) else None
    found = [
        n["assistant"] for n in nodes or [] if isinstance(n, dict) and isinstance(n.get("assistant"), str)
    ]
    return list(dict.fromkeys(found))


def _release_version(release: Any) -> int | None:
    value = release.get("version") if isinstance(release, dict) else release
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def name_problems(data: dict[str, Any]) -> list[tuple[Path, str]]:
    """The agent names a config (as written) would take that Foundry refuses, or that two of its
    assistants or snapshots would share: (where, why), checked offline before any call."""
    provider = _section(data, "provider")
    given = provider.get("agent_prefix")
    prefix = given if isinstance(given, str) else ""
    assistants = {n for n in _section(data, "assistants") if isinstance(n, str) and NAME_RE.fullmatch(n)}
    out: list[tuple[Path, str]] = []
    taken: dict[str, str] = {}

    def check(at: Path, address: str, name: str) -> None:
        why = name_problem(name)
        if why is not None:
            out.append((at, f"{where(at)}: {why}: shorten provider.agent_prefix or the names"))
        elif taken.setdefault(name, address) != address:
            out.append(
                (at, f"{where(at)}: {address} would be the Foundry agent {name!r}, as {taken[name]} is")
            )

    for n in _section(data, "assistants"):
        if n in assistants:
            check(("assistants", n), f"assistant.{n}", agent_name(prefix, n))
    for e, exp in _section(data, "experiments").items():
        if not (isinstance(exp, dict) and isinstance(e, str) and NAME_RE.fullmatch(e)):
            continue
        releases = exp.get("releases")
        for i, release in enumerate(releases if isinstance(releases, list) else []):
            v = _release_version(release)
            for a in _reached(data, exp) if v is not None else []:
                if a in assistants:
                    check(
                        ("experiments", e, "releases", i),
                        f"assistant.{a}@{e}.v{v}",
                        agent_name(prefix, a, e, v),
                    )
    return out


def as_assistant(agent: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """An agent's latest version in the shape of an Assistants API object (ids as they are), for
    onboarding (`import --all`): `id` is the agent's name, `name` that name without `prefix`, and
    `agent_version` the version it was read at."""
    latest = _latest(agent)
    name = str(agent.get("name") or latest.get("name") or "")
    given = latest.get("metadata")
    metadata: dict[str, Any] = given if isinstance(given, dict) else {}
    labels = {"name": name.removeprefix(prefix) or name, "description": latest.get("description")}
    definition = latest.get("definition")
    attrs = mapping.attributes(definition if isinstance(definition, dict) else {}, labels, str)
    resources = attrs.pop("tool_resources")
    return {
        **attrs,
        "id": name,
        "object": "assistant",
        "created_at": latest.get("created_at") or 0,
        "tool_resources": {
            "code_interpreter": {"file_ids": resources.get("code_interpreter", [])},
            "file_search": {"vector_store_ids": resources.get("file_search", [])},
        },
        "metadata": dict(metadata),
        "agent_version": latest.get("version"),
    }


# -- the target ---------------------------------------------------------------------------------
def _latest(agent: dict[str, Any]) -> dict[str, Any]:
    versions = agent.get("versions")
    latest = versions.get("latest") if isinstance(versions, dict) else None
    return latest if isinstance(latest, dict) else {}


def _marker_of(version: dict[str, Any]) -> str | None:
    metadata = version.get("metadata")
    return norm.split_marker(metadata if isinstance(metadata, dict) else None)[1]


class FoundryTarget:
    name: ClassVar[str] = NAME
    remote: ClassVar[bool] = True
    collection: ClassVar[str | None] = None
    versioned: ClassVar[bool] = True
    project_agents: ClassVar[bool] = True
    noun: ClassVar[str] = "Azure AI Foundry's agents"

    def __init__(self, api: Remote, config: Config | None = None):
        self.api = api
        self.prefix = config.agent_prefix if config is not None else ""

    def models(self) -> Models:
        return deployment_models(self.api)

    # -- writing -------------------------------------------------------------------------------
    def create(self, r: Realise) -> Realised:
        name = agent_name_of(self.prefix, r.address)
        why = name_problem(name)
        if why is not None:
            raise ApplyError(f"{r.address}: {why}")
        body = self._body(r)
        agent = self.api.agent(name, r.address)
        if agent is not None:
            if not self._ours(name, agent, r.marker, r.address):
                raise ApplyError(self._taken(r.address, name, _marker_of(_latest(agent))))
            latest = _latest(agent)
            # An interrupted apply made exactly this version (but a replace makes a new one).
            if self._same(latest, body) and version_id(name, str(latest.get("version"))) != r.replaces:
                return self._realised(name, latest, r.address)
        return self._realised(name, self.api.create_agent_version(name, body, r.address), r.address)

    def update(self, r: Realise, remote_id: str) -> Realised:
        """A new version: the old ones stay. An error answer that may have come after the version
        was made (AnswerLost.status) is settled by the agent's latest version: this body, it is
        the one made; else the version is sent once more."""
        body = self._body(r)
        try:
            version = self.api.create_agent_version(remote_id, body, r.address)
        except AnswerLost as lost:
            agent = self.api.agent(remote_id, r.address) if lost.status is not None else None
            if agent is None:
                raise
            if self._same(_latest(agent), body):
                return self._realised(remote_id, _latest(agent), r.address)
            version = self.api.create_agent_version(remote_id, body, r.address)
        return self._realised(remote_id, version, r.address)

    def adopt(self, r: Realise, remote_id: str) -> Realised:
        agent = self.api.agent(remote_id, r.address)
        return self._realised(remote_id, _latest(agent) if agent is not None else {}, r.address)

    def delete(self, address: str, remote_id: str) -> None:
        """The agent, or of a version id (what a replace deposes: `replaced`) that version only."""
        name, _, version = remote_id.partition(":")
        if version:
            self.api.delete_agent_version(name, version, address)
        else:
            self.api.delete_agent(name, address)

    def _body(self, r: Realise) -> dict[str, Any]:
        try:
            definition = mapping.definition(r.attrs, r.resolve, foundry_tools())
        except mapping.Unmappable as exc:  # the plan checks this: reaching here is a stale plan
            raise ApplyError(
                f"{r.address}: {mapping.unexpressible(where(exc.path), self.name, exc.why)}"
            ) from None
        definition.pop("metadata", None)  # an agent keeps metadata on its version, not its definition
        body: dict[str, Any] = {"definition": {"kind": "prompt", **definition}}
        if r.attrs.get("description") is not None:
            body["description"] = r.attrs["description"]
        body["metadata"] = {**(r.attrs.get("metadata") or {}), norm.MARKER_KEY: r.marker}
        return body

    @staticmethod
    def _same(version: dict[str, Any], body: dict[str, Any]) -> bool:
        return all(version.get(k) == body.get(k) for k in ("definition", "description", "metadata"))

    def _realised(self, name: str, version: dict[str, Any], address: str | None = None) -> Realised:
        """The bookkeeping of an agent version; `address` given, the prefix too when the agent bears
        the name the prefix gives that address (so a new prefix renames it: `renamed`)."""
        agent: dict[str, Any] = {"name": name, "version": version.get("version")}
        if address is not None and name == agent_name_of(self.prefix, address):
            agent["prefix"] = self.prefix
        return Realised(name, {TARGET_KEY: self.name, "agent": agent})

    # -- reading -------------------------------------------------------------------------------
    def read(self, entries: Mapping[str, ResourceState], refs: Refs) -> dict[str, dict[str, Any] | None]:
        """The latest version of each agent: the one state recorded (immutable: as last applied), or
        another one, read back as drift; None where the agent is gone."""
        found = self._agents({rs.remote_id for rs in entries.values() if rs.remote_id})
        out: dict[str, dict[str, Any] | None] = {}
        for addr, rs in entries.items():
            agent = found.get(rs.remote_id) if rs.remote_id else None
            if agent is None:
                out[addr] = None
                continue
            latest = _latest(agent)
            recorded = rs.extra.get("agent")
            if (
                isinstance(recorded, dict)
                and recorded.get("version") == latest.get("version")
                and rs.attributes
            ):
                out[addr] = dict(rs.attributes)
            else:
                out[addr] = self._attributes(latest, rs.attributes.get("name"), functools.partial(refs, addr))
        return out

    def claim(self, lineage: str, wanted: Mapping[str, dict[str, Any]], refs: Refs) -> dict[str, Claim]:
        names = {agent_name_of(self.prefix, a): a for a in wanted}
        out: dict[str, Claim] = {}
        for name, agent in self._agents(set(names)).items():
            addr = names[name]
            if self._ours(name, agent, norm.marker(lineage, addr), addr):
                label = wanted[addr].get("name")
                out[addr] = Claim(
                    name, self._attributes(_latest(agent), label, functools.partial(refs, addr))
                )
            else:
                out[addr] = Claim(name, None, self._taken(addr, name, _marker_of(_latest(agent))))
        return out

    def fetch(self, remote_id: str, address: str, name: str | None, to_addr: Mapping[str, str]) -> Fetched:
        agent = self.api.agent(remote_id, address)
        if agent is None:
            raise RemoteError(f"{address}: there is no agent {remote_id} on {self.api.endpoint_name}")
        latest = _latest(agent)
        attrs = self._attributes(latest, name, lambda rid: to_addr.get(rid, rid))
        return Fetched(attrs, self._realised(remote_id, latest), _marker_of(latest))

    def _agents(self, names: set[str]) -> dict[str, dict[str, Any]]:
        """The agents of these names that exist: one GET each for a few, else the cursor pages
        of the agents list (stopping once all are found)."""
        if len(names) <= GETS_AT_MOST:
            got = {n: self.api.agent(n, f"agent {n}") for n in sorted(names)}
            return {n: a for n, a in got.items() if a is not None}
        out: dict[str, dict[str, Any]] = {}
        for page in self.api.pages("agents"):
            out.update({a["name"]: a for a in page if isinstance(a, dict) and a.get("name") in names})
            if len(out) == len(names):
                break
        return out

    def _ours(self, name: str, agent: dict[str, Any], marker: str, address: str) -> bool:
        """Whether one of the agent's versions carries our marker (the latest first: one request)."""
        if _marker_of(_latest(agent)) == marker:
            return True
        return any(_marker_of(v) == marker for page in self.api.agent_versions(name, address) for v in page)

    @staticmethod
    def _taken(address: str, name: str, mark: str | None) -> str:
        holder = f" (it carries the marker of another assistplan state: {mark})" if mark else ""
        return Message(
            f"{address}: a Foundry agent named {name!r} already exists and this state did not make it"
            f"{holder}; assistplan never changes or deletes an agent it does not manage: take it over with `",
            command("import", address, name),
            "` (the next apply adds a version), or set provider.agent_prefix so that yours are named apart",
        )

    @staticmethod
    def _attributes(version: dict[str, Any], name: str | None, to_addr: Any) -> dict[str, Any]:
        metadata, _ = norm.split_marker(
            version.get("metadata") if isinstance(version.get("metadata"), dict) else None
        )
        labels = {"name": name, "description": version.get("description"), "metadata": metadata}
        definition = version.get("definition")
        return mapping.attributes(definition if isinstance(definition, dict) else {}, labels, to_addr)

    def listed(self) -> list[dict[str, Any]] | None:
        """The project's agents, each as its latest version (`as_assistant`)."""
        return [as_assistant(a, self.prefix) for page in self.api.pages("agents") for a in page]

    @classmethod
    def onboarded(cls, listed: dict[str, Any]) -> dict[str, Any]:
        return {TARGET_KEY: cls.name, "agent": {"name": listed["id"], "version": listed["agent_version"]}}

    # -- describing ----------------------------------------------------------------------------
    @classmethod
    def native_tools(cls) -> frozenset[str]:
        return foundry_tools()

    @classmethod
    def entry_problems(cls, spec: dict[str, Any], foreign: frozenset[str]) -> list[tuple[Path, str]]:
        return mapping.problems(spec, foundry_tools() | foreign)

    @classmethod
    def config_problems(cls, data: dict[str, Any]) -> list[tuple[Path, str]]:
        return name_problems(data)

    @classmethod
    def provider_problems(cls, provider: dict[str, Any]) -> list[tuple[str, str]]:
        why = "target foundry takes provider.project_endpoint (files and vector stores: its /openai/v1)"
        return [("base_url", why)] if "base_url" in provider else []

    @classmethod
    def problems(cls, attrs: dict[str, Any]) -> list[str]:
        try:
            mapping.definition(attrs, lambda ref: ref, foundry_tools())
        except mapping.Unmappable as exc:
            return [mapping.unexpressible(where(exc.path), cls.name, exc.why)]
        return []

    @classmethod
    def renamed(cls, config: Config, rs: ResourceState) -> str | None:
        """A working agent named by the prefix is renamed by a new prefix; a release snapshot keeps
        its name (frozen), and so does an agent imported under a name of its own."""
        agent = rs.extra.get("agent")
        if "@" in rs.address or not isinstance(agent, dict) or agent.get("prefix") is None:
            return None
        name = agent_name_of(config.agent_prefix, rs.address)
        return name if name != rs.remote_id else None

    @classmethod
    def replaced(cls, config: Config, rs: ResourceState) -> str | None:
        """An agent whose name stays is not deleted by its replace: the new version lives under
        that name, and the version state recorded is what goes. Under a new name, the old agent goes."""
        if rs.remote_id is None or agent_name_of(config.agent_prefix, rs.address) != rs.remote_id:
            return rs.remote_id
        agent = rs.extra.get("agent")
        version = agent.get("version") if isinstance(agent, dict) else None
        return version_id(rs.remote_id, str(version)) if version is not None else None

    @classmethod
    def current_ids(cls, rs: ResourceState) -> frozenset[str]:
        """The agent and the version state records: a deposed id of the same agent may be an older
        version, never this one (the agent lives in it)."""
        if rs.remote_id is None:
            return frozenset()
        agent = rs.extra.get("agent")
        version = agent.get("version") if isinstance(agent, dict) else None
        if version is None:
            return frozenset({rs.remote_id})
        return frozenset({rs.remote_id, version_id(rs.remote_id, str(version))})

    @classmethod
    def describe(cls, rs: ResourceState) -> dict[str, Any]:
        agent = rs.extra.get("agent")
        if not isinstance(agent, dict):
            agent = {"name": rs.remote_id, "version": None}
        return {"target": cls.name, "agent": {"name": agent.get("name"), "version": agent.get("version")}}

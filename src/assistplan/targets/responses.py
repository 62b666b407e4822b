"""`target: responses`: an assistant is a *definition*, the parameters of a `POST /v1/responses`
call (OpenAI keeps no server-side assistant since the 2026 sunset). It lives in state and is
published through `output` and `assistplan.published`; planning and applying it makes no API
call. Its id is fixed by the lineage and address; `revision` changes with its content."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from assistplan.config.messages import where
from assistplan.config.model import Config
from assistplan.errors import ApplyError
from assistplan.state.model import ResourceState
from assistplan.targets import mapping
from assistplan.targets.base import (
    TARGET_KEY,
    Claim,
    Fetched,
    Models,
    OwnIds,
    Path,
    Realise,
    Realised,
    Refs,
    openai_endpoint_settings,
)
from assistplan.targets.models import endpoint_models

if TYPE_CHECKING:
    from assistplan.remote.api import Remote

ID_PREFIX = "def_"


def definition_id(lineage: str, address: str) -> str:
    """Stable for an address within one state lineage (replacing it keeps the id)."""
    return ID_PREFIX + hashlib.sha256(f"{lineage}:{address}".encode()).hexdigest()[:24]


def revision(definition: dict[str, Any], labels: dict[str, Any]) -> str:
    """A digest of everything the definition says, labels included."""
    text = json.dumps({"definition": definition, "labels": labels}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ResponsesTarget(OwnIds):
    name: ClassVar[str] = "responses"
    remote: ClassVar[bool] = False
    collection: ClassVar[str | None] = None
    versioned: ClassVar[bool] = False
    project_agents: ClassVar[bool] = False
    noun: ClassVar[str] = "Responses definitions"

    def __init__(self, api: Remote | None = None, config: Config | None = None):
        del config
        self.api = api  # only to list models: a definition is not a remote object

    def create(self, r: Realise) -> Realised:
        return self._realise(r, definition_id(r.lineage, r.address))

    def update(self, r: Realise, remote_id: str) -> Realised:
        return self._realise(r, remote_id)

    def adopt(self, r: Realise, remote_id: str) -> Realised:
        return self._realise(r, remote_id)

    def delete(self, address: str, remote_id: str) -> None:
        """Nothing remote to delete: applications holding the definition keep their copy."""

    def read(self, entries: Mapping[str, ResourceState], refs: Refs) -> dict[str, dict[str, Any] | None]:
        """Definitions live in state: they are as last applied (what they reference is refreshed)."""
        return {a: dict(rs.attributes) if rs.remote_id else None for a, rs in entries.items()}

    def claim(self, lineage: str, wanted: Mapping[str, dict[str, Any]], refs: Refs) -> dict[str, Claim]:
        return {}  # nothing remote holds an identity

    def fetch(self, remote_id: str, address: str, name: str | None, to_addr: Mapping[str, str]) -> Fetched:
        raise NotImplementedError(f"target {self.name}: its assistants are not imported through the seam")

    def models(self) -> Models:
        """A definition is sent to `POST /responses` on the same endpoint: its models."""
        if self.api is None:
            return Models(None, "no endpoint", "")  # never: the engine passes its Remote
        return endpoint_models(self.api)

    def listed(self) -> list[dict[str, Any]] | None:
        return None  # found in the endpoint's assistants collection, declared (not imported)

    @classmethod
    def onboarded(cls, listed: dict[str, Any]) -> dict[str, Any]:
        return {}  # never imported: the next apply realises the declaration

    @classmethod
    def native_tools(cls) -> frozenset[str]:
        return frozenset()

    @classmethod
    def entry_problems(cls, spec: dict[str, Any], foreign: frozenset[str]) -> list[tuple[Path, str]]:
        return mapping.problems(spec, foreign)

    @classmethod
    def config_problems(cls, data: dict[str, Any]) -> list[tuple[Path, str]]:
        return []

    @classmethod
    def provider_problems(cls, provider: dict[str, Any]) -> list[tuple[str, str]]:
        why = "only with target assistants (Azure's classic agents) or foundry"
        return openai_endpoint_settings(provider, {"api_version": why})

    @classmethod
    def problems(cls, attrs: dict[str, Any]) -> list[str]:
        try:
            mapping.definition(attrs, lambda ref: ref)
        except mapping.Unmappable as exc:
            return [mapping.unexpressible(where(exc.path), cls.name, exc.why)]
        return []

    @classmethod
    def describe(cls, rs: ResourceState) -> dict[str, Any]:
        attrs = rs.attributes
        out: dict[str, Any] = {"target": cls.name, "revision": rs.extra.get("revision")}
        out["name"] = attrs.get("name")
        if attrs.get("description") is not None:
            out["description"] = attrs["description"]
        out["definition"] = rs.extra.get("definition")
        return out

    def _realise(self, r: Realise, def_id: str) -> Realised:
        try:
            body = mapping.definition(r.attrs, r.resolve)
        except mapping.Unmappable as exc:  # the plan checks this: reaching here is a stale plan
            raise ApplyError(
                f"{r.address}: {mapping.unexpressible(where(exc.path), self.name, exc.why)}"
            ) from None
        labels = {"name": r.attrs.get("name"), "description": r.attrs.get("description")}
        return Realised(
            def_id, {TARGET_KEY: self.name, "definition": body, "revision": revision(body, labels)}
        )

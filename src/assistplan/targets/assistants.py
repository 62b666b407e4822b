"""`target: assistants`: an assistant is a remote Assistants-v2 object (our sandbox, compatible
servers). The engine's reader refreshes them with files and vector stores (`collection`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from assistplan.config.model import Config
from assistplan.remote import normalize as norm
from assistplan.state.model import ResourceState
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
from assistplan.targets.models import deployment_models, endpoint_models

if TYPE_CHECKING:
    from assistplan.remote.api import Remote


class AssistantsTarget(OwnIds):
    name: ClassVar[str] = "assistants"
    remote: ClassVar[bool] = True
    collection: ClassVar[str | None] = "assistant"
    versioned: ClassVar[bool] = False
    project_agents: ClassVar[bool] = False
    noun: ClassVar[str] = "Assistants API objects"

    def __init__(self, api: Remote, config: Config | None = None):
        self.api = api
        # Azure's classic agents (an api_version): `model` names one of the project's deployments.
        self.azure = config is not None and config.api_version is not None

    def create(self, r: Realise) -> Realised:
        params = norm.assistant_params(r.attrs, r.resolve, r.marker)
        obj = self.api.create("assistant", params, r.address)
        return Realised(str(obj["id"]), {TARGET_KEY: self.name})

    def update(self, r: Realise, remote_id: str) -> Realised:
        params = norm.assistant_params(r.attrs, r.resolve, r.marker)
        self.api.update("assistant", remote_id, params, r.address)
        return Realised(remote_id, {TARGET_KEY: self.name})

    def adopt(self, r: Realise, remote_id: str) -> Realised:
        return Realised(remote_id, {TARGET_KEY: self.name})

    def delete(self, address: str, remote_id: str) -> None:
        self.api.delete("assistant", remote_id, address)

    def read(self, entries: Mapping[str, ResourceState], refs: Refs) -> dict[str, dict[str, Any] | None]:
        raise NotImplementedError("assistants are read with the other OpenAI collections")

    def claim(self, lineage: str, wanted: Mapping[str, dict[str, Any]], refs: Refs) -> dict[str, Claim]:
        return {}  # ids are the API's: the reader scans the collection for our marker instead

    def fetch(self, remote_id: str, address: str, name: str | None, to_addr: Mapping[str, str]) -> Fetched:
        raise NotImplementedError(f"target {self.name}: its assistants are not imported through the seam")

    def models(self) -> Models:
        return deployment_models(self.api) if self.azure else endpoint_models(self.api)

    def listed(self) -> list[dict[str, Any]] | None:
        return None  # the endpoint's assistants collection

    @classmethod
    def onboarded(cls, listed: dict[str, Any]) -> dict[str, Any]:
        return {}

    @classmethod
    def native_tools(cls) -> frozenset[str]:
        return frozenset()

    @classmethod
    def problems(cls, attrs: dict[str, Any]) -> list[str]:
        return []  # an Assistants object takes every attribute of the config

    @classmethod
    def entry_problems(cls, spec: dict[str, Any], foreign: frozenset[str]) -> list[tuple[Path, str]]:
        return []

    @classmethod
    def config_problems(cls, data: dict[str, Any]) -> list[tuple[Path, str]]:
        return []

    @classmethod
    def provider_problems(cls, provider: dict[str, Any]) -> list[tuple[str, str]]:
        if provider.get("api_version"):  # Azure's classic agents: a project endpoint is theirs
            return openai_endpoint_settings(provider, {})
        why = "only with target: foundry, or with api_version (Azure's classic agents)"
        return openai_endpoint_settings(provider, {"project_endpoint": why})

    @classmethod
    def describe(cls, rs: ResourceState) -> dict[str, Any]:
        return {"target": cls.name}

"""The typed, frozen config model. The loader builds it; everything downstream only reads it.

References between resources are by resource name (validated by the loader: every name
used here exists in the same Config). Optional API fields that the user did not set are
None (or empty), meaning "leave at the server default".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistplan.errors import Diagnostic

DEFAULT_TARGET = "assistants"  # provider.target when the config sets none


@dataclass(frozen=True)
class Pos:
    """1-based line and column of a node; `file` names the file when it is not the config itself
    (an environment's overlay, `assistants.prod.yaml`)."""

    line: int
    col: int
    file: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """`files.NAME`: either a local `path` (uploaded, owned) or an existing remote `id` (referenced only)."""

    name: str
    pos: Pos
    path: Path | None = None  # absolute, resolved, guaranteed inside the config folder
    rel_path: str | None = None  # as written in the config, for display
    id: str | None = None
    purpose: str = "assistants"
    prevent_destroy: bool = False

    @property
    def external(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class VectorStoreSpec:
    """`vector_stores.NAME`. `display_name` is the API's `name` (defaults to the resource name)."""

    name: str
    pos: Pos
    display_name: str
    files: tuple[str, ...] = ()  # names of FileSpecs
    description: str | None = None
    chunking_strategy: dict[str, Any] | None = None
    expires_after: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    prevent_destroy: bool = False


@dataclass(frozen=True)
class AssistantSpec:
    """`assistants.NAME`. Tool resources hold resource names; the engine maps them to ids."""

    name: str
    pos: Pos
    model: str
    display_name: str  # the API's `name` (defaults to the resource name)
    model_pos: Pos | None = None  # where `model` is written (checked against the endpoint at plan time)
    description: str | None = None
    instructions: str | None = None  # inline text, or the text read from instructions_file
    tools: tuple[dict[str, Any], ...] = ()
    code_interpreter_files: tuple[str, ...] = ()  # names of FileSpecs
    file_search_vector_stores: tuple[str, ...] = ()  # names of VectorStoreSpecs (at most 1)
    temperature: float | None = None
    top_p: float | None = None
    response_format: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    prevent_destroy: bool = False


@dataclass(frozen=True)
class NodeSpec:
    """A pipeline node: an assistant node (`assistant` set, type "assistant") or a free node."""

    name: str
    type: str
    assistant: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineSpec:
    name: str
    pos: Pos
    nodes: tuple[NodeSpec, ...] = ()


@dataclass(frozen=True)
class ReleaseSpec:
    version: int
    description: str | None = None
    # Where it is written (checked against state at plan time); not part of what it is.
    pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ExperimentSpec:
    """Exactly one of `assistant` / `pipeline` is set. `published` is one of the releases' versions."""

    name: str
    pos: Pos
    assistant: str | None = None
    pipeline: str | None = None
    releases: tuple[ReleaseSpec, ...] = ()
    published: int | None = None
    published_pos: Pos | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StateConfig:
    backend: str = "local"  # local | postgres
    path: Path | None = None  # local: state file (default DIR/.assistplan/state.json)
    workspace: str = "default"  # postgres: separates configs sharing a database


@dataclass(frozen=True)
class DanglingRef:
    """A pipeline or experiment naming an assistant/pipeline the config no longer declares.

    Only a plan can judge it: when state still holds `target`, the user is removing it and
    the guard lists `consumer` as a live consumer; otherwise `diagnostic` is the error.
    """

    consumer: str  # e.g. "experiment.hr-pilot"
    target: str  # e.g. "assistant.hr-bot"
    diagnostic: Diagnostic


@dataclass(frozen=True)
class Config:
    """A loaded, validated config. Mappings keep the file's order."""

    path: Path  # absolute path of assistants.yaml
    digest: str  # sha256 over the config and every file it reads text from (instructions_file)
    version: int = 1
    base_url: str | None = None
    target: str = DEFAULT_TARGET  # provider.target: how assistants are realised (see assistplan.targets)
    project_endpoint: str | None = None  # provider.project_endpoint: an Azure AI Foundry project
    agent_prefix: str = ""  # provider.agent_prefix: target foundry's agents are named prefix + name
    api_version: str | None = None  # provider.api_version: Azure's api-version (classic agents; foundry)
    state: StateConfig = field(default_factory=StateConfig)
    files: dict[str, FileSpec] = field(default_factory=dict)
    vector_stores: dict[str, VectorStoreSpec] = field(default_factory=dict)
    assistants: dict[str, AssistantSpec] = field(default_factory=dict)
    pipelines: dict[str, PipelineSpec] = field(default_factory=dict)
    experiments: dict[str, ExperimentSpec] = field(default_factory=dict)
    dangling: tuple[DanglingRef, ...] = ()
    environments: tuple[str, ...] = ()  # declared in the base config
    environment: str | None = None  # the one selected (`--env`): its overlay is merged in
    # What the environment's overlay removed with `null`: document path -> where the `null` is.
    removed: dict[tuple[str | int, ...], Pos] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return self.path.parent

    def diagnostic(self, pos: Pos, message: str) -> Diagnostic:
        """A problem found after loading (against state or the endpoint), at `pos`: in the file
        `pos` names (an environment's overlay), else in the config as the user would name it."""
        shown = pos.file
        if shown is None:
            rel = os.path.relpath(self.path)
            shown = str(self.path) if rel.startswith("..") else rel
        return Diagnostic(shown, pos.line, pos.col, message)

    @property
    def state_path(self) -> Path:
        """The local state file (the backend `local`)."""
        return self.state.path or self.dir / ".assistplan" / "state.json"

"""Build the frozen model from data that passed the schema and the semantic checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistplan.config.checks import Checked
from assistplan.config.model import (
    DEFAULT_TARGET,
    AssistantSpec,
    Config,
    ExperimentSpec,
    FileSpec,
    NodeSpec,
    PipelineSpec,
    Pos,
    ReleaseSpec,
    StateConfig,
    VectorStoreSpec,
)
from assistplan.config.yaml_positions import Document


def _prevent_destroy(spec: dict[str, Any]) -> bool:
    return bool(spec.get("lifecycle", {}).get("prevent_destroy", False))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def build_config(doc: Document, checked: Checked, config_path: Path, digest: str) -> Config:
    data: dict[str, Any] = doc.data

    def pos(*path: str | int) -> Pos:
        # A resource is where its name is written (`hr-bot:`), as Terraform points at the block header.
        return doc.key_pos(path)

    files = {
        name: FileSpec(
            name=name,
            pos=pos("files", name),
            path=checked.file_paths.get(name),
            rel_path=spec.get("path"),
            id=spec.get("id"),
            purpose=spec.get("purpose", "assistants"),
            prevent_destroy=_prevent_destroy(spec),
        )
        for name, spec in data.get("files", {}).items()
    }
    vector_stores = {
        name: VectorStoreSpec(
            name=name,
            pos=pos("vector_stores", name),
            display_name=spec.get("name", name),
            files=tuple(spec.get("files", ())),
            description=spec.get("description"),
            chunking_strategy=spec.get("chunking_strategy"),
            expires_after=spec.get("expires_after"),
            metadata=dict(spec.get("metadata", {})),
            prevent_destroy=_prevent_destroy(spec),
        )
        for name, spec in data.get("vector_stores", {}).items()
    }
    assistants = {
        name: _assistant(name, spec, pos("assistants", name), checked, doc.pos(("assistants", name, "model")))
        for name, spec in data.get("assistants", {}).items()
    }
    pipelines = {
        name: PipelineSpec(
            name=name,
            pos=pos("pipelines", name),
            nodes=tuple(
                NodeSpec(
                    name=node["name"],
                    type="assistant" if "assistant" in node else node["type"],
                    assistant=node.get("assistant"),
                    params=dict(node.get("params", {})),
                )
                for node in spec["nodes"]
            ),
        )
        for name, spec in data.get("pipelines", {}).items()
    }
    experiments = {
        name: ExperimentSpec(
            name=name,
            pos=pos("experiments", name),
            assistant=spec.get("assistant"),
            pipeline=spec.get("pipeline"),
            releases=tuple(
                _release(r, doc.pos(("experiments", name, "releases", i)))
                for i, r in enumerate(spec.get("releases", ()))
            ),
            published=None if spec.get("published") is None else int(spec["published"]),
            published_pos=doc.pos(("experiments", name, "published")) if "published" in spec else None,
        )
        for name, spec in data.get("experiments", {}).items()
    }
    state = data.get("state", {})
    provider = data.get("provider", {})
    return Config(
        path=config_path,
        digest=digest,
        version=int(data["version"]),
        base_url=provider.get("base_url"),
        target=provider.get("target", DEFAULT_TARGET),
        project_endpoint=provider.get("project_endpoint"),
        agent_prefix=provider.get("agent_prefix", ""),
        api_version=provider.get("api_version"),
        state=StateConfig(
            backend=state.get("backend", "local"),
            path=checked.state_path,
            workspace=state.get("workspace", "default"),
        ),
        files=files,
        vector_stores=vector_stores,
        assistants=assistants,
        pipelines=pipelines,
        experiments=experiments,
        environments=tuple(data.get("environments", ())),
    )


def _assistant(name: str, spec: dict[str, Any], pos: Pos, checked: Checked, model_pos: Pos) -> AssistantSpec:
    resources = spec.get("tool_resources", {})
    instructions = spec.get("instructions")
    if name in checked.instructions:
        instructions = checked.instructions[name][0]
    return AssistantSpec(
        name=name,
        pos=pos,
        model=spec["model"],
        model_pos=model_pos,
        display_name=spec.get("name", name),
        description=spec.get("description"),
        instructions=instructions,
        tools=tuple(spec.get("tools", ())),
        code_interpreter_files=tuple(resources.get("code_interpreter", {}).get("files", ())),
        file_search_vector_stores=tuple(resources.get("file_search", {}).get("vector_stores", ())),
        temperature=_float(spec.get("temperature")),
        top_p=_float(spec.get("top_p")),
        response_format=spec.get("response_format"),
        reasoning_effort=spec.get("reasoning_effort"),
        metadata=dict(spec.get("metadata", {})),
        prevent_destroy=_prevent_destroy(spec),
    )


def _release(release: int | float | dict[str, Any], pos: Pos) -> ReleaseSpec:
    if isinstance(release, dict):
        return ReleaseSpec(version=int(release["version"]), description=release.get("description"), pos=pos)
    return ReleaseSpec(version=int(release), pos=pos)

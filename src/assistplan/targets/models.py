"""What `model` may name on a target's endpoint (the plan checks names against it before any
change, see plan/model_names.py): an OpenAI-protocol endpoint's model list, or, on Azure (a Foundry
project or its classic agents), the project's model deployments, whose names `model` holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistplan.targets.base import Models

if TYPE_CHECKING:
    from assistplan.remote.api import Remote

SANDBOX = "sandbox"
OPENAI_PATH = "/openai/v1"  # a Foundry project's files and vector stores live under it


def endpoint_models(api: Remote) -> Models:
    """`GET /models` (None when the endpoint lists none)."""
    ids = api.model_ids()
    where = "the sandbox" if api.endpoint_name == SANDBOX else api.endpoint_name
    return Models(None if ids is None else frozenset(ids), where, f"a model {where} serves (GET /models)")


def deployment_models(api: Remote) -> Models:
    """The project's model deployments (`GET /deployments`)."""
    project = api.endpoint_name.removesuffix(OPENAI_PATH)
    return Models(
        frozenset(api.deployments()), f"project {project}", f"a model deployment of project {project}"
    )

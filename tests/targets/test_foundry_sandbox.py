"""The sandbox speaks Foundry: Microsoft's own client (`azure-ai-projects`) drives the agents routes
of `assistplan sandbox serve` over loopback, the way the `openai` SDK drives the OpenAI paths.

Over plain http azure-core sends a bearer token only when a call passes `enforce_https=False`
(foundry-contract/CONTRACT.md, wire facts): every call here does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from azure.ai.projects import AIProjectClient
from azure.ai.projects.models import PromptAgentDefinition
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.policies import SansIOHTTPPolicy

from assistplan.remote.api import connect
from assistplan.remote.client import resolve_endpoint
from assistplan.targets import TARGETS
from tests.sandbox.helpers import served_process

HTTP = {"enforce_https": False}
TOKEN = "test-entra-token"


class FakeCredential:
    """A credential that never leaves the process (no chain probes the network in tests)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`assistplan sandbox serve` in a child process; its origin (http://127.0.0.1:PORT)."""
    with served_process(tmp_path_factory.mktemp("foundry") / "data") as url:
        yield url.removesuffix("/v1")


def project(origin: str, name: str) -> AIProjectClient:
    return AIProjectClient(endpoint=f"{origin}/api/projects/{name}", credential=FakeCredential())


def prompt(instructions: str, model: str = "gpt-4.1") -> PromptAgentDefinition:
    return PromptAgentDefinition(model=model, instructions=instructions)


def test_versions_are_numbered_and_kept_and_get_shows_the_latest(served: str) -> None:
    agents = project(served, "versions").agents
    first = agents.create_version("helpdesk", definition=prompt("Be brief."), **HTTP)
    second = agents.create_version("helpdesk", definition=prompt("Be briefer."), description="v2", **HTTP)
    assert (first.version, second.version) == ("1", "2")
    assert (first.name, first.object, first.status) == ("helpdesk", "agent.version", "active")
    latest = agents.get("helpdesk", **HTTP).versions.latest
    assert (latest.version, latest.definition["instructions"], latest.description) == (
        "2",
        "Be briefer.",
        "v2",
    )
    assert agents.get_version("helpdesk", "1", **HTTP).definition["instructions"] == "Be brief."
    assert [v.version for v in agents.list_versions("helpdesk", **HTTP)] == ["2", "1"]
    assert agents.get_version("helpdesk", "1", **HTTP).metadata == {}  # always an object


def test_the_list_pages_through_25_agents_once(served: str) -> None:
    agents = project(served, "paging").agents
    made = {f"agent-{i:02d}" for i in range(25)}
    for name in sorted(made):
        agents.create_version(name, definition=prompt(name), **HTTP)
    listed = [a.name for a in agents.list(limit=10, **HTTP)]  # three pages, then the empty one
    assert sorted(listed) == sorted(made)
    assert listed == sorted(made, reverse=True)  # newest first, each once
    oldest_first = [a.name for a in agents.list(limit=7, order="asc", **HTTP)]
    assert oldest_first == sorted(made)


def test_deletes_answer_deleted_and_then_404(served: str) -> None:
    agents = project(served, "deletes").agents
    agents.create_version("faq", definition=prompt("one"), **HTTP)
    agents.create_version("faq", definition=prompt("two"), **HTTP)
    gone = agents.delete_version("faq", "1", **HTTP)
    assert (gone.object, gone.name, gone.version, gone.deleted) == ("agent.version.deleted", "faq", "1", True)
    with pytest.raises(ResourceNotFoundError):
        agents.get_version("faq", "1", **HTTP)
    assert agents.get("faq", **HTTP).versions.latest.version == "2"
    deleted = agents.delete("faq", **HTTP)
    assert (deleted.object, deleted.name, deleted.deleted) == ("agent.deleted", "faq", True)
    with pytest.raises(ResourceNotFoundError):
        agents.get("faq", **HTTP)
    with pytest.raises(ResourceNotFoundError):
        agents.get_version("faq", "2", **HTTP)


def test_a_bad_name_and_a_definition_without_a_model_are_400(served: str) -> None:
    agents = project(served, "invalid").agents
    with pytest.raises(HttpResponseError) as bad_name:
        agents.create_version("Bad_Name!", definition=prompt("x"), **HTTP)
    assert bad_name.value.status_code == 400 and "Bad_Name!" in str(bad_name.value)
    with pytest.raises(HttpResponseError) as too_long:
        agents.create_version("a" * 64, definition=prompt("x"), **HTTP)
    assert too_long.value.status_code == 400
    with pytest.raises(HttpResponseError) as no_model:
        agents.create_version(
            "no-model", body={"definition": {"kind": "prompt", "instructions": "x"}}, **HTTP
        )
    assert no_model.value.status_code == 400 and "definition.model" in str(no_model.value)
    with pytest.raises(ResourceNotFoundError):
        agents.get("no-model", **HTTP)  # refused requests change nothing


def test_no_authorization_is_401(served: str) -> None:
    response = httpx2.get(f"{served}/api/projects/auth/agents", params={"api-version": "v1"})
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message"}
    # Microsoft's client with its bearer-token policy swapped for one that adds nothing.
    anonymous = AIProjectClient(
        endpoint=f"{served}/api/projects/auth",
        credential=FakeCredential(),
        authentication_policy=SansIOHTTPPolicy(),
    )
    with pytest.raises(ClientAuthenticationError) as refused:
        anonymous.agents.get("anyone")
    assert refused.value.status_code == 401


def test_projects_are_apart_and_files_live_under_openai_v1(served: str) -> None:
    one, other = project(served, "one"), project(served, "other")
    one.agents.create_version("shared-name", definition=prompt("in one"), **HTTP)
    with pytest.raises(ResourceNotFoundError):
        other.agents.get("shared-name", **HTTP)
    files = one.get_openai_client()  # `{project}/openai/v1`, the same bearer token
    made = files.files.create(file=("faq.md", b"# FAQ\n"), purpose="assistants")
    store = files.vector_stores.create(name="FAQ", file_ids=[made.id])
    assert [f.id for f in files.files.list().data] == [made.id]
    assert other.get_openai_client().files.list().data == []
    tool = {"type": "file_search", "vector_store_ids": [store.id]}
    version = one.agents.create_version(
        "searcher", body={"definition": {"kind": "prompt", "model": "gpt-4.1", "tools": [tool]}}, **HTTP
    )
    assert version.definition["tools"][0]["vector_store_ids"] == [store.id]
    with pytest.raises(HttpResponseError) as unknown:
        other.agents.create_version(
            "searcher", body={"definition": {"kind": "prompt", "model": "gpt-4.1", "tools": [tool]}}, **HTTP
        )
    assert unknown.value.status_code == 400 and store.id in str(unknown.value)


def test_the_project_lists_its_model_deployments(served: str) -> None:
    names = [d.name for d in project(served, "models").deployments.list(**HTTP)]
    assert {"gpt-4.1", "gpt-4.1-mini"} <= set(names)


def test_every_agents_call_is_counted(served: str, tmp_path: Path) -> None:
    httpx2.post(f"{served}/_sandbox/stats/reset")
    agents = project(served, "stats").agents
    agents.create_version("counted", definition=prompt("x"), **HTTP)
    agents.get("counted", **HTTP)
    requests = httpx2.get(f"{served}/_sandbox/stats").json()["requests"]
    assert requests == {
        "POST /api/projects/{project}/agents/{agent_name}/versions": 1,
        "GET /api/projects/{project}/agents/{agent_name}": 1,
    }


@pytest.mark.parametrize(("target", "api_version"), [("foundry", None), ("assistants", "2025-05-15-preview")])
def test_the_model_check_s_list_on_azure_is_the_project_s_deployments(
    tmp_path: Path, target: str, api_version: str | None
) -> None:
    """`Remote.deployments()`: the names `model` may hold on a Foundry project or its classic agents."""
    endpoint = resolve_endpoint(
        sandbox=True,
        base_url=None,
        config_base_url=None,
        config_dir=tmp_path,
        target=target,
        project_agents=TARGETS[target].project_agents,
        api_version=api_version,
    )
    assert {"gpt-4.1", "gpt-4.1-mini"} <= set(connect(endpoint).deployments())

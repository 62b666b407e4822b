"""Model names are checked at plan time against the endpoint's model list (`GET /v1/models`, one
request for the run), with a did-you-mean at the `model:` line and exit 1 before any change;
after the offline checks, which stay offline; `validate` never asks. An endpoint without a model
list gets a warning, not a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from assistplan.sandbox import SANDBOX_BASE_URL, http_client, make_app
from tests.e2e.conftest import Project, copy_example, run_installed
from tests.sandbox.helpers import loopback_app
from tests.targets.openapi import validator

TYPO = (
    "assistants.yaml:{line}:12: assistants.hr-bot.model: 'gpt4.1-minii' is not a model the sandbox serves "
    "(GET /models); did you mean 'gpt-4.1-mini'?"
)


def _stats(p: Project, reset: bool = False) -> dict[str, int]:
    client = http_client(p.root / ".assistplan" / "sandbox")
    if reset:
        client.post("/_sandbox/stats/reset")
    return dict(client.get("/_sandbox/stats").json()["requests"])


@pytest.fixture
def hr(make_project) -> Project:
    p = make_project("hr-bot")
    _stats(p, reset=True)
    return p


def _line_of(p: Project, text: str) -> int:
    return next(i for i, line in enumerate(p.config.read_text().splitlines(), 1) if text in line)


def test_a_mistyped_model_is_refused_before_any_change(hr: Project) -> None:
    hr.edit("model: gpt-4.1", "model: gpt4.1-minii")
    expected = TYPO.format(line=_line_of(hr, "gpt4.1-minii"))
    for args in (("plan",), ("apply", "--auto-approve")):
        r = hr.run(*args)
        assert r.code == 1 and r.err == expected + "\n", r.err
        assert r.out == ""
    doc = hr.run("plan", "--json")
    assert doc.code == 1 and doc.json()["errors"] == [expected] and doc.json()["errored"] is True
    assert _stats(hr) == {"GET /v1/models": 3}  # one request per run, and nothing else: no change
    assert not (hr.root / ".assistplan" / "state.json").exists()


def test_a_mistyped_model_in_an_overlay_is_reported_in_the_overlay(make_project) -> None:
    p = make_project("support-envs")
    p.edit("model: gpt-4.1\n", "model: gpt-4.1-mnii\n", file="assistants.prod.yaml")
    line = next(
        i for i, t in enumerate((p.root / "assistants.prod.yaml").read_text().splitlines(), 1) if "mnii" in t
    )
    r = p.run("--env", "prod", "plan")
    assert r.code == 1
    assert r.err == (
        f"assistants.prod.yaml:{line}:12: assistants.support-bot.model: 'gpt-4.1-mnii' is not a model the "
        "sandbox serves (GET /models); did you mean 'gpt-4.1-mini'?\n"
    )
    p.ok("--env", "staging", "plan")  # staging runs the base file alone: its models are served


def test_models_already_applied_cost_no_request(hr: Project) -> None:
    hr.ok("apply", "--auto-approve")
    assert _stats(hr)["GET /v1/models"] == 1
    _stats(hr, reset=True)
    assert hr.run("plan", "--detailed-exitcode").code == 0
    assert "GET /v1/models" not in _stats(hr)  # a no-op plan sends no model name
    hr.edit("model: gpt-4.1", "model: gpt-4.1-mini")
    r = hr.run("plan", "--detailed-exitcode")
    assert r.code == 2 and '~ model = "gpt-4.1" -> "gpt-4.1-mini"' in " ".join(r.out.split())
    assert _stats(hr)["GET /v1/models"] == 1
    hr.edit("model: gpt-4.1-mini", "model: gpt-5-mimi")
    r = hr.run("plan")
    assert r.code == 1 and "'gpt-5-mimi' is not a model the sandbox serves" in r.err
    assert "did you mean 'gpt-5-mini'?" in r.err


def test_offline_errors_stay_offline(hr: Project) -> None:
    hr.edit("model: gpt-4.1", "model: gpt4.1-minii")
    hr.edit("temperature: 0.2", "temperature: 7")
    r = hr.run("plan")
    assert r.code == 1 and "temperature" in r.err and "gpt4.1-minii" not in r.err
    v = hr.run("validate")
    assert v.code == 1 and "gpt4.1-minii" not in v.err
    hr.edit("temperature: 7", "temperature: 0.2")
    assert hr.run("validate").code == 0  # validate never asks the endpoint
    assert _stats(hr) == {}


def test_the_state_binding_is_checked_before_the_models(hr: Project) -> None:
    hr.ok("apply", "--auto-approve")
    hr.edit("model: gpt-4.1", "model: gpt4.1-minii")
    with served(hr.root.parent / "served", models=True) as url:
        r = run_installed("--base-url", url, "plan", cwd=hr.root, env={"OPENAI_API_KEY": "sk-test"})
        assert r.returncode == 1 and "belongs to endpoint sandbox" in r.stderr
        assert "gpt4.1-minii" not in r.stderr
        assert httpx2.get(url.removesuffix("/v1") + "/_sandbox/stats").json()["total"] == 0


class NoModels:
    """A compatible server without a model list: the sandbox, answering 404 on /v1/models."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"].startswith("/v1/models"):
            start_response("404 Not Found", [("content-type", "application/json")])
            return [json.dumps({"error": {"message": "Not found", "type": "invalid_request_error"}}).encode()]
        return self.app(environ, start_response)


def served(data: Path, *, models: bool) -> AbstractContextManager[str]:
    """The sandbox on loopback; `models` False: without a model list."""
    app = make_app(data)
    return loopback_app(app if models else NoModels(app))


def test_an_endpoint_without_a_model_list_gets_a_warning_not_a_refusal(tmp_path: Path) -> None:
    root = copy_example("hr-bot", tmp_path / "hr-bot")
    with served(tmp_path / "served", models=False) as url:
        r = run_installed(
            "--base-url", url, "apply", "--auto-approve", cwd=root, env={"OPENAI_API_KEY": "sk-test"}
        )
    assert r.returncode == 0, r.stderr
    assert r.stderr == (
        f"Warning: {url} lists no models (GET /models), so these model names were not checked: gpt-4.1\n"
    )
    assert "Apply complete!" in r.stdout


def test_the_responses_target_checks_its_models_too(make_project) -> None:
    p = make_project("hr-bot")
    p.edit("version: 1\n", "version: 1\nprovider: {target: responses}\n")
    p.edit("model: gpt-4.1", "model: gpt-4.1-mimi")
    r = p.run("plan")
    assert r.code == 1 and "did you mean 'gpt-4.1-mini'?" in r.err


def test_the_sandbox_lists_models_as_openai_does(tmp_path: Path) -> None:
    sdk = openai.OpenAI(
        api_key="sk-test",
        base_url=SANDBOX_BASE_URL,
        http_client=http_client(tmp_path),
        _strict_response_validation=True,
    )
    listed = sdk.models.list()
    ids = [m.id for m in listed.data]
    assert {"gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3-mini"} <= set(ids) and len(ids) == len(set(ids))
    assert sdk.models.retrieve("gpt-4.1-mini").owned_by == "system"
    raw = http_client(tmp_path)
    raw.headers["Authorization"] = "Bearer sk-test"
    body = raw.get("/v1/models").json()
    assert list(validator("ListModelsResponse").iter_errors(body)) == []
    one = raw.get("/v1/models/gpt-4.1").json()
    assert list(validator("Model").iter_errors(one)) == []
    with pytest.raises(openai.NotFoundError) as info:
        sdk.models.retrieve("gpt4.1-minii")
    assert info.value.body == {
        "message": "The model 'gpt4.1-minii' does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
    assert raw.get("/v1/models", headers={"Authorization": ""}).status_code == 401


AZURE = """\
version: 1
provider: PROVIDER
files:
  handbook: {path: handbook.md}
assistants:
  bot:
    name: HR Bot
    model: gpt-4.1-mimi
    instructions: You answer from the handbook.
"""


@pytest.mark.parametrize(
    "provider", ["{target: foundry}", "{target: assistants, api_version: 2025-05-15-preview}"]
)
def test_on_azure_the_names_are_the_project_s_deployments(tmp_path: Path, provider: str) -> None:
    """A Foundry project and Azure's classic agents: `model` names a deployment of the project."""
    (tmp_path / "handbook.md").write_text("Leave: 25 days.\n")
    (tmp_path / "assistants.yaml").write_text(AZURE.replace("PROVIDER", provider))
    p = Project(tmp_path)
    r = p.run("plan")
    assert r.code == 1
    assert r.err == (
        "assistants.yaml:8:12: assistants.bot.model: 'gpt-4.1-mimi' is not a model deployment of project "
        "sandbox/api/projects/default; did you mean 'gpt-4.1-mini'?\n"
    )
    p.edit("gpt-4.1-mimi", "gpt-4.1-mini")
    assert p.run("plan").code == 0

"""Azure over HTTP: the foundry target and Azure's classic agents against `assistplan sandbox serve`
(loopback), authenticated the Azure way with a bearer token (ASSISTPLAN_AZURE_TOKEN; the sandbox
started with `--token` accepts that token only), with its request counts as the witness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from assistplan.state import LocalBackend
from tests.e2e.conftest import Project, Result
from tests.sandbox.helpers import served_process
from tests.targets.test_foundry import CONFIG

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOi-test-entra-token-5f1c"
# The same config on Azure's classic agents (which have no Foundry tools).
CLASSIC = "".join(line for line in CONFIG.splitlines(keepends=True) if "type: mcp" not in line).replace(
    "provider: {target: foundry, agent_prefix: hr-}", "provider: PROVIDER"
)


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[str]:
    with served_process(tmp_path / "sandbox", "--token", TOKEN) as url:
        yield url.removesuffix("/v1")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("ASSISTPLAN_AZURE_TOKEN", TOKEN)  # never a credential chain probing the network
    monkeypatch.delenv("AZURE_AI_PROJECT_ENDPOINT", raising=False)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\n")
    (root / "rates.csv").write_text("grade,days\nA,28\n")
    return Project(root)


def stats(origin: str, reset: bool = False) -> dict[str, int]:
    if reset:
        httpx2.post(f"{origin}/_sandbox/stats/reset")
    return dict(httpx2.get(f"{origin}/_sandbox/stats").json()["requests"])


def ok(p: Project, *args: str) -> Result:
    r = p.run(*args, sandbox=False)
    assert r.code == 0, r.out + r.err
    return r


def test_foundry_over_http_with_an_azure_token(
    project: Project, origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    endpoint = f"{origin}/api/projects/hr"
    monkeypatch.setenv("AZURE_AI_PROJECT_ENDPOINT", endpoint)  # the config names no endpoint
    p.config.write_text(CONFIG)
    stats(origin, reset=True)
    ok(p, "apply", "--auto-approve")
    counts = stats(origin)
    assert counts["POST /api/projects/{project}/agents/{agent_name}/versions"] == 2
    assert counts["POST /api/projects/{project}/openai/v1/vector_stores"] == 2
    assert not any(" /v1/" in k for k in counts)  # nothing outside the project
    assert p.state()["endpoint"] == f"{endpoint}/openai/v1"
    assert p.run("plan", "--detailed-exitcode", sandbox=False).code == 0
    # --base-url overrides the project on the command line: another project, another state.
    other = p.run("--base-url", f"{origin}/api/projects/other", "plan", sandbox=False)
    assert other.code == 1 and "api/projects/other/openai/v1" in other.err
    ok(p, "destroy", "--auto-approve")
    agents = httpx2.get(
        f"{endpoint}/agents", params={"api-version": "v1"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert agents.json()["data"] == []


def test_a_wrong_token_is_the_api_s_401_and_never_shown(
    project: Project, origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = project
    p.config.write_text(CONFIG.replace("agent_prefix: hr-", f"project_endpoint: {origin}/api/projects/hr"))
    wrong = "not-" + TOKEN[::-1]
    monkeypatch.setenv("ASSISTPLAN_AZURE_TOKEN", wrong)
    r = p.run("plan", sandbox=False)
    assert r.code == 1 and "HTTP 401" in r.err
    assert wrong not in r.out + r.err and TOKEN not in r.out + r.err


def test_classic_agents_take_the_api_version_and_azure_auth(project: Project, origin: str) -> None:
    p = project
    endpoint = f"{origin}/api/projects/hr"
    provider = f"{{target: assistants, api_version: 2025-05-15-preview, project_endpoint: {endpoint}}}"
    p.config.write_text(CLASSIC.replace("PROVIDER", provider))
    stats(origin, reset=True)
    ok(p, "apply", "--auto-approve")
    counts = stats(origin)
    assert counts["POST /api/projects/{project}/assistants"] == 2  # the working assistant and its release
    assert counts["POST /api/projects/{project}/uploads/{upload_id}/complete"] == 2  # the two files
    assert not any("/agents" in k or "/openai/v1" in k or " /v1/" in k for k in counts)
    assert p.run("plan", "--detailed-exitcode", sandbox=False).code == 0
    assert p.state()["endpoint"] == endpoint
    out = p.run("output", "--json", sandbox=False).json()
    assert out["assistants"]["bot"]["id"].startswith("asst_")


def test_migration_from_classic_agents_to_foundry_takes_a_separate_state(
    project: Project, origin: str
) -> None:
    """README, Foundry: migrating off the classic agents (a new state; files and stores made anew)."""
    p = project
    endpoint = f"{origin}/api/projects/hr"
    classic = CLASSIC.replace(
        "PROVIDER", f"{{target: assistants, api_version: 2025-05-15-preview, project_endpoint: {endpoint}}}"
    )
    p.config.write_text(classic)
    ok(p, "apply", "--auto-approve")
    classic_ids = p.ids()
    # The same folder and state, pointed at Foundry: refused, the state is the classic endpoint's.
    foundry = classic.replace("target: assistants, api_version: 2025-05-15-preview, ", "target: foundry, ")
    p.config.write_text(foundry)
    refused = p.run("plan", sandbox=False)
    assert refused.code == 1 and "belongs to endpoint" in refused.err
    # A state of its own for Foundry: everything is made there, the classic objects stay.
    p.config.write_text(
        foundry.replace("version: 1\n", "version: 1\nstate: {path: .assistplan/foundry.json}\n")
    )
    ok(p, "apply", "--auto-approve")
    state = LocalBackend(p.root / ".assistplan" / "foundry.json").read()
    assert state is not None
    made = state.to_json()["resources"]
    assert made["assistant.bot"]["remote_id"] == "bot"
    assert made["vector_store.docs"]["remote_id"] != classic_ids["vector_store.docs"]
    # Then the classic config goes (its own state), once applications call the agents.
    p.config.write_text(classic)
    ok(p, "destroy", "--auto-approve")
    p.config.write_text(
        foundry.replace("version: 1\n", "version: 1\nstate: {path: .assistplan/foundry.json}\n")
    )
    assert p.run("plan", "--detailed-exitcode", sandbox=False).code == 0

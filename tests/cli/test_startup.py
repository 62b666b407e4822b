"""Commands load only what they use: `--version`, `--help`, `validate`, `graph`, `show`, `state
list/show`, `output` and shell completion never import the SDKs (openai, httpx2, psycopg,
werkzeug, azure) nor the engine parts that talk to the API (azure-identity loads only to sign
in). Each runs as the installed command in a
fresh process that reports every module it imported (`PYTHONPROFILEIMPORTTIME`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import EXE, Project, copy_example

SDKS = ("openai", "httpx2", "psycopg", "werkzeug", "azure")
ENGINE = (
    "assistplan.remote.api",
    "assistplan.plan.refresh",
    "assistplan.plan.planner",
    "assistplan.apply.executor",
    "assistplan.sandbox.app",
)


def imported(args: list[str], cwd: Path, code: int = 0, **env: str) -> set[str]:
    """The modules `assistplan ARGS` imports; asserts that it exited with `code`."""
    proc = subprocess.run(
        [str(EXE), *args],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = proc.stderr.splitlines()
    report = [line for line in lines if line.startswith("import time:")]
    assert proc.returncode == code, proc.stdout + "\n".join(x for x in lines if x not in report)
    return {line.rsplit("|", 1)[1].strip() for line in report[1:]}  # the first line is the header


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in SDKS or m in ENGINE)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """hr-bot applied on the sandbox, with a saved plan of one change."""
    root = tmp_path_factory.mktemp("startup") / "hr-bot"
    copy_example("hr-bot", root)
    proj = Project(root)
    proj.ok("apply", "--auto-approve")
    proj.edit("temperature: 0.2", "temperature: 0.3")
    proj.ok("plan", "--out", "change.plan")
    return proj


CHEAP = {
    "version": ["--version"],
    "help": ["--help"],
    "command help": ["plan", "--help"],
    "validate": ["--sandbox", "validate"],
    "graph": ["--sandbox", "graph"],
    "show": ["--sandbox", "show", "change.plan"],
    "show --json": ["--sandbox", "show", "change.plan", "--json"],
    "state list": ["--sandbox", "state", "list"],
    "state show": ["--sandbox", "state", "show", "assistant.hr-bot"],
    "output": ["--sandbox", "output", "--json"],
}


@pytest.mark.parametrize("args", CHEAP.values(), ids=CHEAP.keys())
def test_cheap_commands_load_no_sdk_and_no_api_engine(project: Project, args: list[str]) -> None:
    assert heavy(imported(args, project.root)) == []


def test_completion_loads_no_sdk(project: Project) -> None:
    for words in ("assistplan s", "assistplan plan --target assistant."):
        modules = imported(
            [],
            project.root,
            _ASSISTPLAN_COMPLETE="bash_complete",
            COMP_WORDS=words,
            COMP_CWORD=str(len(words.split()) - 1),
        )
        assert heavy(modules) == [], words


def test_a_valid_config_never_loads_jsonschema(project: Project) -> None:
    # The compiled check accepts it; jsonschema is only for explaining what is wrong.
    assert "jsonschema" not in imported(["validate"], project.root)


def test_the_check_sees_what_commands_that_call_the_api_load(project: Project, tmp_path: Path) -> None:
    modules = imported(["--sandbox", "plan"], project.root)
    assert {"openai", "httpx2", "assistplan.plan.planner", "assistplan.sandbox.app"} <= modules
    (tmp_path / "assistants.yaml").write_text("version: 1\nassistants:\n  bot: {modle: gpt-4o}\n")
    assert "jsonschema" in imported(["validate"], tmp_path, code=1)


@pytest.mark.parametrize("command", ["plan", "apply", "destroy"])
def test_a_config_error_is_told_before_the_engine_loads(tmp_path: Path, command: str) -> None:
    """The edit-and-plan loop: a mistyped key is reported without importing the planner or the SDK."""
    (tmp_path / "assistants.yaml").write_text("version: 1\nassistants:\n  bot: {modle: gpt-4o}\n")
    assert (
        heavy(
            imported(
                ["--sandbox", command, "--auto-approve"][: 3 if command != "plan" else 2], tmp_path, code=1
            )
        )
        == []
    )


FOUNDRY = """\
version: 1
provider: {target: foundry, project_endpoint: "https://contoso.services.ai.azure.com/api/projects/hr"}
files:
  handbook: {path: handbook.md}
vector_stores:
  docs: {files: [handbook]}
assistants:
  bot:
    model: gpt-4.1
    tools: [{type: file_search}, {type: mcp, server_label: wiki, server_url: "https://wiki.example.com/mcp"}]
    tool_resources: {file_search: {vector_stores: [docs]}}
experiments:
  pilot: {assistant: bot, releases: [1], published: 1}
"""


@pytest.fixture(scope="module")
def foundry(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A foundry config applied on the sandbox (its Foundry project)."""
    root = tmp_path_factory.mktemp("startup-foundry")
    (root / "handbook.md").write_text("# Handbook\n")
    (root / "assistants.yaml").write_text(FOUNDRY)
    proj = Project(root)
    proj.ok("apply", "--auto-approve")
    return proj


@pytest.mark.parametrize("args", [["validate"], ["--sandbox", "graph"], ["--sandbox", "output", "--json"]])
def test_cheap_commands_on_foundry_load_no_sdk(foundry: Project, args: list[str]) -> None:
    assert heavy(imported(args, foundry.root)) == []


def test_azure_identity_loads_only_to_sign_in(foundry: Project, tmp_path: Path) -> None:
    """The sandbox and a ready token (ASSISTPLAN_AZURE_TOKEN: CI without azure-identity) need none."""
    on_sandbox = imported(["--sandbox", "plan"], foundry.root)
    assert "assistplan.targets.foundry" in on_sandbox and "openai" in on_sandbox
    assert not {m for m in on_sandbox if m.split(".")[0] == "azure"}
    # With a token the plan calls the endpoint (nothing listens there: exit 1), still without it.
    for name in ("assistants.yaml", "handbook.md"):
        shutil.copy(foundry.root / name, tmp_path / name)
    with_token = imported(
        ["--base-url", "http://127.0.0.1:9/api/projects/hr", "plan"],
        tmp_path,
        code=1,
        ASSISTPLAN_AZURE_TOKEN="t",
        ASSISTPLAN_MAX_RETRIES="0",
    )
    assert "openai" in with_token
    assert not {m for m in with_token if m.split(".")[0] == "azure"}

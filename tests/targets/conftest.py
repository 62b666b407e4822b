"""A project on the responses target, run through the CLI against its embedded sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Project

CONFIG = """\
version: 1
provider: {target: TARGET}
files:
  handbook: {path: handbook.md}
  policy: {path: policy.md}
  rates: {path: rates.csv}
vector_stores:
  docs: {name: Docs, files: [handbook, policy]}
assistants:
  bot:
    name: HR Bot
    description: answers HR questions
    model: gpt-4.1
    instructions: You answer from the handbook.
    tools:
      - {type: file_search}
      - {type: code_interpreter}
      - {type: function, function: {name: leave_balance, description: Days of leave left}}
    tool_resources: {file_search: {vector_stores: [docs]}, code_interpreter: {files: [rates]}}
EXPERIMENTS"""
# The function tool of CONFIG as a Responses (and Foundry) definition holds it.
LEAVE_BALANCE = {
    "type": "function",
    "name": "leave_balance",
    "description": "Days of leave left",
    "parameters": {},
    "strict": False,
}
PILOT = """\
experiments:
  pilot:
    assistant: bot
    releases: [1]
    published: 1
"""


def write_config(root: Path, *, target: str = "responses", experiments: str = PILOT) -> None:
    (root / "assistants.yaml").write_text(
        CONFIG.replace("TARGET", target).replace("EXPERIMENTS", experiments)
    )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 4.\n")
    (root / "policy.md").write_text("# Policy\n28 days of leave.\n")
    (root / "rates.csv").write_text("grade,days\nA,28\nB,30\n")
    write_config(root)
    return Project(root)


def output(p: Project) -> dict[str, Any]:
    return p.ok("output", "--json").json()


def changed(plan: dict[str, Any]) -> dict[str, tuple[list[str], str | None]]:
    """address -> (actions, action_reason), without no-ops."""
    return {
        c["address"]: (c["actions"], c["action_reason"])
        for c in plan["resource_changes"]
        if c["actions"] != ["no-op"]
    }

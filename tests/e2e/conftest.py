"""End-to-end fixtures: a project folder, the CLI run in process against its embedded sandbox,
and the plain SDK on the same sandbox (for changes made "behind our back")."""

from __future__ import annotations

import io
import json
import os
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from assistplan.cli.errors import run_cli
from assistplan.cli.main import cli
from assistplan.sandbox import SANDBOX_BASE_URL, http_client
from assistplan.state import LocalBackend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Project:
    def __init__(self, root: Path):
        self.root = root

    def run(self, *args: str, sandbox: bool = True) -> Result:
        out, err = io.StringIO(), io.StringIO()
        cwd = os.getcwd()
        argv = ["-C", str(self.root), *(["--sandbox"] if sandbox else []), "--no-color", *args]
        code = 0
        try:
            with redirect_stdout(out), redirect_stderr(err):
                run_cli(cli, argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            os.chdir(cwd)
        result = Result(code, out.getvalue(), err.getvalue())
        assert "Traceback" not in result.err, result.err
        return result

    def ok(self, *args: str) -> Result:
        r = self.run(*args)
        assert r.code == 0, f"exit {r.code}\nstdout:\n{r.out}\nstderr:\n{r.err}"
        return r

    @property
    def config(self) -> Path:
        return self.root / "assistants.yaml"

    def edit(self, old: str, new: str, file: str = "assistants.yaml") -> None:
        path = self.root / file
        text = path.read_text()
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1))

    def state(self) -> dict[str, Any]:
        """The state as every command reads it: the document with its journal replayed."""
        stored = LocalBackend(self.root / ".assistplan" / "state.json").read()
        assert stored is not None, "no state"
        return stored.to_json()

    def ids(self) -> dict[str, str]:
        return {a: r["remote_id"] for a, r in self.state()["resources"].items()}

    def sdk(self) -> openai.OpenAI:
        return openai.OpenAI(
            api_key="sk-test",
            base_url=SANDBOX_BASE_URL,
            http_client=http_client(self.root / ".assistplan" / "sandbox"),
        )

    def plan_json(self, *args: str) -> dict[str, Any]:
        r = self.run("plan", "--json", *args)
        assert r.code in (0, 2), r.err
        return r.json()


def changes(plan: dict[str, Any]) -> dict[str, list[str]]:
    """address -> actions, without no-ops."""
    return {c["address"]: c["actions"] for c in plan["resource_changes"] if c["actions"] != ["no-op"]}


@pytest.fixture
def make_project(tmp_path: Path):
    def make(example: str) -> Project:
        root = tmp_path / example
        shutil.copytree(EXAMPLES / example, root, ignore=shutil.ignore_patterns(".assistplan"))
        return Project(root)

    return make

"""End-to-end fixtures: a project folder, the CLI run in process against its embedded sandbox,
and the plain SDK on the same sandbox (for changes made "behind our back")."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from assistplan.cli.errors import run_cli
from assistplan.cli.main import cli
from assistplan.remote.api import BETA
from assistplan.sandbox import SANDBOX_BASE_URL, http_client
from assistplan.state import LocalBackend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXE = Path(sys.executable).with_name("assistplan")  # the installed console script
# What a CLI run shows only when assistplan has a bug: no test may pass with it in the output.
BUG_SHOWN = re.compile(r"internal error|Traceback \(most recent call last\)")


def no_bug_shown(*outputs: str) -> None:
    """Fail the test when a CLI run's output says assistplan hit a bug (an internal error or a
    traceback), whatever the test itself expects of the run (its exit code, its messages)."""
    for text in outputs:
        found = BUG_SHOWN.search(text)
        if found is not None:
            pytest.fail(f"the CLI showed {found.group()!r}:\n{text}", pytrace=False)


def run_installed(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `assistplan ARGS` in a child process, plain output (NO_COLOR), as a user
    runs it; fails the test when it shows a bug (`no_bug_shown`)."""
    environ = {**os.environ, "NO_COLOR": "1", **(env or {})}
    r = subprocess.run(
        [str(EXE), *args], cwd=cwd, env=environ, stdin=stdin, capture_output=True, text=True, timeout=300
    )
    no_bug_shown(r.stdout, r.stderr)
    return r


def copy_example(example: str, root: Path) -> Path:
    """examples/EXAMPLE copied to `root` as a user's fresh clone has it (no .assistplan/)."""
    shutil.copytree(EXAMPLES / example, root, ignore=shutil.ignore_patterns(".assistplan"))
    return root


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
        no_bug_shown(result.out, result.err)
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

    def assistant(self, remote_id: str) -> dict[str, Any]:
        """An assistant as the API returns it, read as assistplan reads it: the SDK's generic
        request (its `beta.assistants` methods are deprecated and warn on every call)."""
        got = self.sdk().get(f"/assistants/{remote_id}", cast_to=object, options={"headers": BETA})
        assert isinstance(got, dict), got
        return got

    def update_assistant(self, remote_id: str, **fields: Any) -> None:
        """A change made behind assistplan's back (as `assistant` reads)."""
        self.sdk().post(f"/assistants/{remote_id}", cast_to=object, body=fields, options={"headers": BETA})

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
        return Project(copy_example(example, tmp_path / example))

    return make

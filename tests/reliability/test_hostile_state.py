"""Hostile and broken state, locks and plan files: a clear error, exit 1, state and remote untouched.

(The config side of the hostile-input corpus — malformed YAML, wrong types, huge instructions,
129 tools, non-UTF-8 and empty files, missing files, symlinks out of the folder, deep nesting,
billion laughs — is tests/config/corpus.py, run through the CLI by tests/e2e/test_broken_configs.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from assistplan.plan.model import PLAN_FORMAT_VERSION
from tests.e2e.conftest import Project, copy_example

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _state(root: Path) -> Path:
    return root / ".assistplan" / "state.json"


def corrupt(text: bytes) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        _state(root).write_bytes(text)

    return setup


def edit_state(fn: Callable[[dict], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        doc = json.loads(_state(root).read_text())
        fn(doc)
        _state(root).write_text(json.dumps(doc))

    return setup


def dead_lock(root: Path) -> None:
    child = subprocess.Popen(["sleep", "0"])  # a pid that has just ended
    child.wait()
    info = {
        "id": "6f1c1c8e-0000-4000-8000-000000000001",
        "operation": "apply",
        "who": "ci@runner",
        "created": 1.0,
        "pid": child.pid,
        "host": os.uname().nodename,
    }
    (root / ".assistplan" / "state.json.lock").write_text(json.dumps(info))


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("not_json", corrupt(b"{not json"), "corrupt state file (not JSON"),
    ("zero_bytes", corrupt(b""), "corrupt state file (empty)"),
    ("not_utf8", corrupt(b"\xff\xfe\x00garbage"), "corrupt state file (not UTF-8 text)"),
    ("json_array", corrupt(b"[1, 2, 3]"), "not a state document"),
    ("future_version", edit_state(lambda d: d.update(format_version=99)), "newer assistplan"),
    ("no_format_version", edit_state(lambda d: d.pop("format_version")), "missing or invalid format_version"),
    (
        "no_lineage",
        edit_state(lambda d: d.pop("lineage")),
        "corrupt state document (missing field 'lineage')",
    ),
    ("bad_serial", edit_state(lambda d: d.update(serial="many")), "corrupt state document"),
    ("resources_not_object", edit_state(lambda d: d.update(resources=[1])), "corrupt state document"),
    (
        "other_endpoint",
        edit_state(lambda d: d.update(endpoint="https://api.openai.com/v1")),
        "belongs to endpoint",
    ),
    ("dead_process_lock", dead_lock, "--sandbox force-unlock 6f1c1c8e-0000-4000-8000-000000000001"),
]


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve"), ("destroy", "--auto-approve")])
@pytest.mark.parametrize(("name", "setup", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_state(
    name: str, setup: Callable[[Path], None], message: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    p = Project(root)
    p.ok("apply", "--auto-approve")
    p.edit("temperature: 0.2", "temperature: 0.5")  # so that apply would have something to do
    setup(root)
    before = {f: f.read_bytes() for f in (root / ".assistplan").glob("state.json*")}
    sdk = p.sdk()
    remote_before = [a.to_dict() for a in sdk.beta.assistants.list()]
    r = p.run(*command)
    assert r.code == 1, r.out
    assert message in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1, r.err  # one clear line
    assert {f: f.read_bytes() for f in (root / ".assistplan").glob("state.json*")} == before
    assert [a.to_dict() for a in sdk.beta.assistants.list()] == remote_before


PLANFILES: list[tuple[str, bytes, str]] = [
    ("missing", b"", "no such plan file"),
    ("garbage", b"\x00\x01not a plan", "not a readable assistplan plan file"),
    ("other_json", b'{"hello": "world"}', "not an assistplan plan file"),
    ("future", b'{"kind": "assistplan-plan", "format_version": 9}', "not supported"),
    (
        "truncated",
        b'{"kind": "assistplan-plan", "format_version": %d, "lineage": "x"}' % PLAN_FORMAT_VERSION,
        "corrupt plan file",
    ),
    ("older", b'{"kind": "assistplan-plan", "format_version": 1}', "saved by an older assistplan"),
]


@pytest.mark.parametrize(("name", "content", "message"), PLANFILES, ids=[c[0] for c in PLANFILES])
def test_hostile_plan_file(name: str, content: bytes, message: str, tmp_path: Path) -> None:
    root = tmp_path / "math-tutor"
    copy_example("math-tutor", root)
    p = Project(root)
    if name != "missing":
        (root / "tfplan").write_bytes(content)
    r = p.run("apply", "tfplan")
    assert r.code == 1 and message in r.err, r.err
    assert not _state(root).exists()


def test_plan_file_from_another_project_is_refused(tmp_path: Path) -> None:
    a, b = (Project(tmp_path / n) for n in ("a", "b"))
    for proj in (a, b):
        copy_example("math-tutor", proj.root)
        proj.ok("apply", "--auto-approve")
    a.edit("Write and run code", "Write and run Python")
    a.ok("plan", "--out", str(tmp_path / "a.plan"))
    b.edit("Write and run code", "Write and run Python")
    r = b.run("apply", str(tmp_path / "a.plan"))
    assert r.code == 1 and "saved plan does not match the state: it was made for lineage" in r.err, r.err

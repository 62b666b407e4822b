"""A saved plan whose changes lack what apply needs: a clear error naming the change, never a crash
(the checks are explicit errors, so they hold under `python -O` too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import EXE, Project, copy_example

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def saved_plan(tmp_path: Path) -> tuple[Project, Path]:
    root = tmp_path / "math-tutor"
    copy_example("math-tutor", root)
    p = Project(root)
    p.ok("plan", "--out", "tfplan")
    return p, root / "tfplan"


def drop(path: Path, field: str) -> str:
    doc = json.loads(path.read_text())
    change = next(c for c in doc["changes"] if c["actions"] == ["create"] and c["type"] == "assistant")
    change[field] = None
    path.write_text(json.dumps(doc))
    return str(change["address"])


def test_a_create_without_attributes_is_an_error_naming_it(tmp_path: Path) -> None:
    p, plan = saved_plan(tmp_path)
    address = drop(plan, "after")
    r = p.run("apply", "tfplan")
    assert r.code == 1
    assert f"{address}: the plan gives no attributes for this change" in r.err


def test_the_check_holds_under_python_dash_o(tmp_path: Path) -> None:
    p, plan = saved_plan(tmp_path)
    address = drop(plan, "after")
    cmd = [
        sys.executable,
        "-O",
        str(EXE),  # the installed command, run with -O
        "-C",
        str(p.root),
        "--sandbox",
        "apply",
        "tfplan",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert f"{address}: the plan gives no attributes for this change" in r.stderr
    assert "Traceback" not in r.stderr

"""The broken-config corpus through the CLI: exit 1, FILE:LINE:COL lines, no traceback, no state."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.corpus import CASES, Case
from tests.config.test_corpus import _write
from tests.e2e.conftest import Project


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("apply", "--auto-approve")])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_config_through_the_cli(case: Case, command: tuple[str, ...], tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _write(root, case)
    r = Project(root).run(*command)
    assert r.code == 1
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == len(case.expect), r.err
    for want, have in zip(case.expect, lines, strict=True):
        position, _, message = want.partition(": ")
        assert have.startswith(f"assistants.yaml:{position}: ") and message in have, (want, have)
    assert not (root / ".assistplan").exists()  # neither state nor the sandbox was touched

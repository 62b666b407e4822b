"""Paths named in the config stay inside the config's folder, whatever their spelling."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistplan.config.paths import PathProblem, confine


@pytest.mark.parametrize(
    "rel",
    [
        "/etc/passwd",
        "\\etc\\passwd",
        "C:\\Windows\\win.ini",
        "C:/Windows/win.ini",
        "c:relative-to-a-drive.txt",
        "a:b.txt",
        "\\\\server\\share\\f.txt",
        "//server/share/f.txt",
    ],
)
def test_absolute_paths_of_either_system_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(PathProblem, match="must be relative to the config folder"):
        confine(tmp_path.resolve(), rel)


@pytest.mark.parametrize(
    "rel", ["docs/a.txt", "a.txt", "docs\\a.txt", "ab:c.txt", "./a.txt", "docs/../a.txt"]
)
def test_relative_paths_resolve_inside_the_folder(tmp_path: Path, rel: str) -> None:
    base = tmp_path.resolve()
    assert confine(base, rel).is_relative_to(base)


def test_climbing_out_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PathProblem, match="escapes the config folder"):
        confine(tmp_path.resolve(), "../outside.txt")

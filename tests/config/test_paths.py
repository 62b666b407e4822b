"""Paths named in the config stay inside the config's folder, whatever their spelling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistplan.config.paths import Dirs, PathProblem, confine, existing_file


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


def _tree(tmp_path: Path) -> Path:
    """A config folder with files, a folder linked from inside, and links leading outside."""
    base = tmp_path / "cfg"
    (base / "docs" / "sub").mkdir(parents=True)
    for rel in ("a.txt", "docs/a.txt", "docs/sub/b.txt"):
        (base / rel).write_text("x", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("s", encoding="utf-8")
    os.symlink(base / "docs", base / "same")  # a folder linked inside: fine
    os.symlink(tmp_path, base / "up")  # a folder linked outside
    os.symlink(tmp_path / "secret.txt", base / "docs" / "leak.txt")  # a file linked outside
    os.symlink(base / "docs" / "a.txt", base / "docs" / "alias.txt")  # a file linked inside
    return base.resolve()


INSIDE = [
    "a.txt",
    "./a.txt",
    "docs/a.txt",
    "docs//a.txt",
    "docs/./a.txt",
    "docs/sub/../a.txt",
    "docs/sub/b.txt",
    "same/a.txt",
    "same/sub/b.txt",
    "docs/alias.txt",
    "up/cfg/docs/a.txt",  # out through a link and back in: the resolved path is what counts
    "docs/missing.txt",
    "docs",
    "docs/",
    "docs/.",
    "docs/sub/..",
]
OUTSIDE = ["up/secret.txt", "docs/leak.txt", "same/leak.txt", "up/cfg/docs/leak.txt", "up/cfg/../secret.txt"]


def test_resolution_matches_realpath_with_and_without_the_shared_folder_cache(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    shared: Dirs = {}
    for rel in INSIDE * 2:  # the second round is served from the cache
        want = Path(os.path.realpath(base / rel))
        assert confine(base, rel) == want, rel
        assert confine(base, rel, shared) == want, rel
    # Every listed folder stands for one entry, whatever else was cached before it.
    for rel in OUTSIDE * 2:
        for cache in ({}, shared):
            with pytest.raises(PathProblem, match="outside the config folder"):
                confine(base, rel, cache)


def test_existing_file_follows_links_inside_and_reports_the_rest(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    shared: Dirs = {}
    assert existing_file(base, "docs/alias.txt", shared) == base / "docs" / "a.txt"
    assert existing_file(base, "same/sub/b.txt", shared) == base / "docs" / "sub" / "b.txt"
    for rel, problem in (
        ("docs/missing.txt", "file not found"),
        ("docs", "is a directory"),
        ("same", "is a directory"),
        ("docs/leak.txt", "outside the config folder"),
    ):
        with pytest.raises(PathProblem, match=problem):
            existing_file(base, rel, shared)
    os.mkfifo(base / "pipe")
    with pytest.raises(PathProblem, match="not a regular file"):
        existing_file(base, "pipe", shared)

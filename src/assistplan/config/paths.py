"""Paths named in the config: confined to the config's folder, then checked and read."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath


class PathProblem(Exception):
    """A path in the config that is not acceptable; the message is ready for a diagnostic."""


# Resolved folders, shared by the path checks of a config: (config folder, folder as written, e.g.
# `docs/`) -> (the folder resolved, with a trailing separator; the same as a Path).
Dirs = dict[tuple[str, str], tuple[str, Path]]


def confine(base: Path, rel: str, cache: Dirs | None = None) -> Path:
    """Resolve `rel` against the resolved config folder `base`; it must stay inside it.

    Rejects absolute paths, `..` that climbs out, and symbolic links leading outside
    (the path is resolved before the check, so a link inside pointing out is caught).
    `cache` memoises resolved parent folders across calls (one syscall per file, not per part).
    """
    return _confine(base, rel, cache)[0]


def _confine(base: Path, rel: str, cache: Dirs | None) -> tuple[Path, str, os.stat_result | None]:
    """`confine`, with the resolved path as a string and, when resolving took it, its lstat
    (which is its stat: it is not a link)."""
    if "\x00" in rel:
        raise PathProblem(f"invalid path {rel!r} (contains a NUL character)")
    # A root or a drive can only come from a leading separator or a colon second (`C:`): other
    # paths skip parsing them twice (a third of checking 5,000 files).
    if rel[:1] in ("/", "\\") or rel[1:2] == ":":
        win = PureWindowsPath(rel)
        if PurePosixPath(rel).is_absolute() or win.is_absolute() or win.drive or win.root:
            raise PathProblem(f"path {rel!r} must be relative to the config folder, not absolute")
    if os.path.normpath(rel.replace("\\", "/")).split("/")[0] == "..":
        raise PathProblem(f"path {rel!r} escapes the config folder")
    root = str(base)
    known: tuple[str, Path] | None = None
    st: os.stat_result | None = None
    name = rel.rpartition("/")[2]  # as os.path.split(os.path.join(root, rel)) names it on POSIX
    try:
        if name in ("", ".", ".."):
            resolved = os.path.realpath(os.path.join(root, rel))
        else:
            # realpath(parent/name) == realpath(parent)/name unless name itself is a link.
            folder = (root, rel[: len(rel) - len(name)])
            known = cache.get(folder) if cache is not None else None
            if known is None:
                real_parent = os.path.realpath(os.path.split(os.path.join(root, rel))[0])
                known = (os.path.join(real_parent, ""), Path(real_parent))
                if cache is not None:
                    cache[folder] = known
            resolved = known[0] + name
            try:
                st = os.lstat(resolved)
            except OSError:
                pass  # missing or unreachable: whoever needs the file says so
            if st is not None and stat.S_ISLNK(st.st_mode):
                resolved, st, known = os.path.realpath(resolved), None, None
    except (OSError, RuntimeError, ValueError) as e:
        raise PathProblem(f"cannot resolve path {rel!r}: {e}") from None
    if resolved != root and not resolved.startswith(root.rstrip(os.sep) + os.sep):
        raise PathProblem(f"path {rel!r} resolves outside the config folder (through a symbolic link)")
    # Joining a name to the folder's Path parses only the name (a Path of the whole string
    # would parse every part again).
    return (known[1] / name if known is not None else Path(resolved)), resolved, st


def existing_file(base: Path, rel: str, cache: Dirs | None = None) -> Path:
    """`confine`, then require a readable regular file."""
    return _existing_file(base, rel, cache)[0]


def _existing_file(base: Path, rel: str, cache: Dirs | None) -> tuple[Path, os.stat_result]:
    resolved, text, st = _confine(base, rel, cache)
    try:
        if st is None:
            st = os.stat(text)
    except FileNotFoundError:
        raise PathProblem(f"file not found: {rel!r} (paths are relative to the config folder)") from None
    except OSError as e:
        raise PathProblem(f"cannot access {rel!r}: {e.strerror}") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise PathProblem(f"{rel!r} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise PathProblem(f"{rel!r} is not a regular file")
    if not os.access(text, os.R_OK):
        raise PathProblem(f"cannot read {rel!r}: permission denied")
    return resolved, st


def read_text_file(base: Path, rel: str, max_chars: int, cache: Dirs | None = None) -> tuple[str, bytes]:
    """Read a UTF-8 text file named in the config; returns (text, raw bytes)."""
    resolved, st = _existing_file(base, rel, cache)
    # UTF-8 uses at most 4 bytes per character: a bigger file cannot be within the limit.
    if st.st_size > 4 * max_chars + 3:
        raise PathProblem(f"{rel!r} is too long (at most {max_chars} characters)")
    try:
        raw = resolved.read_bytes()
    except OSError as e:
        raise PathProblem(f"cannot read {rel!r}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PathProblem(f"{rel!r} is not valid UTF-8 text (invalid byte at offset {e.start})") from None
    text = text.removeprefix("\ufeff")
    if len(text) > max_chars:
        raise PathProblem(f"{rel!r} is too long: {len(text)} characters (at most {max_chars})")
    return text, raw

"""Loading a big config on one core while the other imports the engine.

Parsing and checking a 10,000-resource config takes about half a second, and so does importing
the planner with the OpenAI SDK; both hold the interpreter's lock, so threads cannot overlap
them. The `assistplan` command (only it: `heap.one_shot`) forks on Linux when the config is big:
the child loads the config and sends it back pickled, while this process imports. Loading is a
pure function of the files it reads, so the child's result is the one this process would get.
Anything unusual (no fork, other threads, a child that fails, dies or cannot send its result)
falls back to loading here, which gives exactly the errors and output loading gives. (The
loader prints nothing: a child's output would be lost, or doubled by such a fallback. A child
whose parent was killed meanwhile ends when it finds the pipe closed.)
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from assistplan.cli import heap
from assistplan.errors import AssistplanError, ConfigError

T = TypeVar("T")

BIG_CONFIG = 128 * 1024  # bytes of YAML: below this, loading costs less than a fork and a pickle
WAIT_SECONDS = 120.0  # for a child that never answers (it cannot hang: it runs alone); then load here


def can_fork(path: Path) -> bool:
    """Whether loading `path` in a child pays (and is safe: a fork copies only this thread)."""
    if not (heap.one_shot() and sys.platform == "linux" and threading.active_count() == 1):
        return False
    try:
        return path.stat().st_size >= BIG_CONFIG
    except OSError:
        return False  # loading here says what is wrong with it


def load_beside(load: Callable[[], T], meanwhile: Callable[[], object], path: Path) -> T:
    """`load()`, run in a forked child while this process runs `meanwhile()` (when `can_fork`;
    otherwise just `load()`: a config error is then told before any import)."""
    if not can_fork(path):
        return load()
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return load()
    try:
        pid = os.fork()
    except OSError:  # e.g. EAGAIN under a process limit (CI, containers): load here
        os.close(read_end)
        os.close(write_end)
        return load()
    if pid == 0:  # the child: load, send, and leave without running anything of the parent's
        os.close(read_end)
        _child(load, write_end)
    os.close(write_end)
    payload = None
    try:
        meanwhile()
        payload = _read_all(read_end)
    finally:
        os.close(read_end)
        _reap(pid, answered=payload is not None)
    answer = _unpickled(payload)
    if answer is None:
        return load()  # the child could not say: load here, for the real outcome
    if isinstance(answer, AssistplanError):
        raise answer
    loaded: T = answer  # what `load()` returned, in the child
    return loaded


def _child(load: Callable[[], Any], fd: int) -> None:
    code = 0
    try:
        try:
            data = pickle.dumps(("ok", load()), protocol=pickle.HIGHEST_PROTOCOL)
        except ConfigError as exc:  # its diagnostics: the exception itself pickles only its text
            data = pickle.dumps(("error", exc.diagnostics), protocol=pickle.HIGHEST_PROTOCOL)
        except AssistplanError as exc:  # e.g. an unknown --env: its class and the parts of its message
            data = pickle.dumps(("refused", (type(exc), exc.message.parts)), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:  # noqa: BLE001 - anything else: say nothing, the parent loads itself
        code = 1
    finally:
        os._exit(code)  # never the parent's atexit handlers, buffered output or `finally`s


def _read_all(fd: int) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], WAIT_SECONDS)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int, *, answered: bool) -> None:
    """Wait for the child; one that has not answered (a timeout, or this process is being
    interrupted) is killed first, so nothing is left behind and nothing waits on it."""
    try:
        if not answered:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


def _unpickled(payload: bytes | None) -> Any:
    """What the child sent: the config, or the error to raise (a ConfigError with its
    diagnostics, another AssistplanError rebuilt from its message); None when it sent nothing
    usable."""
    if not payload:
        return None
    try:
        kind, value = pickle.loads(payload)  # noqa: S301 - our own child's, through our own pipe
        if kind == "ok":
            return value
        if kind == "error":
            return ConfigError(value)
        if kind == "refused":
            cls, parts = value
            return cls(*parts)
    except Exception:  # noqa: BLE001 - partial, unreadable, or an error class built otherwise
        return None
    return None

"""A known sequence of states saved through the local backend, in a process that can be killed
(SIGKILL, by itself) right before its K-th file-system call that changes something.

`run(path, kill_at)` forks a process that starts from what `path` holds (writing `initial()`
when it holds nothing), performs the `SCRIPT` of journal appends, compactions and whole writes
(`carry_on`), and reports each serial once it is durable. The states are a pure function of
their serial (`state_at`), so a test can tell exactly what may be on disk after a kill.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistplan.state.journal import Change, canonical
from assistplan.state.local import LocalBackend
from assistplan.state.model import ResourceState, State

LINEAGE = "5e1ec7ed-0000-4000-8000-000000000000"
RESOURCES = 40
# After the initial document (serial 1): a = append a change, c = compact, w = whole write of
# the next serial. Every kind follows every other at least once.
SCRIPT = "aacawacwa"
CHANGING_CALLS = ("write", "fsync", "fdatasync", "replace", "link", "unlink", "ftruncate", "chmod", "fchmod")


def _resource(i: int, serial: int) -> ResourceState:
    return ResourceState(
        address=f"file.r{i}",
        type="file",
        remote_id=f"file-{i}-{serial}",
        attributes={"filename": f"r{i}.md", "bytes": serial * 10 + i, "note": "ünïcødé " * (i % 5)},
        sha256=f"{i:064x}",
    )


def initial() -> State:
    state = State(lineage=LINEAGE, serial=1, endpoint="sandbox")
    for i in range(RESOURCES):
        state.put(_resource(i, 1))
    return state


def changed_at(serial: int) -> tuple[list[ResourceState], list[str]]:
    """What serial `serial` (> 1) changes: one entry rewritten, and every third serial one removed."""
    put = [_resource(serial % RESOURCES, serial)]
    gone = [f"file.r{(serial * 7) % RESOURCES}"] if serial % 3 == 0 else []
    return put, [g for g in gone if g != put[0].address]


def state_at(serial: int) -> State:
    state = initial()
    for s in range(2, serial + 1):
        put, gone = changed_at(s)
        for rs in put:
            state.put(rs)
        for address in gone:
            state.remove(address)
        state.account_sizes = {"file": s}
    state.serial = serial
    return state


def final_serial() -> int:
    return 1 + sum(1 for op in SCRIPT if op in "aw")


def _count_calls(kill_at: int) -> list[int]:
    """Count this process's changing file-system calls; SIGKILL it right before call `kill_at`
    (0: never). The calls themselves are the operating system's: only the moment is chosen."""
    count = [0]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return fn(*args, **kwargs)

        return call

    for name in CHANGING_CALLS:
        setattr(os, name, wrap(getattr(os, name)))
    return count


def carry_on(backend: LocalBackend, say: Callable[[str], None] = lambda _: None) -> State:
    """Perform the script from wherever the stored state is in it (a killed run left it there)."""
    state = backend.read()
    if state is None:
        state = initial()
        backend.write(state)
        say("saved 1")
    position = seen = 0
    while seen < state.serial - 1:
        seen += SCRIPT[position] in "aw"
        position += 1
    for op in SCRIPT[position:]:
        if op == "c":
            backend.compact(state)
            continue
        nxt = state_at(state.serial + 1)
        if op == "a":
            put, gone = changed_at(nxt.serial)
            backend.append(
                Change(
                    LINEAGE,
                    nxt.serial,
                    {rs.address: canonical(rs.to_json()) for rs in put},
                    tuple(g for g in gone if g in state.resources),
                    canonical(nxt.meta()),
                )
            )
        else:
            backend.write(nxt)
        state = nxt
        say(f"saved {state.serial}")
    return state


@dataclass
class Run:
    killed: bool  # by SIGKILL, at the chosen call
    saved: list[int]  # serials reported durable, in order
    calls: int  # changing calls made (when not killed)


def run(path: str, kill_at: int = 0) -> Run:
    """`carry_on` in a forked process, killed right before its `kill_at`-th changing call."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            write = os.write  # before counting: the reports are not calls of the backend
            calls = _count_calls(kill_at)
            carry_on(LocalBackend(path), lambda text: write(write_end, f"{text}\n".encode()))
            write(write_end, f"calls {calls[0]}\n".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    lines = b"".join(chunks).decode().splitlines()
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    if not killed and os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the writer failed (status {status}): {lines}")
    return Run(
        killed=killed,
        saved=[int(line.split()[1]) for line in lines if line.startswith("saved ")],
        calls=next((int(line.split()[1]) for line in lines if line.startswith("calls ")), 0),
    )

"""LocalBackend: the conformance suite plus what only a file on disk has (modes, atomicity, corruption)."""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistplan.errors import LockError, StateError
from assistplan.state import LocalBackend, LockInfo, ResourceState, State, open_backend
from assistplan.state.base import Backend
from assistplan.state.model import FORMAT_VERSION

from .conformance import BackendConformance, BackendFactory, change_to, sample_state


class TestLocalConformance(BackendConformance):
    def backend_factory(self, tmp_path: Path) -> BackendFactory:
        return functools.partial(LocalBackend, tmp_path / "project" / ".assistplan" / "state.json")

    def read_previous(self, backend: Backend) -> State | None:
        assert isinstance(backend, LocalBackend)
        return backend.read_backup()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process umask after a test that changes it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# -- files and modes ------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077, 0o277])
def test_new_files_and_dirs_are_private_whatever_the_umask(tmp_path: Path, umask: None, mask: int) -> None:
    os.umask(mask)
    path = tmp_path / "a" / "b" / "state.json"
    backend = LocalBackend(path)
    backend.write(sample_state(serial=1))
    state = sample_state(serial=2)
    backend.write(state)
    backend.append(change_to(state, put=[ResourceState("file.j", "file")]))
    lock = backend.lock("apply", 0)
    os.umask(0o022)
    assert mode(path) == 0o600
    assert mode(backend.backup_path) == 0o600
    assert mode(backend.lock_path) == 0o600
    assert mode(backend.journal_path) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    backend.unlock(lock)


def test_existing_directory_mode_is_left_alone(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    LocalBackend(tmp_path / "state.json").write(sample_state())
    assert mode(tmp_path) == 0o755


def test_existing_loose_state_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(sample_state(serial=1).dumps())
    os.chmod(path, 0o644)
    backend = LocalBackend(path)
    backend.write(sample_state(serial=2))
    assert mode(path) == 0o600
    assert mode(backend.backup_path) == 0o600
    assert backend.read_backup().serial == 1


def test_file_is_pretty_json_with_serial_and_lineage(tmp_path: Path) -> None:
    state = sample_state(serial=4)
    LocalBackend(tmp_path / "state.json").write(state)
    data = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert data["serial"] == 4 and data["lineage"] == state.lineage
    assert data["format_version"] == FORMAT_VERSION
    assert list(data) == ["format_version", "lineage", "serial", "endpoint", "resources"]


def test_describe_is_the_path(tmp_path: Path) -> None:
    assert LocalBackend(tmp_path / "s.json").describe() == str(tmp_path / "s.json")


# -- atomicity ------------------------------------------------------------------------------------


def test_failed_rename_leaves_old_state_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    backend = LocalBackend(path)
    backend.write(sample_state(serial=1, note="old"))
    real_replace = os.replace

    def crash_on_state(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst) == path:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_state)
    with pytest.raises(StateError) as caught:
        backend.write(sample_state(serial=2, note="new"))
    assert str(caught.value) == f"cannot write state {path}: No space left on device"
    monkeypatch.undo()
    current = backend.read()
    assert current is not None and current.serial == 1
    assert "old" in current.get("assistant.support").attributes["instructions"]
    assert leftovers(tmp_path) == []


def test_failed_fsync_leaves_old_state_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.write(sample_state(serial=1))

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StateError, match="Input/output error"):
        backend.write(sample_state(serial=2))
    monkeypatch.undo()
    assert backend.read().serial == 1
    assert leftovers(tmp_path) == []


def test_directories_that_cannot_be_fsynced_are_tolerated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    backend = LocalBackend(tmp_path / "state.json")
    backend.write(sample_state(serial=1))
    assert backend.read().serial == 1


def test_readers_never_see_a_partial_write(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    big = sample_state(serial=0)
    big.get("assistant.support").attributes["blob"] = "x" * 200_000
    backend.write(big)
    stop, seen, errors = threading.Event(), set(), []
    read = threading.Condition()

    def reader() -> None:
        while not stop.is_set():
            try:
                serial = LocalBackend(backend.path).read().serial
            except Exception as exc:
                errors.append(exc)
                serial = -1
            with read:
                seen.add(serial)
                read.notify_all()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for serial in range(1, 30):
            with read:  # the reader is reading all along: each write starts once it saw the last
                assert read.wait_for(lambda last=serial - 1: last in seen or bool(errors), timeout=60)
            big.serial = serial
            backend.write(big)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert seen >= set(range(29))
    assert leftovers(tmp_path) == []


def test_backup_falls_back_to_copy_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    backend = LocalBackend(tmp_path / "state.json")
    backend.write(sample_state(serial=1))
    backend.write(sample_state(serial=2))
    assert backend.read_backup().serial == 1
    assert mode(backend.backup_path) == 0o600
    lock = backend.lock("apply", 0)  # the lock falls back to O_EXCL create
    with pytest.raises(LockError, match=lock.id):
        LocalBackend(backend.path).lock("plan", 0)
    backend.unlock(lock)
    assert not backend.lock_path.exists()
    assert leftovers(tmp_path) == []


# -- corrupt files --------------------------------------------------------------------------------


def _doc(**overrides: object) -> bytes:
    data: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "lineage": "l-1",
        "serial": 1,
        "endpoint": "sandbox",
        "resources": {},
    }
    data.update(overrides)
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "corrupt state file (empty)"),
        (b"  \n", "corrupt state file (empty)"),
        (b'{"format_version": 1, "lineage":', "corrupt state file (not JSON: Expecting value at line 1"),
        (b"\xff\xfe\x00garbage", "corrupt state file (not UTF-8 text)"),
        (b"[1, 2]", "not a state document"),
        (b'"state"', "not a state document"),
        (_doc(format_version=...), "not an assistplan state (missing or invalid format_version)"),
        (_doc(format_version="1"), "missing or invalid format_version"),
        (_doc(format_version=99), "written by a newer assistplan (format_version 99"),
        (_doc(lineage=...), "corrupt state document (missing field 'lineage')"),
        (_doc(serial="many"), "corrupt state document"),
        (_doc(resources=[1]), "corrupt state document"),
        (_doc(resources={"file.a": "nope"}), "corrupt state document"),
    ],
)
def test_unreadable_state_is_a_one_line_state_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateError) as caught:
        LocalBackend(path).read()
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_corrupt_state_points_at_the_backup(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.write(sample_state(serial=1))
    backend.write(sample_state(serial=2))
    backend.path.write_bytes(b"")
    with pytest.raises(StateError, match=re.escape(f"the previous version is in {backend.backup_path}")):
        backend.read()


def test_state_path_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "state.json").mkdir()
    with pytest.raises(StateError, match="is a directory"):
        LocalBackend(tmp_path / "state.json").read()


def test_missing_backup_reads_as_none(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    assert backend.read_backup() is None
    backend.write(sample_state())
    assert backend.read_backup() is None


# -- the journal ----------------------------------------------------------------------------------


def journaled(tmp_path: Path, changes: int = 2) -> tuple[LocalBackend, State]:
    """A document of serial 1 with `changes` appended changes; the state they make."""
    backend = LocalBackend(tmp_path / "state.json")
    state = sample_state(serial=1)
    backend.write(state)
    for i in range(changes):
        backend.append(change_to(state, put=[ResourceState(f"file.j{i}", "file", remote_id=f"file-{i}")]))
    return backend, state


def test_the_journal_is_one_line_per_change_and_goes_at_the_next_whole_write(tmp_path: Path) -> None:
    backend, state = journaled(tmp_path, changes=3)
    lines = backend.journal_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4  # the header, then a line per change
    assert json.loads(lines[0])["base_serial"] == 1
    assert [json.loads(line)["serial"] for line in lines[1:]] == [2, 3, 4]
    assert json.loads(backend.path.read_text())["serial"] == 1  # the document is not rewritten
    LocalBackend(backend.path).compact(state)
    assert not backend.journal_path.exists()
    assert json.loads(backend.path.read_text())["serial"] == 4


def test_a_line_torn_by_a_kill_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    backend, state = journaled(tmp_path)
    whole = backend.journal_path.read_bytes()
    torn = change_to(state.copy(), put=[ResourceState("file.torn", "file")]).dumps().encode()
    with backend.journal_path.open("ab") as fh:
        fh.write(torn[: len(torn) // 2])
    got = LocalBackend(backend.path).read()
    assert got is not None and got.to_json() == state.to_json()
    after = LocalBackend(backend.path)
    after.append(change_to(state, put=[ResourceState("file.next", "file")]))
    assert backend.journal_path.read_bytes().startswith(whole)
    assert torn[: len(torn) // 2] not in backend.journal_path.read_bytes()
    got = LocalBackend(backend.path).read()
    assert got is not None and got.to_json() == state.to_json() and got.serial == 4


def test_a_journal_left_by_a_killed_compaction_is_ignored(tmp_path: Path) -> None:
    backend, state = journaled(tmp_path)
    stale = backend.journal_path.read_bytes()
    backend.compact(state)  # the new document holds every change...
    backend.journal_path.write_bytes(stale)  # ...but the kill came before the journal went
    got = LocalBackend(backend.path).read()
    assert got is not None and got.to_json() == state.to_json() and got.serial == 3
    LocalBackend(backend.path).append(change_to(state, put=[ResourceState("file.next", "file")]))
    got = LocalBackend(backend.path).read()
    assert got is not None and got.to_json() == state.to_json() and got.serial == 4


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda lines: [lines[0], b"{not json", *lines[2:]], "corrupt journal (line 2 is not JSON)"),
        (lambda lines: [lines[0], lines[2], lines[1]], "change 3 follows serial 1"),
        (
            lambda lines: [lines[0].replace(b'"journal":1', b'"journal":9'), *lines[1:]],
            "written by a newer assistplan (journal version 9)",
        ),
    ],
)
def test_a_damaged_journal_is_a_one_line_state_error(tmp_path: Path, damage: Any, expected: str) -> None:
    backend, _ = journaled(tmp_path, changes=3)
    lines = backend.journal_path.read_bytes().split(b"\n")[:-1]
    backend.journal_path.write_bytes(b"\n".join(damage(lines)) + b"\n")
    with pytest.raises(StateError) as caught:
        LocalBackend(backend.path).read()
    assert str(caught.value).startswith(f"{backend.journal_path}: ")
    assert expected in str(caught.value) and "\n" not in str(caught.value)


# -- lock files -----------------------------------------------------------------------------------

_TAKE_LOCK_AND_DIE = """
import os, sys
from assistplan.state.local import LocalBackend
lock = LocalBackend(sys.argv[1]).lock("apply", 0)
print(lock.id, os.getpid(), flush=True)
os._exit(0)
"""


def test_lock_of_a_dead_process_is_reported_and_force_unlock_recovers(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    done = subprocess.run(
        [sys.executable, "-c", _TAKE_LOCK_AND_DIE, str(path)], capture_output=True, text=True, check=True
    )
    lock_id, pid = done.stdout.split()
    backend = LocalBackend(path)
    waited: list[str] = []
    with pytest.raises(LockError) as caught:
        backend.lock("plan", 30, on_wait=waited.append)
    assert waited == []  # a dead holder is not waited for
    message = str(caught.value)
    assert "no longer running" in message
    assert f"process {pid} does not exist on host {socket.gethostname()}" in message
    assert f"`assistplan force-unlock {lock_id}`" in message
    assert "operation apply" in message
    with pytest.raises(LockError):
        backend.lock("plan", 0)  # never broken automatically
    backend.force_unlock(lock_id)
    backend.unlock(backend.lock("plan", 0))


def _plant_lock(backend: LocalBackend, **fields: object) -> LockInfo:
    info = LockInfo(
        **{"id": "L-1", "operation": "apply", "who": "ci@runner-7", "created": 1.0e9, "pid": 1, "host": "h"}
        | fields
    )
    backend.lock_path.parent.mkdir(parents=True, exist_ok=True)
    backend.lock_path.write_text(json.dumps(info.to_json()))
    return info


def test_lock_of_another_host_is_waited_for(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    info = _plant_lock(backend, host="some-other-host", pid=999_999_999)
    waited: list[str] = []
    with pytest.raises(LockError) as caught:
        backend.lock("plan", 0.3, on_wait=waited.append)
    assert len(waited) == 1 and waited[0].startswith("ID L-1, operation apply, who ci@runner-7")
    message = str(caught.value)
    assert message.startswith(f"state {backend.path} is locked by another run (waited 0.3s): ID L-1, ")
    assert "who ci@runner-7 (pid 999999999)" in message
    assert message.endswith("wait for it, or run `assistplan force-unlock L-1` if it is dead")
    backend.force_unlock(info.id)
    assert not backend.lock_path.exists()


def test_unreadable_lock_file(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "state.json")
    backend.lock_path.write_text("garbage")
    with pytest.raises(LockError, match=re.escape(f"the lock file {backend.lock_path} is unreadable")):
        backend.lock("plan", 0)
    with pytest.raises(LockError, match="delete that file"):
        backend.force_unlock("x")
    assert backend.lock_path.read_text() == "garbage"


def test_lock_creates_the_directory_and_leaves_no_temp_files(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "new" / "state.json")
    lock = backend.lock("apply", 0)
    stored = json.loads(backend.lock_path.read_text())
    assert stored == lock.to_json()
    assert stored["pid"] == os.getpid() and stored["host"] == socket.gethostname()
    assert mode(tmp_path / "new") == 0o700
    assert leftovers(tmp_path / "new") == []
    backend.unlock(lock)
    assert list((tmp_path / "new").iterdir()) == []


def test_lock_in_unwritable_place_is_a_lock_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(LockError, match="cannot create the lock file"):
        LocalBackend(tmp_path / "file" / "state.json").lock("apply", 0)


# -- factory --------------------------------------------------------------------------------------


def test_open_backend_local(tmp_path: Path) -> None:
    backend = open_backend("local", path=tmp_path / "state.json")
    assert isinstance(backend, LocalBackend) and backend.path == tmp_path / "state.json"
    staging = open_backend("local", path=tmp_path / "state.json", workspace="staging")
    assert isinstance(staging, LocalBackend)
    assert staging.path == tmp_path / "workspaces" / "staging" / "state.json"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"kind": "s3", "path": Path("s.json")}, "unknown state backend 's3'"),
        ({"kind": "local"}, "needs a state file path"),
        ({"kind": "local", "path": Path("s.json"), "workspace": "../x"}, "invalid workspace name '../x'"),
        ({"kind": "local", "path": Path("s.json"), "workspace": ""}, "invalid workspace name ''"),
    ],
)
def test_open_backend_refuses(kwargs: dict[str, object], expected: str) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(StateError, match=re.escape(expected)):
        open_backend(kind, **kwargs)

"""StateManager: serials, endpoint binding, lineage, thread-safe persists, the lock context."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistplan.errors import LockError, StateError
from assistplan.state import LocalBackend, LockInfo, ResourceState, State, StateManager, normalize_endpoint
from assistplan.state.journal import Change
from assistplan.state.manager import GroupCommit


class SpyBackend(LocalBackend):
    """A LocalBackend that records every write and how many writes ever overlapped."""

    def __init__(self, path: Path, write_delay: float = 0.0) -> None:
        super().__init__(path)
        self.written: list[int] = []
        self.max_overlap = 0
        self._inside = 0
        self._guard = threading.Lock()
        self.write_delay = write_delay
        self.fail_next_write = False

    def write(self, state: State) -> None:
        with self._guard:
            self._inside += 1
            self.max_overlap = max(self.max_overlap, self._inside)
        try:
            if self.fail_next_write:
                self.fail_next_write = False
                raise StateError("disk on fire")
            time.sleep(self.write_delay)
            super().write(state)
            self.written.append(state.serial)
        finally:
            with self._guard:
                self._inside -= 1


@pytest.fixture
def spy(tmp_path: Path) -> SpyBackend:
    return SpyBackend(tmp_path / "state.json")


def file_rs(name: str, **attributes: object) -> ResourceState:
    return ResourceState(address=f"file.{name}", type="file", remote_id=f"file-{name}", attributes=attributes)


# -- load / persist -------------------------------------------------------------------------------


def test_load_without_state_gives_a_fresh_unsaved_state(spy: SpyBackend) -> None:
    state = StateManager(spy, "sandbox").load()
    assert (state.serial, state.endpoint, state.resources) == (0, "sandbox", {})
    assert len(state.lineage) == 36
    assert StateManager(spy, "sandbox").load().lineage != state.lineage
    assert spy.written == [] and not spy.path.exists()


def test_serial_bumps_only_when_content_changes(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    assert manager.persist(state).serial == 1  # the first write fixes the lineage
    assert manager.persist(state).serial == 1
    state.put(file_rs("a", purpose="assistants"))
    assert manager.persist(state).serial == 2
    assert manager.persist(state).serial == 2
    state.get("file.a").attributes["purpose"] = "batch"  # in place
    assert manager.persist(state).serial == 3
    state.remove("file.a")
    assert manager.persist(state).serial == 4
    assert spy.written == [1, 2, 3, 4]
    stored = spy.read()
    assert stored is not None and stored.serial == 4 and stored.lineage == state.lineage


def test_reloaded_state_continues_the_serial(spy: SpyBackend) -> None:
    first = StateManager(spy, "sandbox")
    state = first.load()
    state.put(file_rs("a"))
    first.persist(state)
    second = StateManager(spy, "sandbox")
    again = second.load()
    assert again.serial == 1
    assert second.persist(again).serial == 1 and spy.written == [1]
    again.put(file_rs("b"))
    assert second.persist(again).serial == 2


def test_serial_follows_the_store_not_the_object(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    stale = state.copy()
    state.put(file_rs("a"))
    manager.persist(state)
    stale.put(file_rs("b"))
    assert manager.persist(stale).serial == 2  # not stale.serial + 1 == 1
    unchanged = stale.copy()
    unchanged.serial = 99
    assert manager.persist(unchanged).serial == 2 and spy.written == [1, 2]


def test_failed_write_keeps_serial_and_retries_with_same_serial(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    state.put(file_rs("a"))
    spy.fail_next_write = True
    with pytest.raises(StateError, match="disk on fire"):
        manager.persist(state)
    assert state.serial == 0
    assert manager.persist(state).serial == 1
    assert spy.written == [1]


def test_persist_without_load_uses_what_is_stored(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    state.put(file_rs("a"))
    manager.persist(state)
    later = StateManager(spy, "sandbox")
    assert later.persist(state.copy()).serial == 1  # same content: nothing written
    changed = state.copy()
    changed.put(file_rs("b"))
    assert later.persist(changed).serial == 2


def test_a_state_of_another_lineage_is_refused(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    manager.persist(state)
    intruder = State(endpoint="sandbox")
    with pytest.raises(StateError, match=f"lineage {intruder.lineage}.*holds lineage {state.lineage}"):
        manager.persist(intruder)
    with pytest.raises(StateError, match="different states"):
        StateManager(spy, "sandbox").persist(intruder)
    assert spy.written == [1]


def test_a_write_by_another_run_since_load_is_not_overwritten(spy: SpyBackend) -> None:
    mine = StateManager(spy, "sandbox")
    state = mine.load()  # nothing stored yet
    theirs = StateManager(spy, "sandbox")
    other = theirs.load()
    other.put(file_rs("theirs"))
    theirs.persist(other)
    state.put(file_rs("mine"))
    with pytest.raises(StateError, match="changed since it was loaded \\(nothing then, serial 1 now\\)"):
        mine.persist(state)
    again = mine.load()
    other.put(file_rs("more"))
    theirs.persist(other)
    again.put(file_rs("mine"))
    with pytest.raises(StateError, match="serial 1 then, serial 2 now"):
        mine.persist(again)
    assert spy.written == [1, 2]
    assert sorted(spy.read().resources) == ["file.more", "file.theirs"]


def test_repeated_loads_of_nothing_accept_either_lineage(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    first = manager.load()
    manager.load()
    assert manager.persist(first).serial == 1
    assert spy.read().lineage == first.lineage


# -- endpoint binding -----------------------------------------------------------------------------


def test_state_of_another_endpoint_is_refused(spy: SpyBackend) -> None:
    sandbox = StateManager(spy, "sandbox")
    sandbox.persist(sandbox.load())
    with pytest.raises(StateError) as caught:
        StateManager(spy, "https://api.openai.com/v1").load()
    assert str(caught.value).startswith(
        f"state at {spy.path} belongs to endpoint sandbox, not https://api.openai.com/v1; "
    )
    with pytest.raises(StateError, match="belongs to endpoint sandbox"):
        StateManager(spy, "https://api.openai.com/v1").persist(State())


def test_equivalent_endpoint_spellings_share_a_state(spy: SpyBackend) -> None:
    manager = StateManager(spy, "https://api.example.com/v1")
    manager.persist(manager.load())
    for spelling in (
        "https://API.example.com/v1/",
        "https://bot:pw@api.example.com/v1?x=1",
        " https://api.example.com/v1",
    ):
        assert StateManager(spy, spelling).load().endpoint == "https://api.example.com/v1"


def test_credentials_never_reach_state_or_messages(spy: SpyBackend) -> None:
    secret_url = "https://bot:hunter2@api.example.com/v1?api_key=sk-live-123#frag"
    manager = StateManager(spy, secret_url)
    assert manager.endpoint == "https://api.example.com/v1"
    state = manager.load()
    manager.persist(state)
    text = spy.path.read_text()
    assert "hunter2" not in text and "sk-live-123" not in text and "https://api.example.com/v1" in text
    with pytest.raises(StateError) as caught:
        StateManager(spy, "https://mallory:sk-other@elsewhere.example/v1").load()
    assert "sk-other" not in str(caught.value) and "mallory" not in str(caught.value)


def test_unbound_stored_state_is_bound_at_next_write(spy: SpyBackend) -> None:
    spy.write(State(serial=5, endpoint=None))
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    assert state.endpoint == "sandbox"
    assert manager.persist(state).serial == 6
    assert spy.read().endpoint == "sandbox"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("sandbox", "sandbox"),
        ("  Sandbox ", "sandbox"),
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("HTTPS://API.OpenAI.com/v1/", "https://api.openai.com/v1"),
        ("http://user:pass@127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
        ("http://a@b@host/", "http://host"),
        ("https://host/v1?api-key=s#x", "https://host/v1"),
        ("user:pass@host/v1", "host/v1"),
    ],
)
def test_normalize_endpoint(raw: str, normal: str) -> None:
    assert normalize_endpoint(raw) == normal


@pytest.mark.parametrize("raw", ["", "   ", "https://", "https://user:secret@/v1"])
def test_normalize_endpoint_refuses_empty(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_endpoint(raw)
    assert "secret" not in str(caught.value)


# -- threads --------------------------------------------------------------------------------------


def test_concurrent_persists_write_one_serial_each_in_order(tmp_path: Path) -> None:
    spy = SpyBackend(tmp_path / "state.json", write_delay=0.001)
    manager = StateManager(spy, "sandbox")
    state = manager.load()
    workers, per_worker = 8, 10
    barrier, errors = threading.Barrier(workers), []

    def work(w: int) -> None:
        try:
            barrier.wait()
            for i in range(per_worker):
                with manager.mutex:
                    state.put(file_rs(f"w{w}_{i}", worker=w))
                manager.persist(state)
                manager.persist(state)  # no change since: a no-op unless another worker changed it
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert spy.max_overlap == 1
    assert spy.written == list(range(1, len(spy.written) + 1))  # consecutive, none twice
    assert len(spy.written) <= workers * per_worker
    stored = spy.read()
    assert stored is not None
    assert stored.serial == spy.written[-1] == state.serial
    assert len(stored.resources) == workers * per_worker


# -- group commit ---------------------------------------------------------------------------------


class GatedBackend(LocalBackend):
    """Appends wait for `release` (after setting `entered`); `fail_next` makes one append fail."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered, self.release = threading.Event(), threading.Event()
        self.release.set()
        self.fail_next = False
        self.records: list[Change] = []

    def append(self, change: Change) -> None:
        self.entered.set()
        assert self.release.wait(30)
        if self.fail_next:
            self.fail_next = False
            raise StateError("disk on fire")
        super().append(change)
        self.records.append(change)


def committer(tmp_path: Path) -> tuple[GatedBackend, State, threading.Lock, GroupCommit]:
    backend = GatedBackend(tmp_path / "state.json")
    manager = StateManager(backend, "sandbox")
    state = manager.load()
    lock = threading.Lock()
    commits = GroupCommit(manager, state, lock)
    commits.save()  # the whole document first, as an apply does
    return backend, state, lock, commits


def change(state: State, lock: threading.Lock, commits: GroupCommit, name: str) -> int:
    with lock:
        state.put(file_rs(name))
        return commits.ticket(f"file.{name}")


def test_group_commit_saves_each_change_as_a_journal_record(tmp_path: Path) -> None:
    backend, state, lock, commits = committer(tmp_path)
    commits.wait(change(state, lock, commits, "a"))
    commits.wait(change(state, lock, commits, "b"))
    with lock:
        state.remove("file.a")
        ticket = commits.ticket("file.a")
    commits.wait(ticket)
    assert [(r.serial, list(r.put), r.remove) for r in backend.records] == [
        (2, ["file.a"], ()),
        (3, ["file.b"], ()),
        (4, [], ("file.a",)),
    ]
    stored = LocalBackend(backend.path).read()
    assert stored is not None and stored.serial == 4 and set(stored.resources) == {"file.b"}
    assert json.loads(backend.path.read_text())["serial"] == 1  # the document was never rewritten


def test_group_commit_writes_without_holding_the_state_lock(tmp_path: Path) -> None:
    backend, state, lock, commits = committer(tmp_path)
    backend.entered.clear()
    backend.release.clear()
    first = threading.Thread(target=lambda: commits.wait(change(state, lock, commits, "a")))
    first.start()
    assert backend.entered.wait(30)  # the first record is being written...
    assert lock.acquire(timeout=10)  # ...and other workers can still change the state meanwhile
    try:
        state.put(file_rs("b"))
        ticket = commits.ticket("file.b")
    finally:
        lock.release()
    backend.release.set()
    first.join()
    commits.wait(ticket)
    assert [list(r.put) for r in backend.records] == [["file.a"], ["file.b"]]


def test_group_commit_retries_what_a_failed_record_held(tmp_path: Path) -> None:
    backend, state, lock, commits = committer(tmp_path)
    backend.fail_next = True
    ticket = change(state, lock, commits, "a")
    with pytest.raises(StateError, match="disk on fire"):
        commits.wait(ticket)
    commits.wait(change(state, lock, commits, "b"))  # the next record takes file.a along
    assert [sorted(r.put) for r in backend.records] == [["file.a", "file.b"]]
    assert backend.records[0].serial == 2


class HaltingBackend(LocalBackend):
    """Runs `during_write` (once) in the middle of the next whole write, as a signal handler
    interrupting the writing thread would."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.during_write: Callable[[], None] | None = None

    def write(self, state: State) -> None:
        hook, self.during_write = self.during_write, None
        if hook is not None:
            hook()
        super().write(state)


def test_closing_from_inside_a_whole_save_does_not_wait_on_that_save(tmp_path: Path) -> None:
    backend = HaltingBackend(tmp_path / "state.json")
    manager = StateManager(backend, "sandbox")
    state = manager.load()
    lock = threading.Lock()
    commits = GroupCommit(manager, state, lock)
    commits.save()
    state.put(file_rs("a"))
    closed = threading.Event()

    def halt() -> None:  # the second Ctrl-C, on the thread that holds the write
        commits.close(timeout=120)
        closed.set()

    backend.during_write = halt
    refused: list[StateError] = []

    def run() -> None:  # the whole save interrupted by halt(), then one more attempt
        commits.save()
        state.put(file_rs("b"))
        try:
            commits.save()
        except StateError as exc:
            refused.append(exc)

    saver = threading.Thread(target=run, daemon=True)
    saver.start()
    assert closed.wait(30), "close() waited for the write its own thread is making"
    saver.join(30)
    assert not saver.is_alive()
    assert [str(e) for e in refused] == ["state writes were stopped: the process is exiting"]
    stored = LocalBackend(backend.path).read()  # whole: the write under way completed, no other
    assert stored is not None and stored.serial == 2 and set(stored.resources) == {"file.a"}


def test_closing_stops_writes_after_the_one_in_progress(tmp_path: Path) -> None:
    backend, state, lock, commits = committer(tmp_path)
    backend.release.clear()
    first = threading.Thread(target=lambda: commits.wait(change(state, lock, commits, "a")), daemon=True)
    first.start()
    assert backend.entered.wait(30)
    closer = threading.Thread(target=commits.close, args=(120,), daemon=True)
    closer.start()
    backend.release.set()  # the write in progress finishes, then close() holds the writes
    closer.join(30)
    first.join(30)
    assert not closer.is_alive() and not first.is_alive()
    assert [list(r.put) for r in backend.records] == [["file.a"]]


# -- lock context ---------------------------------------------------------------------------------


def test_locked_holds_the_lock_for_the_block(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    with manager.locked("apply", 0) as lock:
        assert isinstance(lock, LockInfo) and lock.operation == "apply"
        with pytest.raises(LockError, match=lock.id):
            LocalBackend(spy.path).lock("plan", 0)
    assert not spy.lock_path.exists()


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt])
def test_locked_releases_on_exceptions(spy: SpyBackend, exc_type: type[BaseException]) -> None:
    manager = StateManager(spy, "sandbox")
    with pytest.raises(exc_type):
        with manager.locked("apply", 0):
            raise exc_type("boom")
    assert not spy.lock_path.exists()
    with manager.locked("apply", 0):
        pass


def test_locked_keeps_the_block_error_when_release_fails_too(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    with pytest.raises(RuntimeError) as caught:
        with manager.locked("apply", 0) as lock:
            spy.force_unlock(lock.id)
            raise RuntimeError("apply failed")
    assert any("no longer held" in note for note in caught.value.__notes__)


def test_locked_reports_release_failure_after_a_clean_block(spy: SpyBackend) -> None:
    manager = StateManager(spy, "sandbox")
    with pytest.raises(LockError, match="no longer held"):
        with manager.locked("apply", 0) as lock:
            spy.force_unlock(lock.id)


def test_locked_passes_on_lock_timeouts(spy: SpyBackend) -> None:
    held = spy.lock("apply", 0)
    with pytest.raises(LockError, match=held.id):
        with StateManager(spy, "sandbox").locked("plan", 0.05):
            pytest.fail("the block must not run without the lock")
    spy.unlock(held)

"""The conformance suite every state backend passes (Terraform's `statemgr.TestFull`).

Use it by subclassing in a `Test*` class and implementing two hooks:

    class TestLocalBackend(BackendConformance):
        def backend_factory(self, tmp_path):
            return functools.partial(LocalBackend, tmp_path / "state.json")

        def read_previous(self, backend):
            return backend.read_backup()

`backend_factory` returns a zero-argument callable that makes a *new* backend object over the
*same* storage each time it is called (so tests can play several runs), isolated per
`tmp_path`. It must be picklable and rebuildable in a fresh interpreter that can import
`assistplan` (a `functools.partial` of a backend class with plain arguments is), because the
cross-process test calls it in subprocesses. Calling it with `clock=` (monotonic seconds) makes
a backend that measures lock timeouts with that clock.
"""

from __future__ import annotations

import base64
import functools
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistplan.errors import LockError, StateError
from assistplan.state.base import Backend, LockInfo
from assistplan.state.journal import Change, canonical
from assistplan.state.manager import StateManager
from assistplan.state.model import ResourceState, State

BackendFactory = Callable[[], Backend]

# Run in each subprocess of the cross-process test: argv = factory (base64 pickle), worker, rounds,
# and how each round saves its change: "write" (the whole document) or "append" (a journal record).
# Waits for a line on stdin so that all workers start together; prints the serials it wrote.
_BUMP_WORKER = """
import base64, pickle, sys
from assistplan.state.journal import Change, canonical
from assistplan.state.model import ResourceState

factory = pickle.loads(base64.b64decode(sys.argv[1]))
worker, rounds, how = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
backend = factory()
print("ready", flush=True)
sys.stdin.readline()
serials = []
for r in range(rounds):
    lock = backend.lock(f"bump {worker}.{r}", 60.0)
    try:
        state = backend.read()
        rs = ResourceState(address=f"file.w{worker}_{r}", type="file", remote_id=f"id-{worker}-{r}")
        state.serial += 1
        if how == "write":
            state.put(rs)
            backend.write(state)
        else:
            backend.append(Change(state.lineage, state.serial, {rs.address: canonical(rs.to_json())}))
        serials.append(state.serial)
    finally:
        backend.unlock(lock)
print(" ".join(map(str, serials)), flush=True)
"""


def sample_state(serial: int = 1, note: str = "first") -> State:
    """A state using every field, with non-ASCII text, nesting and a null remote id."""
    state = State(serial=serial, endpoint="https://api.example.com/v1")
    state.put(
        ResourceState(
            address="assistant.support",
            type="assistant",
            remote_id="asst_123",
            attributes={
                "name": "Support — ünïcødé 🚀",
                "instructions": f"Antworte höflich. 日本語も. {note}",
                "temperature": 0.25,
                "tools": [{"type": "file_search"}],
                "metadata": {"assistplan": "assistant.support", "empty": {}},
            },
            depends_on=["vector_store.docs", "file.handbook"],
            prevent_destroy=True,
            extra={"history": [1, 2, 3], "flag": None},
        )
    )
    state.put(ResourceState(address="file.handbook", type="file", sha256="ab" * 32))
    state.put(ResourceState(address="vector_store.docs", type="vector_store", remote_id=None))
    return state


def change_to(state: State, put: list[ResourceState] = (), remove: tuple[str, ...] = ()) -> Change:
    """The change that puts and removes entries of `state` (applied to it too), with its meta."""
    for rs in put:
        state.put(rs)
    for address in remove:
        state.remove(address)
    state.serial += 1
    return Change(
        state.lineage,
        state.serial,
        {rs.address: canonical(rs.to_json()) for rs in put},
        remove,
        canonical(state.meta()),
    )


class SteppingClock:
    """A monotonic clock that moves `step` seconds each time it is read: a lock timeout of any
    length runs out in a few reads, without waiting for real time (so nothing races a timer)."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


class BackendConformance:
    """Behaviour common to every `Backend`. Subclasses implement the two hooks below."""

    def backend_factory(self, tmp_path: Path) -> BackendFactory:
        """A picklable zero-argument callable making backends over one storage (see module doc)."""
        raise NotImplementedError

    def read_previous(self, backend: Backend) -> State | None:
        """The document the last write replaced (the backup, or the newest history entry)."""
        raise NotImplementedError

    @pytest.fixture
    def factory(self, tmp_path: Path) -> BackendFactory:
        return self.backend_factory(tmp_path)

    @pytest.fixture
    def backend(self, factory: BackendFactory) -> Backend:
        return factory()

    # -- documents ------------------------------------------------------------------------------

    def test_describe_names_the_location(self, backend: Backend) -> None:
        text = backend.describe()
        assert isinstance(text, str) and text.strip()
        assert "\n" not in text

    def test_read_when_nothing_written_is_none(self, backend: Backend) -> None:
        assert backend.read() is None

    def test_round_trip_keeps_every_field(self, backend: Backend, factory: BackendFactory) -> None:
        state = sample_state(serial=3)
        backend.write(state)
        for reader in (backend, factory()):
            got = reader.read()
            assert got is not None
            assert got.to_json() == state.to_json()
            assert (got.lineage, got.serial, got.endpoint) == (state.lineage, 3, state.endpoint)
            rs = got.get("assistant.support")
            assert rs is not None
            assert rs.attributes["name"] == "Support — ünïcødé 🚀"
            assert sorted(rs.depends_on) == ["file.handbook", "vector_store.docs"]
            assert rs.prevent_destroy is True
            assert rs.extra == {"history": [1, 2, 3], "flag": None}
            assert got.get("vector_store.docs").remote_id is None

    def test_serial_and_lineage_are_stored_as_given(self, backend: Backend) -> None:
        state = sample_state(serial=7)
        backend.write(state)
        state.serial = 8
        state.remove("file.handbook")
        backend.write(state)
        got = backend.read()
        assert got is not None
        assert (got.lineage, got.serial) == (state.lineage, 8)
        assert got.get("file.handbook") is None

    def test_overwrite_keeps_the_previous_version(self, backend: Backend) -> None:
        first = sample_state(serial=1, note="one")
        backend.write(first)
        second = sample_state(serial=2, note="two")
        second.lineage = first.lineage
        backend.write(second)
        current, previous = backend.read(), self.read_previous(backend)
        assert current is not None and previous is not None
        assert current.to_json() == second.to_json()
        assert previous.to_json() == first.to_json()
        third = second.copy()
        third.serial = 3
        backend.write(third)
        previous = self.read_previous(backend)
        assert previous is not None and previous.serial == 2

    # -- journal --------------------------------------------------------------------------------

    def test_appended_changes_are_read_back(self, backend: Backend, factory: BackendFactory) -> None:
        state = sample_state(serial=1)
        backend.write(state)
        backend.append(change_to(state, put=[ResourceState("file.new", "file", remote_id="file-1")]))
        changed = ResourceState("assistant.support", "assistant", remote_id="asst_9", attributes={"é": [1]})
        backend.append(change_to(state, put=[changed], remove=("file.handbook",)))
        state.account_sizes = {"file": 3}
        state.forgotten = ["file-0"]
        backend.append(change_to(state))  # only the top-level fields changed
        for reader in (backend, factory()):
            got = reader.read()
            assert got is not None and got.serial == 4
            assert got.to_json() == state.to_json()

    def test_an_append_must_follow_the_current_serial_of_the_same_lineage(
        self, backend: Backend, factory: BackendFactory
    ) -> None:
        rs = ResourceState("file.x", "file")
        with pytest.raises(StateError):
            backend.append(Change("lineage", 1, {rs.address: canonical(rs.to_json())}))  # nothing stored
        state = sample_state(serial=5)
        backend.write(state)
        other = factory()
        for wrong in (
            Change(state.lineage, 5, {}),  # not after 5
            Change(state.lineage, 7, {}),  # a gap
            Change("another-lineage", 6, {}),
        ):
            with pytest.raises(StateError):
                other.append(wrong)
        other.append(change_to(state, put=[rs]))
        with pytest.raises(StateError):
            factory().append(Change(state.lineage, 6, {}))  # 6 is taken now
        got = factory().read()
        assert got is not None and got.to_json() == state.to_json()

    def test_a_whole_write_replaces_the_journal(self, backend: Backend, factory: BackendFactory) -> None:
        state = sample_state(serial=1)
        backend.write(state)
        backend.append(change_to(state, put=[ResourceState("file.a", "file")]))
        backend.append(change_to(state, put=[ResourceState("file.b", "file")]))
        fresh = sample_state(serial=4, note="whole")
        fresh.lineage = state.lineage
        factory().write(fresh)
        got = factory().read()
        assert got is not None and got.to_json() == fresh.to_json()
        factory().append(change_to(fresh, put=[ResourceState("file.c", "file")]))
        got = factory().read()
        assert got is not None and got.to_json() == fresh.to_json() and got.serial == 5

    def test_compact_folds_the_journal_into_the_document(
        self, backend: Backend, factory: BackendFactory
    ) -> None:
        first = sample_state(serial=1)
        backend.write(first)
        backend.compact(first)  # nothing to fold: nothing happens
        assert self.read_previous(backend) is None
        state = first.copy()
        backend.append(change_to(state, put=[ResourceState("file.a", "file")]))
        backend.append(change_to(state, remove=("file.handbook",)))
        with pytest.raises(StateError):
            factory().compact(first)  # not the current state
        factory().compact(state)
        for reader in (backend, factory()):
            got = reader.read()
            assert got is not None and got.to_json() == state.to_json() and got.serial == 3
        previous = self.read_previous(factory())
        assert previous is not None and previous.to_json() == first.to_json()
        factory().append(change_to(state, put=[ResourceState("file.b", "file")]))
        got = factory().read()
        assert got is not None and got.to_json() == state.to_json() and got.serial == 4

    def test_a_manager_grows_the_serial_by_one_per_change_through_the_journal(
        self, factory: BackendFactory
    ) -> None:
        manager = StateManager(factory(), "https://api.example.com/v1")
        state = manager.load()
        state.put(ResourceState("file.a", "file", remote_id="file-1"))
        assert manager.persist(state).serial == 1  # nothing stored yet: a whole document
        state.put(ResourceState("file.b", "file", remote_id="file-2"))
        assert manager.persist(state, changed={"file.b"}).serial == 2
        assert manager.persist(state, changed={"file.a", "file.b"}).serial == 2  # no change: no write
        state.get("file.a").attributes["purpose"] = "assistants"  # in place
        state.remove("file.b")
        assert manager.persist(state, changed={"file.a", "file.b"}).serial == 3
        state.account_sizes["file"] = 1  # a top-level field is always compared
        assert manager.persist(state, changed=()).serial == 4
        assert manager.persist(state).serial == 4  # the same content: the journal is folded
        again = StateManager(factory(), "https://api.example.com/v1")
        got = again.load()
        assert got.serial == 4 and got.to_json() == state.to_json()
        assert self.read_previous(factory()) is not None  # the document before the fold
        got.put(ResourceState("file.c", "file"))
        assert again.persist(got, changed={"file.c"}).serial == 5

    # -- lock -----------------------------------------------------------------------------------

    def test_lock_returns_info_and_unlock_frees_it(self, backend: Backend, factory: BackendFactory) -> None:
        before = time.time()
        lock = backend.lock("apply", 0)
        assert isinstance(lock, LockInfo)
        assert lock.operation == "apply" and lock.id and lock.who
        assert before - 1 <= lock.created <= time.time() + 1
        backend.unlock(lock)
        again = factory().lock("plan", 0)
        assert again.id != lock.id
        factory().unlock(again)

    def test_second_lock_fails_after_timeout_naming_holder(
        self, backend: Backend, factory: BackendFactory
    ) -> None:
        held = backend.lock("apply", 0)
        clock = SteppingClock(step=25.0)
        other = functools.partial(factory, clock=clock)()
        told: list[str] = []
        with pytest.raises(LockError) as caught:
            other.lock("plan", 100.0, on_wait=told.append)
        assert len(told) == 1 and held.id in told[0]  # it waited for the holder...
        assert clock.now >= 25.0 + 100.0  # ...and gave up only when its clock passed the timeout
        assert clock.reads >= 3  # the deadline, then checks while waiting
        message = str(caught.value)
        assert held.id in message and "apply" in message and held.who in message
        assert f"force-unlock {held.id}" in message
        assert isinstance(caught.value, StateError)
        with pytest.raises(LockError):
            other.lock("plan", 0)  # zero timeout: one attempt
        backend.unlock(held)

    def test_lock_waits_until_released(self, backend: Backend, factory: BackendFactory) -> None:
        """The waiter says once that it waits, naming the holder; the holder then lets go (from
        that very call: no timer races the waiter), and the waiter takes the lock."""
        held = backend.lock("apply", 0)
        told: list[str] = []

        def waiting(holder: str) -> None:
            told.append(holder)
            backend.unlock(held)

        got = factory().lock("plan", 60, on_wait=waiting)
        assert len(told) == 1 and held.id in told[0] and "operation apply" in told[0]
        assert got.id != held.id
        factory().unlock(got)

    def test_a_lock_that_does_not_wait_says_nothing(self, backend: Backend, factory: BackendFactory) -> None:
        told: list[str] = []
        held = backend.lock("apply", 60, on_wait=told.append)  # free: taken at once
        with pytest.raises(LockError):
            factory().lock("plan", 0, on_wait=told.append)  # zero timeout: fails without waiting
        backend.unlock(held)
        assert told == []

    def test_unlock_removes_only_its_own_lock(self, backend: Backend, factory: BackendFactory) -> None:
        held = backend.lock("apply", 0)
        stranger = LockInfo.new("plan")
        with pytest.raises(LockError) as caught:
            factory().unlock(stranger)
        assert held.id in str(caught.value)
        with pytest.raises(LockError):
            factory().lock("plan", 0)  # still held
        backend.unlock(held)
        with pytest.raises(LockError):
            backend.unlock(held)  # already released

    def test_force_unlock_with_wrong_id_keeps_lock(self, backend: Backend, factory: BackendFactory) -> None:
        held = backend.lock("apply", 0)
        with pytest.raises(LockError) as caught:
            factory().force_unlock("not-the-id")
        message = str(caught.value)
        assert "no lock with id not-the-id" in message and held.id in message
        with pytest.raises(LockError):
            factory().lock("plan", 0)
        backend.unlock(held)

    def test_force_unlock_with_right_id_frees_lock(self, backend: Backend, factory: BackendFactory) -> None:
        held = backend.lock("apply", 0)
        factory().force_unlock(held.id)
        taken = factory().lock("plan", 0)
        with pytest.raises(LockError):
            backend.unlock(held)  # the old holder must not free the new lock
        with pytest.raises(LockError):
            factory().lock("plan", 0)
        factory().unlock(taken)

    def test_force_unlock_when_not_locked(self, backend: Backend) -> None:
        with pytest.raises(LockError, match="not locked"):
            backend.force_unlock("anything")

    def test_threads_exclude_each_other(self, factory: BackendFactory) -> None:
        factory().write(State(serial=0))
        inside, overlaps, errors = [0], [0], []
        guard = threading.Lock()

        def run() -> None:
            backend = factory()
            try:
                for _ in range(5):
                    lock = backend.lock("bump", 30)
                    with guard:
                        inside[0] += 1
                        overlaps[0] = max(overlaps[0], inside[0])
                    state = backend.read()
                    assert state is not None
                    state.serial += 1
                    time.sleep(0.001)
                    backend.write(state)
                    with guard:
                        inside[0] -= 1
                    backend.unlock(lock)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert overlaps[0] == 1
        final = factory().read()
        assert final is not None and final.serial == 30

    @pytest.mark.parametrize("how", ["write", "append"])
    def test_processes_exclude_each_other(self, factory: BackendFactory, how: str) -> None:
        workers, rounds = 8, 5
        initial = State(serial=0, endpoint="sandbox")
        factory().write(initial)
        spec = base64.b64encode(pickle.dumps(factory)).decode("ascii")
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _BUMP_WORKER, spec, str(w), str(rounds), how],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for w in range(workers)
        ]
        try:
            for p in procs:
                assert p.stdout is not None and p.stderr is not None
                if p.stdout.readline().strip() != "ready":
                    p.kill()
                    pytest.fail(f"worker did not start: {p.stderr.read()}")
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            outputs = [p.communicate(timeout=60) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        for p, (_, err) in zip(procs, outputs, strict=True):
            assert p.returncode == 0, err
        serials = sorted(int(s) for out, _ in outputs for s in out.split())
        assert serials == list(range(1, workers * rounds + 1))  # each serial written exactly once
        final = factory().read()
        assert final is not None
        assert final.serial == workers * rounds
        assert final.lineage == initial.lineage
        assert sorted(final.resources) == sorted(
            f"file.w{w}_{r}" for w in range(workers) for r in range(rounds)
        )  # no write lost

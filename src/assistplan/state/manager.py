"""`StateManager`: what the engine uses to load, persist and lock state through a `Backend`.

Invariants:

- Endpoint binding: a stored state whose endpoint differs from the manager's is refused with
  `StateError`; endpoints are compared after `normalize_endpoint` (credentials, query and
  fragment stripped, scheme/host lower-cased, trailing `/` dropped), so no secret is ever
  stored in state or shown in an error.
- Environment binding: a stored state written for another environment (`--env`) is refused,
  and so is one written for an environment when none is selected; a state written before
  environments existed is bound to the selected one at its next write (so it can be adopted).
- Lineage: `persist` refuses a state whose lineage differs from the one stored. Before its
  first write a manager re-reads the backend and refuses to write if the stored state is no
  longer the one it loaded (another run wrote in between: the caller should have held the
  lock from before `load`).
- Serial: every write that changes the stored content has serial = stored serial + 1, and a
  persist whose content equals what is stored writes nothing; so the serial grows by exactly
  one per write that changes something, whatever serial the passed object carried. What is
  compared: the whole state for `persist(state)`; for `persist(state, changed=ADDRS)` (and
  `prepare`) the entries named in ADDRS plus the top-level fields. Callers name every address
  they changed; an entry they do not name is saved by the next whole `persist`.
- Cost: `persist(state)` compares every entry and writes the whole document (or, when nothing
  changed, folds the backend's journal into it: `Backend.compact`). `persist(state,
  changed=ADDRS)` costs the size of those entries: one journal record (`Backend.append`).
- Thread safety: the manager's own fields are guarded by `mutex`. Callers must not change a
  state while it is persisted or prepared (`GroupCommit` does this for the apply's workers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from assistplan.errors import StateError
from assistplan.state.base import Backend, LockInfo
from assistplan.state.journal import Change, canonical
from assistplan.state.model import State

__all__ = ["GroupCommit", "StateManager", "check_environment", "normalize_endpoint"]


def normalize_endpoint(endpoint: str) -> str:
    """The name a state is bound to: `sandbox`, or a base URL without credentials/query/fragment.

    >>> normalize_endpoint("https://user:secret@API.example.com/v1/?key=x")
    'https://api.example.com/v1'
    """
    text = endpoint.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    authority, _, path = rest.partition("/")
    authority = authority.rpartition("@")[2].lower()
    path = path.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if not authority:
        raise ValueError(f"invalid endpoint {endpoint.split('@')[-1]!r}: no host or name")
    name = authority + (f"/{path}" if path else "")
    return f"{scheme.lower()}://{name}" if sep else name


def check_environment(state: State, environment: str | None, where: str) -> None:
    """Refuse a state of another environment (see the module docstring)."""
    theirs = state.environment
    if theirs is None or theirs == environment:
        return
    if environment is None:
        raise StateError(
            f"state at {where} belongs to environment {theirs}: select it with --env {theirs} "
            "(or ASSISTPLAN_ENV)"
        )
    raise StateError(
        f"state at {where} belongs to environment {theirs}, not {environment}: each environment keeps "
        "its own state (check state.path / state.workspace in the environments' overlays)"
    )


@dataclass
class _Stored:
    """What the backend holds as far as this manager knows: lineage (None: nothing stored),
    serial, and the canonical JSON of the top-level fields and of each entry."""

    lineage: str | None
    serial: int
    meta: str | None = None
    resources: dict[str, str] = field(default_factory=dict)


class StateManager:
    """Loads, persists and locks the state of one endpoint in one backend (see module docstring)."""

    def __init__(
        self,
        backend: Backend,
        endpoint: str,
        on_lock_wait: Callable[[str, float], None] | None = None,
        *,
        environment: str | None = None,
        advice: Callable[[str], str] | None = None,
    ) -> None:
        """`advice(their_endpoint)`: what the user can do when the state belongs to another
        endpoint (the CLI names its flags there)."""
        self.backend = backend
        self.endpoint = normalize_endpoint(endpoint)
        self.environment = environment
        self.on_lock_wait = on_lock_wait  # told (holder, timeout) when `locked` starts waiting
        self._advice = advice
        self.mutex = threading.RLock()
        self._loaded: tuple[str | None, int] | None = None  # (lineage, serial) that load() saw
        self._stored: _Stored | None = None  # taken from the backend at the first persist

    def load(self) -> State:
        """The stored state, or a fresh unsaved one (new lineage, serial 0) when nothing is stored."""
        stored = self.backend.read()
        with self.mutex:
            self._stored = None
            if stored is None:
                self._loaded = (None, 0)
                return State(endpoint=self.endpoint, environment=self.environment)
            if stored.endpoint is not None:
                self._check_endpoint(stored.endpoint)
            check_environment(stored, self.environment, self.backend.describe())
            self._loaded = (stored.lineage, stored.serial)
            if stored.endpoint is None:
                stored.endpoint = self.endpoint  # an unbound state is bound at its next write
            if stored.environment is None:
                stored.environment = self.environment
            return stored

    def persist(self, state: State, *, changed: Collection[str] | None = None) -> State:
        """Save `state` with the next serial if its content changed; returns it (serial updated).

        `changed`: the addresses the caller changed since the last persist: only they (and the
        top-level fields) are compared and saved, as one journal record (see module docstring).
        """
        with self.mutex:
            if changed is None or self._known().lineage is None:
                return self._persist_whole(state)
            change = self.prepare(state, changed)
            if change is not None:
                self.commit(change)
            state.serial = self._known().serial
            return state

    def prepare(self, state: State, changed: Collection[str]) -> Change | None:
        """The journal record that saves the entries `changed` and the top-level fields of `state`;
        None when they match what is stored. Costs the size of those entries. Call while `state`
        cannot change, and `commit` the record before preparing the next one."""
        with self.mutex:
            stored = self._known()
            if stored.lineage is None:
                raise StateError("nothing is stored yet: persist the whole state first")
            self._check(state, stored)
            put: dict[str, str] = {}
            removed: list[str] = []
            for address in sorted(changed):
                rs = state.resources.get(address)
                if rs is None:
                    if address in stored.resources:
                        removed.append(address)
                    continue
                doc = canonical(rs.to_json())
                if stored.resources.get(address) != doc:
                    put[address] = doc
            meta = canonical(state.meta())
            new_meta = meta if meta != stored.meta else None
            if not put and not removed and new_meta is None:
                return None
            return Change(state.lineage, stored.serial + 1, put, tuple(removed), new_meta)

    def commit(self, change: Change) -> None:
        """Append a record made by `prepare` (durable when this returns)."""
        with self.mutex:
            stored = self._known()
            if change.serial != stored.serial + 1:
                raise StateError(
                    f"change {change.serial} was prepared before serial {stored.serial} was saved"
                )
            self.backend.append(change)
            stored.resources.update(change.put)
            for address in change.remove:
                stored.resources.pop(address, None)
            if change.meta is not None:
                stored.meta = change.meta
            stored.serial = change.serial

    @contextmanager
    def locked(self, operation: str, timeout: float) -> Iterator[LockInfo]:
        """Hold the backend lock for the block; released on any exit, KeyboardInterrupt included.

        If the block raised and the release fails too, the block's exception wins and carries
        the release failure as a note.
        """
        tell = self.on_lock_wait
        lock = self.backend.lock(operation, timeout, None if tell is None else lambda who: tell(who, timeout))
        try:
            yield lock
        except BaseException as exc:
            try:
                self.backend.unlock(lock)
            except StateError as unlock_error:
                exc.add_note(f"also: {unlock_error}")
            raise
        self.backend.unlock(lock)

    # -- internals ------------------------------------------------------------------------------

    def _persist_whole(self, state: State) -> State:
        stored = self._known()
        self._check(state, stored)
        resources = {a: canonical(rs.to_json()) for a, rs in state.resources.items()}
        meta = canonical(state.meta())
        if stored.lineage is not None and meta == stored.meta and resources == stored.resources:
            state.serial = stored.serial
            self.backend.compact(state)  # the same content: only fold the journal, if any
            return state
        previous_serial = state.serial
        state.serial = stored.serial + 1
        try:
            self.backend.write(state)
        except BaseException:
            state.serial = previous_serial
            raise
        self._stored = _Stored(state.lineage, state.serial, meta, resources)
        return state

    def _check(self, state: State, stored: _Stored) -> None:
        if stored.lineage is not None and state.lineage != stored.lineage:
            raise StateError(
                f"refusing to write state with lineage {state.lineage} to {self.backend.describe()}, "
                f"which holds lineage {stored.lineage}: they are different states"
            )
        if state.endpoint is None:
            state.endpoint = self.endpoint
        else:
            self._check_endpoint(state.endpoint)
        check_environment(state, self.environment, self.backend.describe())

    def _known(self) -> _Stored:
        """What is stored, read from the backend at the first persist; StateError if that is no
        longer what `load` saw (another run wrote in between)."""
        if self._stored is not None:
            return self._stored
        fresh = self.backend.read()
        now: tuple[str | None, int] = (None, 0) if fresh is None else (fresh.lineage, fresh.serial)
        if self._loaded is not None and self._loaded != now:
            was = "nothing" if self._loaded[0] is None else f"serial {self._loaded[1]}"
            is_ = "nothing" if now[0] is None else f"serial {now[1]}"
            raise StateError(
                f"state at {self.backend.describe()} changed since it was loaded ({was} then, {is_} now): "
                "another run wrote it; run the command again"
            )
        if fresh is None:
            self._stored = _Stored(None, 0)
        else:
            if fresh.endpoint is not None:
                self._check_endpoint(fresh.endpoint)
            check_environment(fresh, self.environment, self.backend.describe())
            self._stored = _Stored(
                fresh.lineage,
                fresh.serial,
                canonical(fresh.meta()),
                {a: canonical(rs.to_json()) for a, rs in fresh.resources.items()},
            )
        return self._stored

    def _check_endpoint(self, endpoint: str) -> None:
        try:
            theirs = normalize_endpoint(endpoint)
        except ValueError:
            theirs = "(invalid endpoint)"
        if theirs != self.endpoint:
            advice = (
                self._advice(theirs)
                if self._advice
                else f"run against {theirs}, or use a separate state for {self.endpoint}"
            )
            raise StateError(
                f"state at {self.backend.describe()} belongs to endpoint {theirs}, not {self.endpoint}; "
                + advice
            )


class GroupCommit:
    """Durable saves of one `State` shared by many threads, one journal record serving many changes.

    A worker mutates `state` while holding `lock`, takes `ticket(address)` for each entry it
    changed before releasing it, and then calls `wait(ticket)`, which returns only once a write
    that includes the change is on disk (or raises what that write raised). One waiter at a time
    writes: it takes every change made so far into one record under `lock` (costing the size of
    those entries), releases `lock`, and appends the record; changes made meanwhile queue up
    for the next record (group commit). Workers never wait for `lock` while a write is on disk,
    and each change is saved before its worker goes on, as with a write per change.
    """

    def __init__(self, manager: StateManager, state: State, lock: threading.Lock | threading.RLock) -> None:
        self.manager = manager
        self.state = state
        self.lock = lock  # guards `state`; held only while a record is taken from it
        self.records = 0  # journal records written
        # One write at a time. Reentrant so that `close` from a signal handler on the thread
        # that is writing (the main thread, in `save`) does not wait on its own write.
        self._write = threading.RLock()
        self._closed = False
        self._issued = 0  # tickets handed out (changes made)
        self._durable = 0  # every change up to this ticket is on disk
        self._dirty: set[str] = set()  # addresses changed since the last record was taken

    def ticket(self, address: str) -> int:
        """Call with `lock` held, right after changing the entry at `address`."""
        self._dirty.add(address)
        self._issued += 1
        return self._issued

    def close(self, timeout: float) -> None:
        """Let a write in progress finish (up to `timeout`), then write nothing more: for a process
        about to exit while workers still run. A worker saving after this waits for ever.

        Called on the thread that is writing (a signal handler interrupting `save`), it returns at
        once: that write cannot finish before the handler returns, and the process exits from
        there; the backends' writes are atomic, so the stored state stays the previous one.
        """
        self._write.acquire(timeout=timeout)  # never released: no write starts after this
        self._closed = True

    def _check_open(self) -> None:
        """Call holding `_write`: the closing thread itself would get past it (it is reentrant)."""
        if self._closed:
            raise StateError("state writes were stopped: the process is exiting")

    def wait(self, ticket: int) -> None:
        """Return once the change behind `ticket` is saved; call without holding `lock`."""
        with self._write:
            self._check_open()
            if self._durable >= ticket:
                return  # a write that started after our change took it along
            with self.lock:
                upto = self._issued
                dirty, self._dirty = self._dirty, set()
                try:
                    change = self.manager.prepare(self.state, dirty)
                except BaseException:
                    self._dirty |= dirty
                    raise
            if change is not None:
                try:
                    self.manager.commit(change)
                except BaseException:
                    with self.lock:
                        self._dirty |= dirty  # saved by the next record, or the final whole persist
                    raise
                self.records += 1
            self._durable = upto

    def save(self) -> None:
        """Persist the whole state (at the start and end of a run, while no worker runs): writes
        it if it differs from what is stored, else folds the journal into the document."""
        with self._write, self.lock:
            self._check_open()
            upto = self._issued
            self.manager.persist(self.state)
            self._dirty.clear()
            self._durable = upto

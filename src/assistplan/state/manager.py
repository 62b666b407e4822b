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
  first write a manager re-reads the backend and refuses to write if the stored document is
  no longer the one it loaded (another run wrote in between: the caller should have held
  the lock from before `load`).
- Serial: `persist` writes only when `state.content()` differs from the last content loaded or
  persisted, and then with serial = last serial + 1; the serial on disk therefore grows by
  exactly one per content change, whatever serial the passed object carried.
- Thread safety: `persist` runs under `mutex` (re-entrant). Workers that mutate a shared
  `State` and persist it should hold `mutex` while mutating, so a persist never serialises a
  half-made change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from assistplan.errors import StateError
from assistplan.state.base import Backend, LockInfo
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


@dataclass(frozen=True)
class _Baseline:
    """What the backend holds as far as this manager knows: lineage (None: anything goes), serial,
    and the canonical JSON of the content (None: nothing stored yet)."""

    lineage: str | None
    serial: int
    content: str | None


def _canonical(state: State) -> str:
    return json.dumps(state.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
        self._baseline: _Baseline | None = None
        self._verified = False  # the backend was re-read since load() and still matched

    def load(self) -> State:
        """The stored state, or a fresh unsaved one (new lineage, serial 0) when nothing is stored."""
        stored = self.backend.read()
        with self.mutex:
            self._verified = False
            if stored is None:
                self._baseline = _Baseline(None, 0, None)
                return State(endpoint=self.endpoint, environment=self.environment)
            self._baseline = self._baseline_of(stored)
            if stored.endpoint is None:
                stored.endpoint = self.endpoint  # an unbound state is bound at its next write
            if stored.environment is None:
                stored.environment = self.environment
            return stored

    def persist(self, state: State, *, changed: bool = False) -> State:
        """Write `state` with the next serial if its content changed; returns it (serial updated).

        `changed`: the caller knows it changed (it just made a change): skip the comparison, which
        costs a canonical serialisation of the whole document."""
        with self.mutex:
            if not self._verified:
                self._verify_baseline()
            baseline = self._baseline
            assert baseline is not None
            if baseline.lineage is not None and state.lineage != baseline.lineage:
                raise StateError(
                    f"refusing to write state with lineage {state.lineage} to {self.backend.describe()}, "
                    f"which holds lineage {baseline.lineage}: they are different states"
                )
            if state.endpoint is None:
                state.endpoint = self.endpoint
            else:
                self._check_endpoint(state.endpoint)
            check_environment(state, self.environment, self.backend.describe())
            content = None if changed else _canonical(state)
            if content is not None and content == baseline.content:
                state.serial = baseline.serial
                return state
            previous_serial = state.serial
            state.serial = baseline.serial + 1
            try:
                self.backend.write(state)
            except BaseException:
                state.serial = previous_serial
                raise
            self._baseline = _Baseline(state.lineage, state.serial, content)
            return state

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

    def _verify_baseline(self) -> None:
        """Take the baseline from the backend, or check that the backend still holds it."""
        stored = self.backend.read()
        current = _Baseline(None, 0, None) if stored is None else self._baseline_of(stored)
        loaded = self._baseline
        if loaded is not None and (loaded.lineage, loaded.serial) != (current.lineage, current.serial):
            was = "nothing" if loaded.lineage is None else f"serial {loaded.serial}"
            now = "nothing" if current.lineage is None else f"serial {current.serial}"
            raise StateError(
                f"state at {self.backend.describe()} changed since it was loaded ({was} then, {now} now): "
                "another run wrote it; run the command again"
            )
        self._baseline = current
        self._verified = True

    def _baseline_of(self, stored: State) -> _Baseline:
        if stored.endpoint is not None:
            self._check_endpoint(stored.endpoint)
        check_environment(stored, self.environment, self.backend.describe())
        return _Baseline(stored.lineage, stored.serial, _canonical(stored))

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
    """Durable saves of one `State` shared by many threads, one write serving many changes.

    A worker mutates `state` while holding `lock`, takes `ticket()` before releasing it, and
    then calls `wait(ticket)`, which returns only once a write that includes the change is on
    disk (or raises what that write raised). While one write runs, the changes made meanwhile
    queue up and the next write takes them all (group commit): n changes from p workers cost
    about n/p writes instead of n, and each write is a whole document, so this is what keeps a
    large apply from spending O(n^2) time serialising state. The guarantee is the same as a
    write per change: no worker goes past a change that is not saved yet.
    """

    def __init__(self, manager: StateManager, state: State, lock: threading.Lock | threading.RLock) -> None:
        self.manager = manager
        self.state = state
        self.lock = lock  # guards `state`; held while a write serialises it
        self.writes = 0
        self._write = threading.Lock()  # one write at a time
        self._issued = 0  # tickets handed out (changes made)
        self._durable = 0  # every change up to this ticket is on disk

    def ticket(self) -> int:
        """Call with `lock` held, right after mutating `state`."""
        self._issued += 1
        return self._issued

    def wait(self, ticket: int) -> None:
        """Return once the change behind `ticket` is saved; call without holding `lock`."""
        with self._write:
            if self._durable >= ticket:
                return  # a write that started after our change took it along
            with self.lock:
                upto = self._issued
                self.manager.persist(self.state, changed=True)
            self._durable = upto
            self.writes += 1

    def save(self) -> None:
        """Write the state if it differs from what is stored (at the start and end of a run);
        nothing when every change made through tickets is already on disk."""
        with self._write:
            with self.lock:
                if self.writes and self._durable == self._issued:
                    return
                upto = self._issued
                self.manager.persist(self.state)
            self._durable = upto
            self.writes += 1

"""`state pull` / `state push`: move a state document between backends (Terraform's semantics).

- `pull(backend)` returns the stored document as JSON text (what `assistplan state pull`
  prints), or "" when nothing is stored.
- `push(backend, text, force=False)` makes `text` the backend's current document, holding the
  backend's lock while it checks and writes. Without `force` it refuses (StateError):
  a document of another lineage; one with a lower serial than the stored one; one with the
  same serial but different content; one bound to another endpoint (an unbound one is fine).
  Pushing exactly the stored document again is a no-op. Into an empty backend anything valid goes.
- A document written for another environment (`--env`) than the backend's is refused, with or
  without `force`: every later command would refuse it.
- With `force` every check is skipped. The serial stored never goes down, though: if the pushed
  serial is not above the stored one, the document is written with serial = stored + 1, so
  backends that keep history (postgres) keep every earlier version and saved plans made against
  the replaced state are refused as stale. `push` returns the document as written.
"""

from __future__ import annotations

from assistplan.errors import StateError
from assistplan.state.base import Backend, OnLockWait
from assistplan.state.manager import check_environment, normalize_endpoint
from assistplan.state.model import State

__all__ = ["PUSH_OPERATION", "pull", "push"]

PUSH_OPERATION = "state push"


def pull(backend: Backend) -> str:
    """The backend's current document as JSON text ("" when nothing is stored)."""
    state = backend.read()
    return "" if state is None else state.dumps()


def push(
    backend: Backend,
    document_text: str,
    *,
    force: bool = False,
    lock_timeout: float = 0.0,
    source: str = "the pushed state",
    environment: str | None = None,
    on_lock_wait: OnLockWait | None = None,
) -> State:
    """Write `document_text` to `backend` under its lock; see the module docstring for the rules.

    `source` names the document in messages (e.g. the file name given to `state push FILE`);
    `on_lock_wait(holder)` hears once that the push waits for the lock.
    """
    if not document_text.strip():
        raise StateError(f"{source}: empty, not a state document")
    pushed = State.loads(document_text, source=source)
    check_environment(pushed, environment, source)
    lock = backend.lock(PUSH_OPERATION, lock_timeout, on_lock_wait)
    try:
        written = _push_locked(backend, pushed, force=force, source=source)
    except BaseException as exc:
        try:
            backend.unlock(lock)
        except StateError as unlock_error:
            exc.add_note(f"also: {unlock_error}")
        raise
    backend.unlock(lock)
    return written


def _push_locked(backend: Backend, pushed: State, *, force: bool, source: str) -> State:
    current = backend.read()
    if current is None:
        backend.write(pushed)
        return pushed
    dest = backend.describe()
    if not force:
        hint = "; pull the current state first, or push with --force to overwrite it"
        if pushed.lineage != current.lineage:
            raise StateError(
                f"cannot push {source}: its lineage {pushed.lineage} differs from lineage "
                f"{current.lineage} held by {dest}: they are different states{hint}"
            )
        if pushed.serial < current.serial:
            raise StateError(
                f"cannot push {source} (serial {pushed.serial}): {dest} holds a newer serial "
                f"{current.serial} of the same lineage{hint}"
            )
        if pushed.serial == current.serial:
            if pushed.to_json() == current.to_json():
                return current  # the very same document: nothing to do
            raise StateError(
                f"cannot push {source}: {dest} holds serial {current.serial} too, "
                f"with different content{hint}"
            )
        ours, theirs = _endpoint(pushed), _endpoint(current)
        if ours is not None and theirs is not None and ours != theirs:
            raise StateError(
                f"cannot push {source}: it belongs to endpoint {ours}, but the state in {dest} "
                f"belongs to {theirs}{hint}"
            )
    if pushed.serial <= current.serial:
        pushed.serial = current.serial + 1
    backend.write(pushed)
    return pushed


def _endpoint(state: State) -> str | None:
    if state.endpoint is None:
        return None
    try:
        return normalize_endpoint(state.endpoint)
    except ValueError:
        return "(invalid endpoint)"

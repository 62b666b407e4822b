"""apply(plan) -> state: carry out exactly the plan's changes in reference order.

Each step is one node of a DAG (apply/schedule.py: create, update, adopt, delete, delete of a
replaced object); independent steps run in parallel up to --parallelism. Before an update or delete,
the object is read again and must still match what the plan saw.

What a kill at any moment leaves in state (each save is durable before the step goes on):
- Creates: the intent (for a replace, naming the old object) is saved before the create call,
  the new id right after it returns, deposing the old object in that same write; so the next
  run adopts an object whose id was never saved instead of creating it twice (and deposes the
  old one then), and a create that failed leaves the old object the address's, in use.
- Deletes: the entry (or the deposed id) is dropped as soon as the delete call returns.
- In-place updates (an assistant's fields; a vector store's fields, then its file attachments
  and detachments, then the wait for processing) are saved once all their calls are done. A
  kill in between leaves the object partly updated and state as before: the next plan reads
  what the object became and makes the rest of the change. No id is created or lost there.
State is saved (apply/recorder.py) as one journal record per group of steps that finish
together (state/manager.py `GroupCommit`), and as a whole document at the start and the end.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from assistplan.apply import uploads
from assistplan.apply.recorder import StateRecorder
from assistplan.apply.schedule import Step, plan_steps
from assistplan.config.model import Config
from assistplan.errors import (
    AnswerLost,
    ApplyError,
    AssistplanError,
    Command,
    Interrupted,
    RemoteError,
    StalePlanError,
    command,
)
from assistplan.graph import walk
from assistplan.plan.diff import STATE_ONLY, changed_paths
from assistplan.plan.intents import PENDING, REPLACES
from assistplan.plan.model import LIFECYCLE, REPLACE_CBD, Plan, ResourceChange
from assistplan.plan.refresh import Reader
from assistplan.remote import normalize as norm
from assistplan.remote.api import Remote
from assistplan.remote.client import max_retries_from_env
from assistplan.settings import processing_timeout
from assistplan.state.manager import StateManager
from assistplan.state.model import ResourceState, State
from assistplan.targets import (
    Realise,
    Realised,
    Target,
    deposed_target,
    open_target,
    recorded_target,
)

DONE = {
    "create": "created",
    "update": "updated",
    "adopt": "adopted",
    "delete": "deleted",
    "delete_old": "deleted_old",
    "archive": "archived",
}
Event = Callable[[str, str, str], None]  # (address, phase, detail)
V = TypeVar("V")
# --parallelism bounds the requests in flight (Remote's slots). A step also waits without a
# request: for its state save, or for file processing; twice as many step threads as slots
# keep the slots busy meanwhile.
STEPS_PER_REQUEST_SLOT = 2
RERUN = ("re-run `", command("plan"), "`")  # the end of a stale plan's message


@dataclass
class ApplyResult:
    state: State
    applied: int
    total: int


class Applier:
    """Runs one plan. Thread-safe: steps update `self.state` through `self.rec` (apply/recorder.py)."""

    def __init__(
        self,
        plan: Plan,
        config: Config,
        remote: Remote,
        manager: StateManager,
        *,
        parallelism: int = 10,
        on_event: Event | None = None,
    ):
        self.plan = plan
        self.config = config
        self.remote = remote
        self.manager = manager
        self.parallelism = parallelism
        self.on_event = on_event or (lambda a, p, d: None)
        self.processing_timeout = processing_timeout()  # a bad setting stops us before any change
        self._stop = threading.Event()  # `stop()`: no new step starts
        self.state = State.from_json(plan.prior_state, "plan")
        self.target = open_target(config.target, remote, config)  # realises the planned assistants
        self.reader = Reader(remote, self.state.copy(), parallelism, target=config.target, config=config)
        # The plan's refresh still knew the ids of objects deleted behind our back; so must the
        # re-check before mutating, or references to them would look changed.
        for d in plan.drift:
            if d.remote_id and not d.after:
                self.reader.know(d.remote_id, d.address)
        self.rec = StateRecorder(self.state, manager)
        self.ids = self.rec.ids  # address -> remote id, as recorded so far
        self.changes = {c.key: c for c in plan.changes}

    # -- driver ------------------------------------------------------------------------------
    def run(self) -> ApplyResult:
        self.rec.save()  # the refreshed state, and the lineage our markers use, before any mutation
        if self.plan.refresh_only:
            return ApplyResult(self.state, 0, 0)
        dag = plan_steps(self.plan, self.state)
        result = walk(dag, self._step, self.parallelism * STEPS_PER_REQUEST_SLOT, self._stop)
        self.rec.save()
        done = {a for _, a in result.done}
        applied = ApplyResult(self.state, len(done), len(self.changes))
        counts = f"{len(result.done)} done, {len(result.skipped)} not started"
        saved = f"State was saved for everything that succeeded ({len(done)} resource(s))"
        bugs = {step: exc for step, exc in result.failed.items() if not isinstance(exc, AssistplanError)}
        if bugs:  # a defect of assistplan, not a failure of the API or the plan: shown as such
            (op, addr), exc = next(iter(bugs.items()))
            exc.add_note(f"in the step {op} {addr}; {len(result.failed)} step(s) failed, {counts}")
            exc.add_note(saved)
            raise exc
        to_go_on: tuple[str | Command, ...] = ("run `", command("plan"), "` to see what remains and `")
        to_go_on += (command("apply"), "` to continue.")
        if result.failed:
            lines: list[str | Command] = []
            for (op, addr), exc in result.failed.items():
                why = exc.message if isinstance(exc, AssistplanError) else str(exc)
                lines += [f"  {addr} ({op}): ", why, "\n"]
            raise ApplyError(
                f"apply stopped: {len(result.failed)} step(s) failed, {counts}\n",
                *lines,
                f"{saved}. Fix the cause, then ",
                *to_go_on,
                result=applied,
            )
        if self._stop.is_set():
            raise Interrupted(f"apply interrupted: {counts}. {saved}; ", *to_go_on, result=applied)
        return applied

    def stop(self) -> None:
        """Start no new step; the steps under way finish and are saved (then `run` raises Interrupted)."""
        self._stop.set()

    def halt(self, timeout: float = 10.0) -> None:
        """Stop writing state, for a process about to exit with steps still under way: a write in
        progress is let finish (up to `timeout`), then no other starts. What those steps began is
        in their intents, for the next apply to take over."""
        self._stop.set()
        self.rec.close(timeout)

    def _step(self, step: Step) -> None:
        op, key = step
        c = self.changes[key]
        addr = c.address
        started = time.monotonic()
        self.on_event(addr, op, "")
        try:
            getattr(self, f"_{op}")(c)
        except Exception:
            self.on_event(addr, "failed", "")
            raise
        rid = c.remote_id if op in ("delete", "delete_old") else self.ids.get(addr)
        self.on_event(addr, DONE[op], f"{time.monotonic() - started:.1f}s" + (f" [id={rid}]" if rid else ""))

    # -- state -------------------------------------------------------------------------------
    def _record(
        self,
        c: ResourceChange,
        remote_id: str | None,
        attrs: dict[str, Any],
        *,
        replaces: dict[str, Any] | None = None,
        settles_intent: bool = False,
        **extra: Any,
    ) -> None:
        """Record the object `c` made or changed (see StateRecorder.record)."""
        self.rec.record(
            c,
            remote_id,
            attrs,
            prevent_destroy=self._prevent_destroy(c),
            replaces=replaces,
            settles_intent=settles_intent,
            **extra,
        )

    def _record_made(self, c: ResourceChange, remote_id: str, attrs: dict[str, Any], **extra: Any) -> None:
        """Record what the create the pending intent of `c` announced made (or an adoption of it)."""
        self._record(c, remote_id, attrs, settles_intent=True, **extra)

    def _prevent_destroy(self, c: ResourceChange) -> bool:
        if "@" in c.address or c.type in STATE_ONLY:
            return False
        specs: dict[str, Any] = {
            "file": self.config.files,
            "vector_store": self.config.vector_stores,
            "assistant": self.config.assistants,
        }
        spec = specs[c.type].get(c.name)
        return bool(spec and spec.prevent_destroy)

    def _check_unchanged(self, c: ResourceChange, remote_id: str) -> dict[str, Any] | None:
        """The object's attributes now; StalePlanError if they moved since the plan."""
        with self.rec.lock:
            known = self.state.get(c.address)
            rs = copy.deepcopy(known) if known is not None and known.remote_id == remote_id else None
        act = self.reader.read_one(c.type, c.address, remote_id, rs)
        now = act.attrs if act else None
        if c.before is not None and now != c.before:
            what = (
                "was deleted" if now is None else "changed (" + ", ".join(changed_paths(c.before, now)) + ")"
            )
            raise StalePlanError(f"{c.address} {what} since the plan was made; ", *RERUN)
        return now

    # -- steps -------------------------------------------------------------------------------
    def _adopt(self, c: ResourceChange) -> None:
        adopt_id = _given(c, c.adopt_id, "object to adopt")
        # A file's adoption may come without the attributes read back (an upload we record).
        attrs = c.before if c.before is not None or c.type != "file" else dict(c.after or {})
        realised = self.target.adopt(self._realise(c), adopt_id).extra if c.type == "assistant" else {}
        self._record_made(c, adopt_id, _given(c, attrs, "attributes read back"), **realised)
        if c.actions == ("update",):
            self._update(c)

    def _create(self, c: ResourceChange) -> None:
        after = _given(c, c.after, "attributes")
        if c.type in STATE_ONLY:
            self._record(c, None, dict(after))
            return
        if c.type == "assistant" and not self.target.remote:
            # No API call, so nothing to intend: the new realisation and the old object it
            # deposes are recorded in one write.
            real = self.target.create(self._realise(c))
            replaces = self._replaces(c, self.state.get(c.address))
            self._record(c, real.remote_id, dict(after), replaces=replaces, **real.extra)
            return
        if c.type == "file" and self._recover_upload(c):
            return
        self._intend(c)
        if c.type == "assistant":
            if self.target.collection == "assistant":
                made = self._sent_once(c, lambda: self.target.create(self._realise(c)).remote_id)
                real = self.target.adopt(self._realise(c), made)
            else:  # its identity is a name: sent again, the target takes what a lost answer made
                real = self._named_create(c)
            self._record_made(c, real.remote_id, dict(after), **real.extra)
            return
        remote_id = getattr(self, f"_create_{c.type}")(c)
        self._record_made(c, remote_id, dict(after))

    def _intend(self, c: ResourceChange) -> None:
        """Write down, before the remote object exists, that we are about to create it.

        A kill between the API call and `_record` then leaves enough behind for the next apply
        to take over what was made instead of making it twice: the intent (when; for a file its
        name, size and hash, then its upload id: see apply/uploads.py; for a replace, the old
        object it replaces). The old object stays the address's object until the new one is
        recorded: a create that fails leaves it in use, never deposed.
        """
        after = _given(c, c.after, "attributes")
        intent: dict[str, Any] = {"since": time.time()}
        if c.type == "file":
            intent.update(
                filename=after["filename"],
                bytes=after["bytes"],
                sha256=after["sha256"],
                purpose=after["purpose"],
                upload=None,
            )
        with self.rec.changing(c.address):
            rs = self.state.get(c.address)
            if rs is None:
                rs = ResourceState(address=c.address, type=c.type)
                self.state.put(rs)
            replaces = self._replaces(c, rs)
            if replaces is not None:
                intent[REPLACES] = replaces
            rs.extra[PENDING] = intent

    def _replaces(self, c: ResourceChange, rs: ResourceState | None) -> dict[str, Any] | None:
        """The old object a replace deposes once the new one is recorded (None: no replace, or one
        that only forgets the old object): its id, its target when another target realised it,
        and `keep` when it stays after this apply (see ResourceChange.retain_old)."""
        if c.actions != REPLACE_CBD or not c.remote_id or c.forget_old:
            return None
        out: dict[str, Any] = {"id": c.remote_id}
        if c.type == "assistant" and rs is not None and recorded_target(rs) != self.target.name:
            out["target"] = recorded_target(rs)
        if c.retain_old:
            out["keep"] = True
        return out

    def _create_file(self, c: ResourceChange) -> str:
        after = _given(c, c.after, "attributes")
        spec = self.config.files[c.name]
        if spec.path is None:
            raise StalePlanError(f"{c.address} is now a remote file referenced by id; ", *RERUN)
        try:
            size = spec.path.stat().st_size
        except OSError as exc:
            why = f"cannot read {spec.rel_path} ({exc.strerror})"
            raise StalePlanError(f"{c.address}: {why}; ", *RERUN) from None
        if size != after["bytes"]:
            raise StalePlanError(f"{c.address}: {spec.rel_path} changed since the plan was made; ", *RERUN)
        obj = self.remote.upload_file(
            spec.path,
            spec.path.name,
            spec.purpose,
            c.address,
            progress=lambda sent, size: self.on_event(c.address, "uploading", f"{sent}/{size}"),
            journal=_Journal(self.rec, c.address, after["sha256"], spec.rel_path or spec.path.name),
        )
        return str(obj["id"])

    def _recover_upload(self, c: ResourceChange) -> bool:
        """Settle what an interrupted apply left of this file's upload (see apply/uploads.py);
        True when its File was ours and is now recorded."""
        after = _given(c, c.after, "attributes")
        rs = self.state.get(c.address)
        intent = rs.extra.get(PENDING) if rs is not None else None
        if not isinstance(intent, dict):
            return False
        made = uploads.settle(self.remote, intent, c.address, self.rec.accounted())
        if made is None:
            return False
        attrs = norm.file_actual(made, {"sha256": intent.get("sha256")})
        if attrs != after:  # ours, but not the bytes wanted now: it goes, and the file goes up again
            self.remote.delete("file", str(made["id"]), c.address)
            self.on_event(c.address, "note", f"deleted {made['id']}, an interrupted upload of older content")
            return False
        self.on_event(c.address, "note", f"kept {made['id']}, made by the upload an interrupted apply began")
        self._record_made(c, str(made["id"]), attrs)
        return True

    def _sent_once(self, c: ResourceChange, send: Callable[[], str]) -> str:
        """The id of what `send` (a create, sent once: remote/retries.py `SentOnce`) made.

        A create whose answer was lost made its object, or did not: what carries the address's
        marker (and state does not account for) is what it made. The first made is taken, and any
        other (a create sent twice) deleted, before the intent is settled by recording it. When
        nothing carries it after an error answer (`AnswerLost.status`: a 502 may come before the
        work as well as after), the create is sent again, as the SDK would have, up to
        ASSISTPLAN_MAX_RETRIES times; made then, any earlier copy that appeared goes too."""
        budget = max_retries_from_env()
        attempt = 0
        while True:
            try:
                made = send()
            except AnswerLost as lost:
                found = self.reader.marked(c.type, c.address, self.rec.accounted())
                if found:
                    return self._keep_first(c, found, "the create's answer was lost, its marker found it")
                if lost.status is None or attempt >= budget:
                    raise RemoteError(
                        lost.message,
                        ", and no object carrying its marker exists (yet); run `",
                        command("apply"),
                        "` again: it adopts the object if it appears, or creates it",
                    ) from None
                attempt += 1
                self._sending_again(c, lost, attempt, budget)
                continue
            if attempt:  # an earlier attempt may have made one after all
                self._delete_copies(c, self.reader.marked(c.type, c.address, self.rec.accounted() | {made}))
            return made

    def _named_create(self, c: ResourceChange) -> Realised:
        """An assistant whose identity is a name (Foundry's agents), created once: after an error
        answer that may have come after the work, it is sent again, and the target takes the
        version the first made (it reads the agent before it makes one)."""
        budget = max_retries_from_env()
        attempt = 0
        while True:
            try:
                return self.target.create(self._realise(c))
            except AnswerLost as lost:
                if lost.status is None or attempt >= budget:
                    raise  # the next plan claims it by its name
                attempt += 1
                self._sending_again(c, lost, attempt, budget)

    def _sending_again(self, c: ResourceChange, lost: AnswerLost, attempt: int, budget: int) -> None:
        self.remote.resending(f"{c.address}: create", lost.status or 0, attempt, budget)

    def _keep_first(self, c: ResourceChange, found: list[dict[str, Any]], why: str) -> str:
        """The id of the first of `found` (objects carrying the address's marker); the others,
        copies made by the same create sent more than once, are deleted."""
        made, *copies = found
        self._delete_copies(c, copies)
        self.on_event(c.address, "note", f"took {made['id']}: {why}")
        return str(made["id"])

    def _delete_copies(self, c: ResourceChange, copies: list[dict[str, Any]]) -> None:
        for obj in copies:
            self.remote.delete(c.type, str(obj["id"]), c.address)
            self.on_event(c.address, "note", f"deleted {obj['id']}, a second object made by the same create")

    def _create_vector_store(self, c: ResourceChange) -> str:
        a = _given(c, c.after, "attributes")
        file_ids = [self.rec.resolve(f) for f in a["file_ids"]]
        params: dict[str, Any] = {"name": a["name"], "metadata": self._metadata(c, a)}
        if a.get("description") is not None:
            params["description"] = a["description"]
        if a.get("expires_after") is not None:
            params["expires_after"] = a["expires_after"]
        if file_ids:
            params["chunking_strategy"] = a["chunking_strategy"]
            params["file_ids"] = file_ids[:500]
        vs_id = self._sent_once(c, lambda: str(self.remote.create("vector_store", params, c.address)["id"]))
        # Record now: an object that exists must be in state even if waiting for it fails.
        self._record_made(c, vs_id, {**a, "file_ids": sorted(a["file_ids"][:500])})
        if len(file_ids) > 500:
            self.remote.attach_files(vs_id, file_ids[500:], a["chunking_strategy"], c.address)
        self._wait_files(c, vs_id, file_ids)
        return vs_id

    def _realise(self, c: ResourceChange) -> Realise:
        after = _given(c, c.after, "attributes")
        replaces = c.remote_id if c.actions == ("create", "delete") else None
        return Realise(c.address, after, self.rec.resolve, self._marker(c), self.state.lineage, replaces)

    def _target_of(self, c: ResourceChange, remote_id: str) -> Target:
        """The target that realised `remote_id` of an assistant in state (a deposed one may differ)."""
        if c.target is not None:
            name = c.target  # the plan says which target realised the object it deletes
        else:
            rs = self.state.get(c.address)
            name = deposed_target(rs, remote_id) if rs else self.target.name
        return self.target if name == self.target.name else open_target(name, self.remote)

    def _update(self, c: ResourceChange) -> None:
        after = _given(c, c.after, "attributes")
        if c.type in STATE_ONLY:
            self._record(c, None, dict(after))
            return
        rid = _given(c, c.adopt_id or c.remote_id, "remote id")
        if c.changed_paths == (LIFECYCLE,):  # only the lifecycle flag moved: nothing to send
            self._record(c, rid, dict(after))
            return
        now = self._check_unchanged(c, rid)
        if c.type == "vector_store":
            self._update_vector_store(c, rid, now or {})
        elif c.type == "assistant":
            real = self.target.update(self._realise(c), rid)
            self._record(c, rid, dict(after), **real.extra)
            return
        else:
            raise ApplyError(f"{c.address}: files cannot be updated in place")
        self._record(c, rid, dict(after))

    def _update_vector_store(self, c: ResourceChange, vs_id: str, now: dict[str, Any]) -> None:
        a = _given(c, c.after, "attributes")
        fields = {k: a[k] for k in ("name", "metadata", "expires_after") if now.get(k) != a[k]}
        if fields:
            if "metadata" in fields:
                fields["metadata"] = self._metadata(c, a)
            self.remote.update("vector_store", vs_id, fields, c.address)
        want = {self.rec.resolve(f): f for f in a["file_ids"]}
        have = {self._resolve_old(f): f for f in now.get("file_ids", [])}
        attach = [i for i in want if i not in have]
        if attach:
            self.remote.attach_files(vs_id, attach, a["chunking_strategy"], c.address)
        for i in have:
            if i not in want:
                self.remote.detach_file(vs_id, i, c.address)
        if attach:
            self._wait_files(c, vs_id, attach)

    def _resolve_old(self, addr: str) -> str:
        """An id as the plan saw it (before any replacement in this apply)."""
        if "." not in addr:
            return addr
        rs = self.reader.state.get(addr)
        return rs.remote_id if rs and rs.remote_id else self.rec.resolve(addr)

    def _wait_files(self, c: ResourceChange, vs_id: str, file_ids: list[str]) -> None:
        if not file_ids:
            return
        self.on_event(c.address, "waiting", f"{len(file_ids)} file(s) processing")
        vs = self.remote.wait_processed(
            vs_id,
            c.address,
            time.monotonic() + self.processing_timeout,
            on_poll=lambda n: self.on_event(c.address, "processing", f"{n['in_progress']}/{n['total']}"),
        )
        if vs["file_counts"]["failed"]:
            by_id = {v: k for k, v in self.ids.items()}
            failed = [f for f in self.remote.failed_files(vs_id, c.address) if f["id"] in set(file_ids)]
            if failed:
                names = "; ".join(
                    f"{by_id.get(f['id'], f['id'])} ({f['id']}): {_error_text(f)}" for f in failed
                )
                raise RemoteError(f"{c.address}: file processing failed for {names}")

    def _archive(self, c: ResourceChange) -> None:
        if c.after is None:  # its experiment is gone: nothing left to keep a record for
            self.rec.forget(c.address)
            return
        self._record(c, None, dict(c.after))

    def _delete(self, c: ResourceChange) -> None:
        if c.deposed is not None:
            self._delete_old(c)
            return
        if c.forget:
            self.rec.forget(c.address)
            return
        if c.type == "file":
            self._settle_upload_of_removed(c)
        if c.remote_id is None:  # only an intent: what its create made (leftovers) went before it
            self.rec.forget(c.address)
            return
        self._check_unchanged(c, c.remote_id)
        self._delete_object(c, c.remote_id)
        self.rec.forget(c.address)

    def _settle_upload_of_removed(self, c: ResourceChange) -> None:
        """A file that leaves with an upload an interrupted apply began: the File that upload made
        (apply/uploads.py proves which, by its upload id) goes too."""
        rs = self.state.get(c.address)
        intent = rs.extra.get(PENDING) if rs is not None else None
        if not isinstance(intent, dict):
            return
        made = uploads.settle(self.remote, intent, c.address, self.rec.accounted(), declared=False)
        if made is not None:
            self.remote.delete("file", str(made["id"]), c.address)
            why = "made by the upload an interrupted apply began"
            self.on_event(c.address, "note", f"deleted {made['id']}, {why}")

    def _delete_object(self, c: ResourceChange, remote_id: str) -> None:
        if c.type == "assistant":
            self._target_of(c, remote_id).delete(c.address, remote_id)
        else:
            self.remote.delete(c.type, remote_id, c.address)

    def _delete_old(self, c: ResourceChange) -> None:
        old = _given(c, c.remote_id, "remote id")
        if self.ids.get(c.address) == old:  # never the object the address is now
            raise ApplyError(f"{c.address}: {old} is its current object, not a replaced one; plan again")
        self._delete_object(c, old)
        self.rec.drop_deposed(c.address, old)

    def _marker(self, c: ResourceChange) -> str:
        return norm.marker(self.state.lineage, c.address)

    def _metadata(self, c: ResourceChange, attrs: dict[str, Any]) -> dict[str, str]:
        return {**attrs["metadata"], norm.MARKER_KEY: self._marker(c)}


def _given(c: ResourceChange, value: V | None, what: str) -> V:
    """What a change needs to be carried out; a saved plan without it is corrupt: an error, not a crash."""
    if value is None:
        raise ApplyError(f"{c.address}: the plan gives no {what} for this change; make the plan again")
    return value


class _Journal:
    """Writes an upload's progress into the address's intent, durably, as `Remote.upload_file`
    reports it (the record apply/uploads.py settles an interrupted upload from)."""

    def __init__(self, rec: StateRecorder, address: str, sha256: str, rel_path: str):
        self.rec = rec
        self.address = address
        self.sha256 = sha256  # what the plan uploads
        self.rel_path = rel_path

    def started(self, upload: dict[str, Any]) -> None:
        keep = {k: upload.get(k) for k in ("id", "created_at", "expires_at")}
        self.rec.note_intent(self.address, upload=keep)

    def completing(self, part_ids: list[str], sha256: str, md5: str) -> None:
        if sha256 != self.sha256:
            raise StalePlanError(
                f"{self.address}: {self.rel_path} changed while it was being uploaded "
                "(the upload was cancelled); ",
                *RERUN,
            )
        self.rec.note_intent(self.address, completing={"part_ids": part_ids, "md5": md5})


def _error_text(vs_file: dict[str, Any]) -> str:
    return str((vs_file.get("last_error") or {}).get("message") or "failed")

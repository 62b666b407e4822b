"""The sandbox's objects: kept in memory with sorted indexes, persisted per write.

One :class:`Store` per data dir and process (:func:`open_store` keeps a registry keyed by the
resolved path), guarded by one re-entrant lock, so any number of threads may share it. Reads
run under :meth:`Store.read`, writes under :meth:`Store.write`: a write either commits to disk
and memory or, on any exception, leaves both as they were. Handlers validate before they
mutate, so an error answer never changes anything.

Records are plain JSON dicts. Nested values inside a record are never mutated in place (they
are replaced), so a rendered response can be serialised outside the lock.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

from .db import BLOB_DIR, Database
from .ordered import Key, OrderedIndex

ASSISTANT = "assistant"
FILE = "file"
VECTOR_STORE = "vector_store"
VECTOR_STORE_FILE = "vector_store.file"
FILE_BATCH = "vector_store.files_batch"
UPLOAD = "upload"
UPLOAD_PART = "upload.part"
AGENT = "agent"
AGENT_VERSION = "agent.version"
PROJECTS_DIR = "projects"  # a Foundry project's objects: a store of their own under the data dir

FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")
_STALE_BLOB_SECONDS = 3600

Record = dict[str, Any]


def _decode(rows: list[tuple[int, str, str, str]]) -> list[Record]:
    """The records of ``(seq, kind, parent, json)`` rows: one JSON array, so one decoder call
    rather than one per record (and object keys are shared between records)."""
    return json.loads("[" + ",".join([row[3] for row in rows]) + "]") if rows else []


def sort_key(rec: Record) -> Key:
    return (rec["created_at"], rec["seq"])


class VectorStoreState:
    """A vector store, its attached files and its batches.

    Invariant: ``counts`` and ``usage_bytes`` always equal what the file records say (a
    completed file counts its ``usage_bytes``); ``pending`` holds exactly the in-progress files.
    An in-progress file becomes its ``outcome`` once ``ready_at`` has passed (:meth:`settle`).
    """

    def __init__(self, rec: Record) -> None:
        self.rec = rec
        self.files: dict[str, Record] = {}
        self.index = OrderedIndex()
        self.batches: dict[str, Record] = {}
        self.batch_files: dict[str, OrderedIndex] = {}
        self.pending: set[str] = set()
        self.counts: Counter[str] = Counter(dict.fromkeys(FILE_STATUSES, 0))
        self.usage_bytes = 0

    def _count(self, vf: Record, sign: int) -> None:
        self.counts[vf["status"]] += sign
        if vf["status"] == "completed":
            self.usage_bytes += sign * vf["usage_bytes"]
        if vf["status"] == "in_progress":
            (self.pending.add if sign > 0 else self.pending.discard)(vf["id"])

    def add(self, vf: Record) -> None:
        self.remove(vf["id"])
        self.files[vf["id"]] = vf
        self.index.add(vf["id"], sort_key(vf))
        if vf.get("batch_id"):
            self.batch_files.setdefault(vf["batch_id"], OrderedIndex()).add(vf["id"], sort_key(vf))
        self._count(vf, +1)

    def remove(self, file_id: str) -> Record | None:
        vf = self.files.pop(file_id, None)
        if vf is not None:
            self.index.remove(file_id)
            if vf.get("batch_id") in self.batch_files:
                self.batch_files[vf["batch_id"]].remove(file_id)
            self._count(vf, -1)
        return vf

    def set_status(self, vf: Record, status: str) -> None:
        self._count(vf, -1)
        vf["status"] = status
        self._count(vf, +1)

    def settle(self, now: float) -> None:
        for file_id in [f for f in self.pending if self.files[f]["ready_at"] <= now]:
            vf = self.files[file_id]
            self.set_status(vf, vf["outcome"])


class AgentState:
    """A Foundry agent and its versions. ``rec`` holds the agent's own fields (name, created_at,
    seq, and ``next_version``: versions are numbered from 1 and never reused)."""

    def __init__(self, rec: Record) -> None:
        self.rec = rec
        self.versions: dict[str, Record] = {}  # by version id, ``NAME:N``
        self.index = OrderedIndex()

    def latest(self) -> Record:
        return self.versions[self.index.page(limit=1, order="desc").ids[0]]


class RequestStats:
    """Requests counted by ``"METHOD /route/{template}"``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self._counts.values()), "requests": dict(sorted(self._counts.items()))}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class Store:
    """All sandbox objects of one data dir (or of none: ``data_dir=None`` keeps them in memory)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self.lock = threading.RLock()
        self.stats = RequestStats()
        self._projects: dict[str, Store] = {}
        self._db = Database(data_dir) if data_dir is not None else None
        self._blobs: dict[str, bytes] = {}
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []
        self._dirty = False
        self._load()
        self._collect_stale_blobs()

    # --- loading ------------------------------------------------------------------------------

    def _clear(self) -> None:
        self.assistants: dict[str, Record] = {}
        self.assistant_index = OrderedIndex()
        self.files: dict[str, Record] = {}
        self.file_index = OrderedIndex()
        self.vector_stores: dict[str, VectorStoreState] = {}
        self.vector_store_index = OrderedIndex()
        self.stores_of_file: dict[str, set[str]] = {}
        self._uploads: dict[str, Record] | None = None  # loaded on first use (see `uploads`)
        self.parts: dict[str, dict[str, Record]] = {}  # upload id -> part id -> part
        self.agents: dict[str, AgentState] = {}
        self.agent_index = OrderedIndex()
        self._seq = 0

    def _load(self) -> None:
        self._clear()
        db = self._db
        if db is None:
            return
        self._data_version = db.data_version()
        rows = db.rows(skip=UPLOAD)
        by_kind: dict[str, list[tuple[str, Record]]] = {}
        for (_, kind, parent, _), rec in zip(rows, _decode(rows), strict=True):
            by_kind.setdefault(kind, []).append((parent, rec))
        assistants = [rec for _, rec in by_kind.get(ASSISTANT, ())]
        self.assistants = {rec["id"]: rec for rec in assistants}
        self.assistant_index = OrderedIndex.of((rec["id"], sort_key(rec)) for rec in assistants)
        files = [rec for _, rec in by_kind.get(FILE, ())]
        self.files = {rec["id"]: rec for rec in files}
        self.file_index = OrderedIndex.of((rec["id"], sort_key(rec)) for rec in files)
        for _, rec in by_kind.get(VECTOR_STORE, ()):
            self._put_vector_store(rec)
        for parent, rec in by_kind.get(FILE_BATCH, ()):
            if parent in self.vector_stores:
                self.vector_stores[parent].batches[rec["id"]] = rec
        for parent, rec in by_kind.get(VECTOR_STORE_FILE, ()):
            if parent in self.vector_stores and rec["id"] in self.files:
                self._attach(self.vector_stores[parent], rec)
        for parent, rec in by_kind.get(UPLOAD_PART, ()):
            self.parts.setdefault(parent, {})[rec["id"]] = rec
        for _, rec in by_kind.get(AGENT, ()):
            self._put_agent(rec)
        for parent, rec in by_kind.get(AGENT_VERSION, ()):
            agent = self.agents.get(parent.removeprefix("agent:"))
            if agent is not None:
                self._put_version(agent, rec)
        self._seq = max(rows[-1][0] if rows else 0, db.max_seq(UPLOAD))

    @property
    def uploads(self) -> dict[str, Record]:
        """Uploads by id. Only the Uploads operations read them (a plan never does), so a store
        loads them from disk on first use rather than with everything else. (In a `read()`, that
        may be a newer commit than the rest was loaded from; the Uploads operations run in
        `write()`, whose transaction sees one commit.)"""
        if self._uploads is None:
            self._uploads = {}
            if self._db is not None:
                self._uploads = {rec["id"]: rec for rec in _decode(self._db.rows(only=UPLOAD))}
        return self._uploads

    def _sync(self) -> None:
        """Reload when another process committed to our database since we last looked."""
        if self._db is not None and self._db.data_version() != self._data_version:
            self._load()

    def _collect_stale_blobs(self) -> None:
        if self.data_dir is None:
            return
        blob_dir = self.data_dir / BLOB_DIR
        cutoff = time.time() - _STALE_BLOB_SECONDS
        live = {*self.files, *(part for parts in self.parts.values() for part in parts)}
        for name in os.listdir(blob_dir):
            if name not in live:
                path = blob_dir / name
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                except OSError:
                    pass

    # --- transactions -------------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Store]:
        with self.lock:
            self._sync()
            yield self

    @contextmanager
    def write(self) -> Iterator[Store]:
        """Everything done inside commits together, or not at all."""
        with self.lock:
            if self._db is not None:
                self._db.begin()
                self._sync()
            self._dirty = False
            self._after_commit, self._on_rollback = [], []
            try:
                yield self
                if self._db is not None:
                    self._db.commit()
            except BaseException:
                if self._db is not None:
                    self._db.rollback()
                    for undo in self._on_rollback:
                        undo()
                    if self._dirty:
                        self._load()
                raise
            for action in self._after_commit:
                action()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _persist(self, kind: str, rec: Record, parent: str = "") -> None:
        self._dirty = True
        if self._db is not None:
            self._db.upsert(kind, parent, rec["id"], rec["seq"], json.dumps(rec, separators=(",", ":")))

    def _forget(self, kind: str, id_: str, parent: str = "") -> None:
        self._dirty = True
        if self._db is not None:
            self._db.delete(kind, parent, id_)

    # --- assistants ---------------------------------------------------------------------------

    def _put_assistant(self, rec: Record) -> None:
        self.assistants[rec["id"]] = rec
        self.assistant_index.add(rec["id"], sort_key(rec))

    def put_assistant(self, rec: Record) -> None:
        self._persist(ASSISTANT, rec)
        self._put_assistant(rec)

    def drop_assistant(self, id_: str) -> None:
        self._forget(ASSISTANT, id_)
        del self.assistants[id_]
        self.assistant_index.remove(id_)

    # --- Foundry projects and their agents ----------------------------------------------------

    def project(self, name: str) -> Store:
        """The store of the Foundry project ``name`` (made on first use; under the data dir)."""
        with self.lock:
            if name not in self._projects:
                self._projects[name] = (
                    Store(None) if self.data_dir is None else open_store(self.data_dir / PROJECTS_DIR / name)
                )
            return self._projects[name]

    def _put_agent(self, rec: Record) -> AgentState:
        agent = self.agents.get(rec["name"])
        if agent is None:
            agent = self.agents[rec["name"]] = AgentState(rec)
            self.agent_index.add(rec["name"], sort_key(rec))
        agent.rec = rec
        return agent

    def put_agent(self, rec: Record) -> AgentState:
        self._persist(AGENT, rec)
        return self._put_agent(rec)

    def _put_version(self, agent: AgentState, rec: Record) -> None:
        agent.versions[rec["id"]] = rec
        agent.index.add(rec["id"], sort_key(rec))

    def put_version(self, agent: AgentState, rec: Record) -> None:
        self._persist(AGENT_VERSION, rec, "agent:" + agent.rec["name"])
        self._put_version(agent, rec)

    def drop_version(self, agent: AgentState, version_id: str) -> None:
        self._forget(AGENT_VERSION, version_id, "agent:" + agent.rec["name"])
        del agent.versions[version_id]
        agent.index.remove(version_id)

    def drop_agent(self, name: str) -> None:
        self.agents.pop(name)
        self.agent_index.remove(name)
        self._dirty = True
        if self._db is not None:
            self._db.delete_children("agent:" + name)
            self._db.delete(AGENT, "", name)

    # --- files --------------------------------------------------------------------------------

    @cached_property
    def upload_dir(self) -> Path | None:
        """Where uploads are spooled, so a finished upload becomes its blob by a rename."""
        return self.data_dir / BLOB_DIR if self.data_dir is not None else None

    def _put_file(self, rec: Record) -> None:
        self.files[rec["id"]] = rec
        self.file_index.add(rec["id"], sort_key(rec))

    def put_file(self, rec: Record, content: bytes | Path) -> None:
        """Add a file; ``content`` is its bytes or a spooled upload under :attr:`upload_dir`."""
        self._put_blob(rec["id"], content)
        self._persist(FILE, rec)
        self._put_file(rec)

    def drop_file(self, id_: str) -> None:
        """Delete a file and detach it from every vector store."""
        for vs_id in sorted(self.stores_of_file.pop(id_, ())):
            self.detach(self.vector_stores[vs_id], id_)
        self._forget(FILE, id_)
        del self.files[id_]
        self.file_index.remove(id_)
        self._blobs.pop(id_, None)
        if self.data_dir is not None:
            blob = self.data_dir / BLOB_DIR / id_
            self._after_commit.append(lambda: blob.unlink(missing_ok=True))

    def content(self, id_: str) -> bytes | Path:
        """A file's (or an upload part's) bytes, or the path holding them."""
        return self._blobs[id_] if self.data_dir is None else self.data_dir / BLOB_DIR / id_

    def _put_blob(self, id_: str, content: bytes | Path) -> None:
        if self.data_dir is None:
            self._blobs[id_] = content if isinstance(content, bytes) else Path(content).read_bytes()
            return
        blob = self.data_dir / BLOB_DIR / id_
        if isinstance(content, bytes):
            blob.write_bytes(content)
        else:
            os.replace(content, blob)
        self._on_rollback.append(lambda: blob.unlink(missing_ok=True))

    # --- uploads (their parts are blobs until the upload is completed or cancelled) -------------

    def put_upload(self, rec: Record) -> None:
        self._persist(UPLOAD, rec)
        self.uploads[rec["id"]] = rec

    def put_part(self, rec: Record, content: bytes | Path) -> None:
        self._put_blob(rec["id"], content)
        self._persist(UPLOAD_PART, rec, rec["upload_id"])
        self.parts.setdefault(rec["upload_id"], {})[rec["id"]] = rec

    def drop_parts(self, upload_id: str) -> None:
        """Forget an upload's parts; their blobs go once the write commits."""
        blobs = []
        for part_id in self.parts.pop(upload_id, {}):
            self._forget(UPLOAD_PART, part_id, upload_id)
            self._blobs.pop(part_id, None)
            if self.data_dir is not None:
                blobs.append(self.data_dir / BLOB_DIR / part_id)

        def unlink() -> None:
            for blob in blobs:
                blob.unlink(missing_ok=True)

        self._after_commit.append(unlink)

    # --- vector stores ------------------------------------------------------------------------

    def _put_vector_store(self, rec: Record) -> VectorStoreState:
        vs = self.vector_stores.get(rec["id"])
        if vs is None:
            vs = self.vector_stores[rec["id"]] = VectorStoreState(rec)
            self.vector_store_index.add(rec["id"], sort_key(rec))
        vs.rec = rec
        return vs

    def put_vector_store(self, rec: Record) -> VectorStoreState:
        self._persist(VECTOR_STORE, rec)
        return self._put_vector_store(rec)

    def drop_vector_store(self, id_: str) -> None:
        vs = self.vector_stores.pop(id_)
        self.vector_store_index.remove(id_)
        for file_id in vs.files:
            self.stores_of_file[file_id].discard(id_)
        self._dirty = True
        if self._db is not None:
            self._db.delete_children(id_)
            self._db.delete(VECTOR_STORE, "", id_)

    def _attach(self, vs: VectorStoreState, vf: Record) -> None:
        vs.add(vf)
        self.stores_of_file.setdefault(vf["id"], set()).add(vs.rec["id"])

    def attach(self, vs: VectorStoreState, vf: Record) -> None:
        """Attach (or re-attach, replacing the old record) a file to a vector store."""
        self._persist(VECTOR_STORE_FILE, vf, vs.rec["id"])
        self._attach(vs, vf)

    def detach(self, vs: VectorStoreState, file_id: str) -> None:
        self._forget(VECTOR_STORE_FILE, file_id, vs.rec["id"])
        vs.remove(file_id)
        self.stores_of_file.get(file_id, set()).discard(vs.rec["id"])

    def replace_vs_file(self, vs: VectorStoreState, vf: Record) -> None:
        """Store a changed record of an attached file (same status and position)."""
        self._persist(VECTOR_STORE_FILE, vf, vs.rec["id"])
        vs.files[vf["id"]] = vf

    def set_vs_file_status(self, vs: VectorStoreState, vf: Record, status: str) -> None:
        vs.set_status(vf, status)
        self._persist(VECTOR_STORE_FILE, vf, vs.rec["id"])

    def put_batch(self, vs: VectorStoreState, rec: Record) -> None:
        self._persist(FILE_BATCH, rec, vs.rec["id"])
        vs.batches[rec["id"]] = rec

    # --- introspection ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Every record as plain data, independent of time: an in-progress file shows its outcome."""
        with self.read():
            stores = {}
            for vs_id, vs in self.vector_stores.items():
                files = {
                    fid: {**vf, "status": vf["outcome"] if vf["status"] == "in_progress" else vf["status"]}
                    for fid, vf in vs.files.items()
                }
                stores[vs_id] = {"record": vs.rec, "files": files, "batches": vs.batches}
            blobs = {fid: self._read_blob(fid) for fid in self.files}
            data = {
                "assistants": self.assistants,
                "files": self.files,
                "vector_stores": stores,
                "blobs": blobs,
                "uploads": self.uploads,
                "parts": {
                    upload_id: {pid: {**part, "data": self._read_blob(pid)} for pid, part in parts.items()}
                    for upload_id, parts in self.parts.items()
                },
            }
            if self.agents:
                data["agents"] = {
                    n: {"record": a.rec, "versions": a.versions} for n, a in self.agents.items()
                }
            return json.loads(json.dumps(data, sort_keys=True))

    def _read_blob(self, file_id: str) -> str:
        content = self.content(file_id)
        raw = content if isinstance(content, bytes) else content.read_bytes()
        return raw.hex()

    def close(self) -> None:
        """Forget this store (the next :func:`open_store` reloads it from disk)."""
        with self.lock:
            for project in self._projects.values():
                project.close()
            self._projects.clear()
            if self._db is not None:
                self._db.close()
                self._db = None
            with _REGISTRY_LOCK:
                if self.data_dir is not None and _REGISTRY.get(self.data_dir) is self:
                    del _REGISTRY[self.data_dir]


_REGISTRY: dict[Path, Store] = {}
_REGISTRY_LOCK = threading.Lock()


def open_store(data_dir: Path | str | None) -> Store:
    """The process's one store for ``data_dir`` (a fresh in-memory store when it is None)."""
    if data_dir is None:
        return Store(None)
    key = Path(data_dir).expanduser().resolve()
    with _REGISTRY_LOCK:
        store = _REGISTRY.get(key)
        if store is None:
            store = _REGISTRY[key] = Store(key)
        return store

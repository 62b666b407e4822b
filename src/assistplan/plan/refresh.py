"""Reading the remote side: what each managed (or to-be-adopted) object looks like now.

Reads use the list endpoints when that takes fewer requests than one GET per object, run
concurrently (kinds, and each vector store's file list), and return attributes in address
space so they compare directly with the desired graph and with state.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from assistplan.plan.desired import Desired
from assistplan.remote import normalize as norm
from assistplan.remote.api import Remote
from assistplan.state.model import State

KINDS = ("file", "vector_store", "assistant")
_COLLECTION = {"file": "files", "vector_store": "vector_stores", "assistant": "assistants"}
LIVE_FILE_STATUSES = ("completed", "in_progress")
PENDING = "pending"  # state extra: a create was started (apply/executor.py `_intend`) and not recorded
CLOCK_SKEW = 300.0  # seconds: how much earlier than our intent a server may date an object


@dataclass(frozen=True)
class Actual:
    """A remote object as read now: its id, raw JSON and normalised attributes."""

    address: str
    remote_id: str
    attrs: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class Refreshed:
    actual: dict[str, Actual] = field(default_factory=dict)  # managed addresses found remotely
    missing: set[str] = field(default_factory=set)  # managed addresses the remote no longer has
    adoptable: dict[str, Actual] = field(default_factory=dict)  # unmanaged objects carrying our marker


class Reader:
    """One refresh: decide per kind between listing and GETs, then normalise."""

    def __init__(self, remote: Remote, state: State, parallelism: int = 10):
        self.remote = remote
        self.state = state
        self.pool_size = max(1, parallelism)
        self.to_addr = {rs.remote_id: a for a, rs in state.resources.items() if rs.remote_id}
        self.external: set[str] = {a for a, rs in state.resources.items() if "id" in rs.attributes}
        # A snapshot keeps the raw file ids it was frozen with; only its snapshot stores map to addresses.
        self.snapshot_addr = {rid: a for rid, a in self.to_addr.items() if "@" in a}
        self.forgotten = set(state.forgotten)  # `state rm` let these go: never adopt them back

    def refresh(self, desired: dict[str, Desired], addresses: set[str] | None = None) -> Refreshed:
        managed: dict[str, dict[str, str]] = {k: {} for k in KINDS}
        for addr, rs in self.state.resources.items():
            if rs.type in KINDS and rs.remote_id and (addresses is None or addr in addresses):
                managed[rs.type][rs.remote_id] = addr
        adopt: dict[str, set[str]] = {k: set() for k in KINDS}
        for addr, d in desired.items():
            if d.external:
                managed["file"].setdefault(d.attrs["id"], addr)  # must exist: check it
                self.external.add(addr)
            elif d.type in KINDS and (
                addr not in self.state.resources or PENDING in self.state.resources[addr].extra
            ):
                # Not recorded, or a create was cut short: look for what an interrupted apply made.
                if d.type != "file" or addr in self.state.resources:
                    adopt[d.type].add(addr)
        if managed["assistant"] or adopt["assistant"]:
            self.remote.probe_assistants()
        out = Refreshed()
        # Kinds are read side by side; the Remote's semaphore bounds requests in flight.
        with ThreadPoolExecutor(max_workers=self.pool_size) as pool, ThreadPoolExecutor(len(KINDS)) as kinds:
            found = dict(
                zip(
                    KINDS,
                    kinds.map(lambda k: self._read_kind(k, managed[k], adopt[k], pool), KINDS),
                    strict=True,
                )
            )
            stores = {**found["vector_store"][0], **{o["id"]: o for o in found["vector_store"][1].values()}}
            members = dict(zip(stores, pool.map(self._members, stores.values()), strict=True))
        for kind in KINDS:
            objs, marked = found[kind]
            for rid, addr in managed[kind].items():
                obj = objs.get(rid)
                if obj is None:
                    out.missing.add(addr)
                else:
                    out.actual[addr] = self._actual(kind, addr, obj, members.get(rid))
            for addr, obj in marked.items():
                out.adoptable[addr] = self._actual(kind, addr, obj, members.get(obj["id"]))
        return out

    def _read_kind(
        self, kind: str, ids: dict[str, str], adopt: set[str], pool: ThreadPoolExecutor
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """(objects by id among `ids`, objects carrying our marker for an address in `adopt`)."""
        if not ids and not adopt:
            return {}, {}
        objs: dict[str, dict[str, Any]] = {}
        marked: dict[str, dict[str, Any]] = {}
        remaining = dict(ids)
        if adopt or len(ids) > 2:
            # List while that can still beat one GET per object still unfound; a scan for our
            # marker (adoption) needs the whole collection.
            wanted = {norm.marker(self.state.lineage, a): a for a in adopt}
            uploads = self._intended_uploads(adopt) if kind == "file" else {}
            for n, page in enumerate(self.remote.pages(_COLLECTION[kind]), start=1):
                for obj in page:
                    if remaining.pop(obj["id"], None) is not None:
                        objs[obj["id"]] = obj
                    elif obj["id"] in self.to_addr or obj["id"] in self.forgotten:
                        continue  # ours already (e.g. a deposed object), or let go by `state rm`
                    elif uploads:
                        addr = self._match_upload(obj, uploads)
                        if addr is not None and addr not in marked:
                            marked[addr] = obj
                    elif wanted:
                        _, mark = norm.split_marker(obj.get("metadata"))
                        if mark in wanted:
                            marked[wanted[mark]] = obj
                if not adopt and (not remaining or n >= len(remaining)):
                    break
            else:
                return objs, marked  # the whole collection was read: what is unfound is gone
        got = pool.map(lambda item: (item[0], self.remote.get(kind, item[0], item[1])), remaining.items())
        objs.update({rid: obj for rid, obj in got if obj is not None})
        return objs, marked

    def _intended_uploads(self, adopt: set[str]) -> dict[str, dict[str, Any]]:
        """Uploads an interrupted apply started: files carry no metadata, so the intent is the key."""
        out = {}
        for addr in adopt:
            rs = self.state.resources.get(addr)
            if rs is not None and PENDING in rs.extra:
                out[addr] = rs.extra[PENDING]
        return out

    @staticmethod
    def _match_upload(obj: dict[str, Any], uploads: dict[str, dict[str, Any]]) -> str | None:
        """A file is ours only if an intent names its name, size and purpose, made before it was."""
        for addr, intent in uploads.items():
            if (
                obj.get("filename") == intent.get("filename")
                and obj.get("bytes") == intent.get("bytes")
                and obj.get("purpose") == intent.get("purpose")
                and obj.get("created_at", 0) >= intent.get("since", 0) - CLOCK_SKEW
            ):
                return addr
        return None

    def read_one(self, kind: str, addr: str, remote_id: str) -> Actual | None:
        """One object, read now (apply's check before it mutates)."""
        obj = self.remote.get(kind, remote_id, addr)
        if obj is None:
            return None
        return self._actual(kind, addr, obj, self._members(obj) if kind == "vector_store" else None)

    def _members(self, vs: dict[str, Any]) -> list[str]:
        if not (vs.get("file_counts") or {}).get("total"):
            return []
        out: list[str] = []
        for page in self.remote.pages("vector_store_files", vs["id"]):
            out.extend(f["id"] for f in page if f.get("status") in LIVE_FILE_STATUSES)
        return out

    def _actual(self, kind: str, addr: str, obj: dict[str, Any], members: list[str] | None) -> Actual:
        prior = self.state.resources.get(addr)
        prior_attrs = prior.attributes if prior else None
        to_addr = self.snapshot_addr if "@" in addr else self.to_addr
        if kind == "file":
            if prior is not None and PENDING in prior.extra and obj["id"] != prior.remote_id:
                prior_attrs = {"sha256": prior.extra[PENDING].get("sha256")}  # an adopted upload
            attrs = {"id": obj["id"]} if addr in self.external else norm.file_actual(obj, prior_attrs)
        elif kind == "vector_store":
            attrs = norm.vector_store_actual(obj, members or [], to_addr, prior_attrs)
        else:
            attrs = norm.assistant_actual(obj, to_addr)
        return Actual(addr, obj["id"], attrs, obj)

"""Reading the remote side: what each managed (or to-be-adopted) object looks like now.

Per kind, reads list the collection when that takes fewer requests than one GET per managed
object, judged from the account size the last listing saw (`State.account_sizes`; unknown: list
while that can still beat GETs for the objects not found yet, then GET the rest). Adoption
needs a full listing (a scan for our marker). Kinds are read side by side, and each vector
store's file list starts as soon as the store is read, so the wall time is about the longest
chain of pages; the Remote's semaphore (--parallelism) bounds the requests in flight.
Attributes come back in address space, to compare directly with the desired graph and state.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assistplan.addrs import REMOTE_KINDS, SECTIONS
from assistplan.config.model import DEFAULT_TARGET, Config
from assistplan.errors import EndpointRetiredError, Message, command
from assistplan.plan.desired import Desired
from assistplan.plan.intents import PENDING, deposed_ids
from assistplan.remote import normalize as norm
from assistplan.remote.api import PAGE, Remote
from assistplan.state.model import ResourceState, State
from assistplan.targets import TARGETS, open_target, recorded_target

LIVE_FILE_STATUSES = ("completed", "in_progress")
Progress = Callable[[int, int], None]  # (objects read, objects to read)


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
    # Objects of ours an interrupted apply made that no address takes: every one for an address
    # that left the config, and the copies beside the one adopted (a create sent twice). Deleted.
    leftovers: dict[str, list[str]] = field(default_factory=dict)
    # Addresses whose identity (a name the config fixes) an object we do not manage holds: why.
    taken: dict[str, str] = field(default_factory=dict)
    # Assistants realised through the Assistants API on an endpoint that no longer serves it
    # (read while the config moves them to another target: they cannot be read or deleted).
    retired: set[str] = field(default_factory=set)
    account_sizes: dict[str, int] = field(default_factory=dict)  # per kind, for the next refresh's choice
    # Addresses with an object whose pending create (a replace that failed) the marker scan found
    # nothing of: their intent is settled (plan/drift.py refreshed_state drops it).
    unmade: set[str] = field(default_factory=set)


def oldest_first(obj: dict[str, Any]) -> tuple[int, str]:
    """Of several objects an interrupted apply made for one address, the first made is kept."""
    return (int(obj.get("created_at") or 0), str(obj["id"]))


T = TypeVar("T")


class Inline(Executor):
    """Runs each task at once, in the caller's thread: the reads of one request at a time (an
    in-process endpoint, or --parallelism 1), where threads would only take turns and cost the
    hand-offs between them."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed over as a thread pool would
            future.set_exception(exc)
        return future


class Reader:
    """One refresh: decide per kind between listing and GETs, then normalise.

    `strategy` "get" reads every managed object with its own GET (the way one-object-per-request
    providers do; the benchmarks' baseline); "auto" picks per kind as described above.
    `target` is the config's (provider.target): assistants realised through another target than
    an OpenAI collection are read by that target, each by the one state recorded. `progress`
    hears (objects read, objects to read) at the start and as objects come in, from any thread.
    """

    def __init__(
        self,
        remote: Remote,
        state: State,
        parallelism: int = 10,
        *,
        strategy: str = "auto",
        target: str = DEFAULT_TARGET,
        config: Config | None = None,
        progress: Progress | None = None,
    ):
        self.remote = remote
        self.state = state
        self.progress = progress
        self._read = 0  # managed objects read so far (for `progress`)
        self._total = 0
        self._read_lock = threading.Lock()
        self.target = target
        self.config = config  # the target's settings (names it gives)
        self.pool_size = remote.side_by_side(parallelism)
        self.strategy = strategy
        self.sizes = dict(state.account_sizes)  # updated by this refresh's listings
        self.to_addr = {rs.remote_id: a for a, rs in state.resources.items() if rs.remote_id}
        self.external: set[str] = {a for a, rs in state.resources.items() if "id" in rs.attributes}
        # A snapshot keeps the raw file ids it was frozen with; only its snapshot stores map to addresses.
        self.snapshot_addr = {rid: a for rid, a in self.to_addr.items() if "@" in a}
        self.forgotten = set(state.forgotten)  # `state rm` let these go: never adopt them back
        # Earlier objects of an address carry its marker too: accounted for, never adopted.
        self.accounted = deposed_ids(state) | self.forgotten  # never adopted (`to_addr` neither)
        self.retired = False  # the assistants read found the Assistants API retired (see _read_assistants)

    def know(self, remote_id: str, address: str) -> None:
        """Read `remote_id` as `address` (an object state no longer lists, e.g. deleted behind our back)."""
        self.to_addr[remote_id] = address
        if "@" in address:
            self.snapshot_addr[remote_id] = address

    def refresh(self, desired: dict[str, Desired], addresses: set[str] | None = None) -> Refreshed:
        managed: dict[str, dict[str, str]] = {k: {} for k in REMOTE_KINDS}
        own: dict[str, dict[str, ResourceState]] = {}  # target -> the assistants it reads itself
        own_ids: dict[str, str] = {}  # their addresses -> remote ids
        for addr, rs in self.state.resources.items():
            if rs.type in REMOTE_KINDS and rs.remote_id and (addresses is None or addr in addresses):
                if rs.type == "assistant" and not self._in_collection(rs):
                    own.setdefault(recorded_target(rs), {})[addr] = rs
                    own_ids[addr] = rs.remote_id
                    continue
                managed[rs.type][rs.remote_id] = addr
        self._total = sum(map(len, managed.values())) + sum(map(len, own.values()))
        self._count(0)
        collection = TARGETS[self.target].collection == "assistant"
        adopt: dict[str, set[str]] = {k: set() for k in REMOTE_KINDS}
        claims: dict[str, dict[str, Any]] = {}  # assistants whose identity a target claims by name
        renamed: set[str] = set()  # among them, the ones state has under another name
        for addr, d in desired.items():
            if d.external:
                managed["file"].setdefault(d.attrs["id"], addr)  # must exist: check it
                self.external.add(addr)
            elif d.type in ("vector_store", "assistant") and (
                addr not in self.state.resources or PENDING in self.state.resources[addr].extra
            ):
                # Not recorded, or a create was cut short: look for our marker on what an interrupted
                # apply made. Files carry no metadata: apply settles an interrupted upload by its
                # recorded upload id (apply/uploads.py), never by a look-alike found here.
                if d.type == "assistant" and not collection:
                    claims[addr] = d.attrs  # the target knows where (none: nothing remote to find)
                else:
                    adopt[d.type].add(addr)
            elif d.type == "assistant" and not collection and self._renamed(addr):
                renamed.add(addr)  # replaced under its new name: is that name free?
                claims[addr] = d.attrs
        # A create cut short for an address that has left the config (or `destroy`): what it made
        # is ours and goes too. (A file's upload is settled by apply, by its upload id.)
        for addr, rs in self.state.resources.items():
            if addr in desired or PENDING not in rs.extra or rs.type not in ("vector_store", "assistant"):
                continue
            if addresses is not None and addr not in addresses:
                continue
            if rs.type == "assistant" and not collection:
                claims[addr] = dict(rs.attributes)
            else:
                adopt[rs.type].add(addr)
        # A retired Assistants API answers 404 everywhere: a listing's first page says so itself,
        # and GETs are followed by the probe only when one comes back missing (see _read_kind).
        listing = {k: self._lists(k, managed[k], adopt[k]) for k in REMOTE_KINDS}
        out = Refreshed()
        pending: dict[str, Future[list[str]]] = {}
        lock = threading.Lock()
        # Kinds are read side by side; the Remote's semaphore bounds requests in flight (and
        # serves collection pages first: the longest chain of pages sets the wall time).
        side_by_side = self.pool_size > 1
        with (
            ThreadPoolExecutor(max_workers=self.pool_size) if side_by_side else Inline() as pool,
            ThreadPoolExecutor(len(REMOTE_KINDS)) if side_by_side else Inline() as kinds,
        ):

            def list_members(vs_id: str) -> None:
                with lock:
                    if vs_id not in pending:
                        pending[vs_id] = pool.submit(self._list_members, vs_id)

            def store_read(vs: dict[str, Any]) -> None:  # its file list starts at once
                if (vs.get("file_counts") or {}).get("total"):
                    list_members(vs["id"])

            reads = {
                k: kinds.submit(
                    self._read_assistants if k == "assistant" else self._read_kind,
                    k,
                    managed[k],
                    adopt[k],
                    pool,
                    listing[k],
                    store_read if k == "vector_store" else None,
                )
                for k in REMOTE_KINDS
            }
            # A store state says has files: list them now, side by side with the store list,
            # rather than after it (a store that is gone lists nothing, and is reported missing).
            for vs_id, addr in managed["vector_store"].items():
                if self.state.resources[addr].attributes.get("file_ids"):
                    list_members(vs_id)
            found = {k: fut.result() for k, fut in reads.items()}
            members = {vs_id: fut.result() for vs_id, fut in pending.items()}
        out.account_sizes = dict(self.sizes)
        if self.retired:
            out.retired = set(managed["assistant"].values())
        for name, entries in own.items():
            for addr, attrs in open_target(name, self.remote, self.config).read(entries, self.ref).items():
                if attrs is None:
                    out.missing.add(addr)
                else:
                    out.actual[addr] = Actual(addr, own_ids[addr], attrs, {})
        if claims:
            self._claim(claims, out, renamed, desired)
        for kind in REMOTE_KINDS:
            if kind == "assistant" and self.retired:
                continue
            objs, marked = found[kind]
            for rid, addr in managed[kind].items():
                obj = objs.get(rid)
                if obj is None:
                    out.missing.add(addr)
                else:
                    out.actual[addr] = self._actual(kind, addr, obj, members.get(rid))
            for addr in adopt[kind] - set(marked):
                entry = self.state.resources.get(addr)
                if entry is not None and entry.remote_id and PENDING in entry.extra:
                    out.unmade.add(addr)
            for addr, ours in marked.items():
                ours = sorted(ours, key=oldest_first)
                if addr in desired:  # the oldest is adopted; any other is a copy of it
                    first, *ours = ours
                    out.adoptable[addr] = self._actual(kind, addr, first, members.get(first["id"]))
                if ours:
                    out.leftovers[addr] = [o["id"] for o in ours]
        return out

    def _count(self, n: int) -> None:
        if self.progress is None:
            return
        with self._read_lock:
            self._read += n
            read = self._read
        self.progress(read, self._total)

    def ref(self, address: str, remote_id: str) -> str:
        """The address `remote_id` names as seen from `address` (a snapshot sees its own stores)."""
        return (self.snapshot_addr if "@" in address else self.to_addr).get(remote_id, remote_id)

    def _renamed(self, address: str) -> bool:
        rs = self.state.resources.get(address)
        target = TARGETS.get(self.target)
        return bool(rs and self.config and target and target.renamed(self.config, rs))

    def _claim(
        self,
        wanted: dict[str, dict[str, Any]],
        out: Refreshed,
        renamed: set[str],
        desired: dict[str, Desired],
    ) -> None:
        """What already holds the names the config's target would give: ours (an interrupted
        apply made it) is adopted, unless `state rm` let it go; anyone else's is refused. A
        `renamed` assistant's new name is only checked to be free: its replacement makes it. For
        an address no longer in the config (`desired`), ours is a leftover, and anyone else's is
        left be."""
        target = open_target(self.target, self.remote, self.config)
        for addr, claim in target.claim(self.state.lineage, wanted, self.ref).items():
            if addr not in desired:  # ours, and no entry's own object (that one goes with its entry)
                known = claim.remote_id in self.accounted or claim.remote_id in self.to_addr
                if claim.attrs is not None and not known:
                    out.leftovers[addr] = [claim.remote_id]
                continue
            if addr in renamed and claim.attrs is not None:
                continue  # ours already: the replacement's create takes it over
            if claim.attrs is not None and claim.remote_id not in self.forgotten:
                out.adoptable[addr] = Actual(addr, claim.remote_id, claim.attrs, {})
            elif claim.attrs is not None:
                out.taken[addr] = Message(
                    f"{addr}: {claim.remote_id} was let go with `assistplan state rm`; take it back with `",
                    command("import", addr, claim.remote_id),
                    "`, or delete it, before applying",
                )
            else:
                out.taken[addr] = claim.why

    @staticmethod
    def _in_collection(rs: ResourceState) -> bool:
        """Whether an assistant in state is an object of the OpenAI assistants collection."""
        target = TARGETS.get(recorded_target(rs))
        return target is None or target.collection == "assistant"

    def _read_assistants(
        self, kind: str, ids: dict[str, str], adopt: set[str], *args: Any
    ) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """`_read_kind` for the assistants collection. When the config has moved to a target that
        is no collection, a retired Assistants API is expected: its objects are reported retired."""
        try:
            return self._read_kind(kind, ids, adopt, *args)
        except EndpointRetiredError:
            if TARGETS[self.target].collection == "assistant":
                raise
            self.retired = True
            return {}, {}

    def _lists(self, kind: str, ids: dict[str, str], adopt: set[str]) -> bool:
        """Whether to read `kind` by listing: fewer requests than one GET per managed object."""
        if adopt:
            return True  # a scan for our marker needs the whole collection
        if not ids or self.strategy == "get":
            return False
        known = self.sizes.get(kind)
        if known is None:
            return len(ids) > 2  # then list while that can still beat GETs (see _read_kind)
        # On a tie GETs win: they run side by side, where pages follow one another.
        return math.ceil(max(known, len(ids)) / PAGE[SECTIONS[kind]]) < len(ids)

    def _read_kind(
        self,
        kind: str,
        ids: dict[str, str],
        adopt: set[str],
        pool: Executor,
        listing: bool,
        on_read: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """(objects by id among `ids`, the objects carrying our marker of each address in `adopt`).

        `on_read` is called with each of them as soon as it is read.
        """
        if not ids and not adopt:
            return {}, {}
        objs: dict[str, dict[str, Any]] = {}
        marked: dict[str, list[dict[str, Any]]] = {}
        remaining = dict(ids)
        if listing:
            # List while that can still beat one GET per object still unfound; a scan for our
            # marker (adoption) needs the whole collection.
            wanted = {norm.marker(self.state.lineage, a): a for a in adopt}
            seen = 0
            for n, page in enumerate(self.remote.pages(SECTIONS[kind]), start=1):
                seen += len(page)
                found_before, read_before = len(objs) + sum(map(len, marked.values())), len(objs)
                for obj in page:
                    if remaining.pop(obj["id"], None) is not None:
                        objs[obj["id"]] = obj
                    elif obj["id"] in self.to_addr or obj["id"] in self.accounted:
                        continue  # ours already (current or deposed), or let go by `state rm`
                    elif wanted:
                        _, mark = norm.split_marker(obj.get("metadata"))
                        if mark in wanted:
                            marked.setdefault(wanted[mark], []).append(obj)
                self._count(len(objs) - read_before)
                if on_read is not None and len(objs) + sum(map(len, marked.values())) > found_before:
                    hits = set(objs) | {o["id"] for found in marked.values() for o in found}
                    for obj in page:
                        if obj["id"] in hits:
                            on_read(obj)
                if not adopt and (not remaining or n >= len(remaining)):
                    # Stopped early: the account holds at least this many (more if some are unfound).
                    self.sizes[kind] = max(self.sizes.get(kind, 0), seen + (1 if remaining else 0))
                    break
            else:
                self.sizes[kind] = seen
                return objs, marked  # the whole collection was read: what is unfound is gone

        def get(rid: str) -> tuple[str, dict[str, Any] | None]:
            obj = self.remote.get(kind, rid, remaining[rid])
            self._count(1)
            if obj is not None and on_read is not None:
                on_read(obj)
            return rid, obj

        got = dict(pool.map(get, list(remaining)))
        if kind == "assistant" and None in got.values():
            self.remote.probe_assistants()  # gone, or is the whole API? (raises if retired)
        objs.update({rid: obj for rid, obj in got.items() if obj is not None})
        return objs, marked

    def marked(self, kind: str, address: str, known: set[str]) -> list[dict[str, Any]]:
        """Every object of `kind` (a collection) carrying the marker of `address`, oldest first,
        but those in `known` (ids state accounts for): what a create whose answer was lost made."""
        wanted = norm.marker(self.state.lineage, address)
        found = [
            obj
            for page in self.remote.pages(SECTIONS[kind])
            for obj in page
            if obj["id"] not in known and norm.split_marker(obj.get("metadata"))[1] == wanted
        ]
        return sorted(found, key=oldest_first)

    def read_one(
        self, kind: str, addr: str, remote_id: str, rs: ResourceState | None = None
    ) -> Actual | None:
        """One object, read now (apply's check before it mutates); `rs`: its state entry as apply
        knows it now (an object adopted in this apply), else the one this reader started with."""
        rs = rs or self.state.resources.get(addr)
        if kind == "assistant" and rs is not None and not self._in_collection(rs):
            target = open_target(recorded_target(rs), self.remote, self.config)
            attrs = target.read({addr: rs}, self.ref)[addr]
            return None if attrs is None else Actual(addr, remote_id, attrs, {})
        obj = self.remote.get(kind, remote_id, addr)
        if obj is None:
            return None
        return self._actual(kind, addr, obj, self._members(obj) if kind == "vector_store" else None)

    def _members(self, vs: dict[str, Any]) -> list[str]:
        if not (vs.get("file_counts") or {}).get("total"):
            return []
        return self._list_members(vs["id"])

    def _list_members(self, vs_id: str) -> list[str]:
        out: list[str] = []
        for page in self.remote.pages("vector_store_files", vs_id, missing_ok=True):
            out.extend(f["id"] for f in page if f.get("status") in LIVE_FILE_STATUSES)
        return out

    def _actual(self, kind: str, addr: str, obj: dict[str, Any], members: list[str] | None) -> Actual:
        prior = self.state.resources.get(addr)
        prior_attrs = prior.attributes if prior else None
        to_addr = self.snapshot_addr if "@" in addr else self.to_addr
        if kind == "file":
            attrs = {"id": obj["id"]} if addr in self.external else norm.file_actual(obj, prior_attrs)
        elif kind == "vector_store":
            attrs = norm.vector_store_actual(obj, members or [], to_addr, prior_attrs)
        else:
            attrs = norm.assistant_actual(obj, to_addr)
        return Actual(addr, obj["id"], attrs, obj)

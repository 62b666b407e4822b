"""`status`: is every managed object as the config declares it? Reads the remote, never writes.

Per address (declared in the config, or managed in state) the verdict is one of:

- `in_sync`: the remote object matches its declaration (server defaults and tool order aside,
  as in a plan: the same normalised attributes are compared);
- `drifted`: it differs; `fields` names the changed attribute paths (`model`, `tools`,
  `tool_resources.file_search`, `metadata.team`, ...) and, for vector stores and assistants
  (code interpreter), `files_missing_locally` lists files attached remotely but not declared
  and `files_missing_remotely` the declared files the remote object lacks. A managed object
  the config no longer declares is drifted too (apply would remove it);
- `missing`: there is no remote object (deleted outside assistplan, or never created).

Files are named by address when managed (`file.handbook`), else by remote id. A failed API call
raises RemoteError: an unreadable remote is never reported as in sync. Experiments and pipelines
follow, with statuses of their own (plan/lifecycle.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistplan.addrs import REMOTE_KINDS
from assistplan.config.model import Config
from assistplan.plan.desired import Desired, build_desired
from assistplan.plan.diff import changed_paths
from assistplan.plan.intents import PENDING
from assistplan.plan.lifecycle import LifecycleStatus, lifecycle
from assistplan.plan.refresh import Actual, Progress, Reader, Refreshed
from assistplan.plan.releases import build_releases
from assistplan.remote.api import Remote
from assistplan.state.model import ResourceState, State
from assistplan.targets import recorded_target

IN_SYNC, DRIFTED, MISSING = "in_sync", "drifted", "missing"
FILE_PATHS = {"vector_store": "file_ids", "assistant": "tool_resources.code_interpreter"}


@dataclass(frozen=True)
class FieldDiff:
    """One changed attribute path, with the declared and the remote value (address space)."""

    path: str
    config: Any
    remote: Any


@dataclass(frozen=True)
class ResourceStatus:
    address: str
    type: str
    status: str  # in_sync | drifted | missing
    remote_id: str | None = None
    fields: tuple[str, ...] = ()
    files_missing_locally: tuple[str, ...] = ()  # attached remotely, not declared
    files_missing_remotely: tuple[str, ...] = ()  # declared, not attached remotely
    note: str | None = None  # why, for people
    diffs: tuple[FieldDiff, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "type": self.type,
            "remote_id": self.remote_id,
            "status": self.status,
            "fields": list(self.fields),
            "files_missing_locally": list(self.files_missing_locally),
            "files_missing_remotely": list(self.files_missing_remotely),
            "note": self.note,
        }


@dataclass(frozen=True)
class StatusReport:
    resources: tuple[ResourceStatus, ...]
    filenames: dict[str, str] = field(default_factory=dict)  # raw file id -> remote filename
    lifecycle: tuple[LifecycleStatus, ...] = ()  # experiments and pipelines (plan/lifecycle.py)

    @property
    def in_sync(self) -> bool:
        """Nothing for apply to do: remote objects in sync, no release or publish pending."""
        return all(r.status == IN_SYNC for r in self.resources) and not any(e.pending for e in self.lifecycle)

    def counts(self) -> dict[str, int]:
        out = {IN_SYNC: 0, DRIFTED: 0, MISSING: 0}
        for r in self.resources:
            out[r.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        entries = [r.to_json() for r in self.resources] + [e.to_json() for e in self.lifecycle]
        return {"resources": entries, "summary": self.counts()}


def sync_status(
    config: Config, state: State, remote: Remote, parallelism: int = 10, progress: Progress | None = None
) -> StatusReport:
    working = build_desired(config, parallelism)
    desired = {**working, **build_releases(config, state, working).desired}
    reader = Reader(remote, state, parallelism, target=config.target, config=config, progress=progress)
    refreshed = reader.refresh(desired)
    kinds = {a: d.type for a, d in desired.items() if d.type in REMOTE_KINDS}  # address -> kind
    gone = sorted(a for a, rs in state.resources.items() if rs.type in REMOTE_KINDS and a not in desired)
    kinds |= {a: state.resources[a].type for a in gone}
    out = tuple(
        _status_of(a, k, desired.get(a), state.get(a), refreshed, config.target) for a, k in kinds.items()
    )
    raw = {f for r in out for f in (*r.files_missing_locally, *r.files_missing_remotely) if "." not in f}
    return StatusReport(out, _filenames(remote, raw), lifecycle(state, desired))


def _status_of(
    addr: str, kind: str, d: Desired | None, rs: ResourceState | None, refreshed: Refreshed, target: str
) -> ResourceStatus:
    act: Actual | None = refreshed.actual.get(addr)
    if addr in refreshed.retired:
        retired = (
            f"the endpoint no longer serves the Assistants API: apply realises it through target {target}"
        )
        return ResourceStatus(addr, kind, MISSING, rs.remote_id if rs else None, note=retired)
    if d is None and rs is not None and rs.remote_id is None and refreshed.leftovers.get(addr):
        ids = refreshed.leftovers[addr]
        made = f"an interrupted apply made it ({', '.join(ids)}) and it is no longer in the configuration: "
        return ResourceStatus(addr, kind, DRIFTED, ids[0], note=made + "apply deletes it")
    adopting = act is None and addr in refreshed.adoptable and (rs is None or PENDING in rs.extra)
    if adopting:
        act = refreshed.adoptable[addr]
    if act is None:
        return ResourceStatus(addr, kind, MISSING, rs.remote_id if rs else None, note=_why_missing(d, rs))
    expected = d.attrs if d is not None else (rs.attributes if rs is not None else {})
    paths = changed_paths(act.attrs, expected)
    fields = tuple(p for p in paths if p != FILE_PATHS.get(kind))
    declared, attached = set(_files(kind, expected)), set(_files(kind, act.attrs))
    extra, lacking = tuple(sorted(attached - declared)), tuple(sorted(declared - attached))
    note: str | None = None
    if d is None:
        note = _why_undeclared(addr, rs)
    elif adopting:
        note = "created by an interrupted apply: apply adopts it"
    elif rs is not None and paths:
        outside = bool(changed_paths(rs.attributes, act.attrs))
        local = bool(changed_paths(rs.attributes, expected))
        note = {
            (True, True): "changed outside assistplan, and in the configuration, since the last apply",
            (True, False): "changed outside assistplan since the last apply",
            (False, True): "the configuration changed since the last apply: apply updates it",
        }.get((outside, local))
    diffs = [FieldDiff(p, value_at(expected, p), value_at(act.attrs, p)) for p in fields]
    if kind == "assistant" and d is not None and rs is not None and recorded_target(rs) != target:
        fields = (*fields, "target")
        diffs.append(FieldDiff("target", target, recorded_target(rs)))
        note = f"realised through target {recorded_target(rs)}, configured {target}: apply realises it anew"
    drifted = bool(fields or extra or lacking) or d is None
    return ResourceStatus(
        addr,
        kind,
        DRIFTED if drifted else IN_SYNC,
        act.remote_id,
        fields,
        extra,
        lacking,
        note,
        tuple(diffs),
    )


def _why_missing(d: Desired | None, rs: ResourceState | None) -> str:
    if d is not None and d.external:
        return f"the remote file {d.attrs['id']} it names does not exist"
    pending = rs.extra.get(PENDING) if rs is not None else None
    if d is None and pending is not None:  # a create cut short, for an address that left the config
        upload = pending.get("upload") if isinstance(pending, dict) else None
        if isinstance(upload, dict):
            return (
                f"an interrupted apply began uploading it (upload {upload.get('id')}) and it is no longer "
                "in the configuration: apply deletes the file that upload made, if the API shows one, "
                "and forgets it"
            )
        return (
            "an interrupted apply began creating it, made nothing the API shows, and it is no longer "
            "in the configuration: apply forgets it"
        )
    if isinstance(pending, dict) and pending.get("upload"):
        return (
            f"an interrupted apply began uploading it (upload {pending['upload'].get('id')}): apply keeps "
            "the file that upload made, if the API shows one, or uploads it again"
        )
    if rs is None or rs.remote_id is None:
        return "not created yet: apply creates it"
    if d is None:
        return "deleted outside assistplan, and no longer in the configuration: apply forgets it"
    return "deleted outside assistplan: apply creates it again"


def _why_undeclared(addr: str, rs: ResourceState | None) -> str:
    if "@" in addr:
        return "its release is no longer in the configuration: apply archives it"
    if rs is not None and "id" in rs.attributes:
        return "no longer in the configuration: apply forgets it (the remote file stays)"
    return "no longer in the configuration: apply destroys it"


def _files(kind: str, attrs: dict[str, Any]) -> list[str]:
    if kind == "vector_store":
        return list(attrs.get("file_ids", []))
    if kind == "assistant":
        return list(attrs.get("tool_resources", {}).get("code_interpreter", []))
    return []


def value_at(tree: Any, path: str) -> Any:
    """The value at a dotted path as `changed_paths` writes it (keys may hold dots themselves)."""
    rest = path
    node = tree
    while rest:
        if not isinstance(node, dict):
            return None
        key = next((k for k in node if rest == k or rest.startswith(f"{k}.")), None)
        if key is None:
            return None
        node, rest = node[key], rest[len(key) + 1 :]
    return node


def _filenames(remote: Remote, ids: set[str]) -> dict[str, str]:
    """Filenames of unmanaged files, from the files list (one page holds 10,000)."""
    out: dict[str, str] = {}
    if not ids:
        return out
    for page in remote.pages("files"):
        out.update({f["id"]: f["filename"] for f in page if f["id"] in ids})
        if len(out) == len(ids):
            break
    return out

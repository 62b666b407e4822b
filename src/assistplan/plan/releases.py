"""Experiments, pipelines and their releases -> desired graph nodes.

Pipelines, experiments and experiment versions live only in state (no remote object).
A release `experiment.E@vN` freezes a snapshot of every assistant E reaches: a remote
assistant "NAME (E vN)" (`assistant.A@E.vN`) and, for file search, a vector store holding the
same file ids (`vector_store.V@E.vN`), named the same way, so the snapshots of different
experiments can be told apart in a dashboard. A new snapshot is built from the working desired
attributes (file references resolved and frozen to ids at apply); an existing one is
desired exactly as state recorded it (its name included: a later naming scheme renames
nothing), so any remote edit is drift that apply reverts. A new version records the digest of
what it freezes (plan/environments.py compares environments by it).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assistplan.addrs import Address, frozen
from assistplan.config.model import Config, ExperimentSpec, ReleaseSpec
from assistplan.errors import Diagnostic
from assistplan.plan.desired import Desired
from assistplan.plan.environments import Node, digest, file_key_of, frozen_content, snapshot_nodes
from assistplan.remote import normalize as norm
from assistplan.state.model import State

PUBLISHED, RELEASED, ARCHIVED = "published", "released", "archived"
NAME_MAX = 256  # the API's limit on an assistant's (and our limit on a vector store's) name


@dataclass
class Releases:
    """The desired pipeline/experiment/version/snapshot nodes, plus problems found on the way."""

    desired: dict[str, Desired] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # What the config asks that state forbids, at its place in the config (the plan refuses it).
    diagnostics: list[Diagnostic] = field(default_factory=list)


def version_address(experiment: str, version: int) -> str:
    return f"experiment.{experiment}@v{version}"


def snapshot_address(kind: str, name: str, experiment: str, version: int) -> str:
    return f"{kind}.{name}@{experiment}.v{version}"


def _node(address: str, kind: str, attrs: dict[str, Any], refs: list[str]) -> Desired:
    a = Address.parse(address)
    return Desired(address, kind, a.name, attrs, tuple(dict.fromkeys(refs)), False)


def reachable(spec: ExperimentSpec, config: Config) -> list[tuple[str | None, str]]:
    """(node name or None, assistant name) for every assistant the experiment reaches."""
    if spec.assistant is not None:
        return [(None, spec.assistant)]
    pipeline = config.pipelines.get(spec.pipeline or "")
    if pipeline is None:
        return []
    return [(n.name, n.assistant) for n in pipeline.nodes if n.assistant is not None]


def build_releases(config: Config, state: State, working: dict[str, Desired]) -> Releases:
    """`state` is the state as last applied (a snapshot's frozen attributes live there)."""
    out = Releases()
    for p in config.pipelines.values():
        nodes = [
            {
                "name": n.name,
                "type": n.type,
                "assistant": f"assistant.{n.assistant}" if n.assistant else None,
                "params": n.params,
            }
            for n in p.nodes
        ]
        refs = [f"assistant.{n.assistant}" for n in p.nodes if n.assistant]
        out.desired[f"pipeline.{p.name}"] = _node(f"pipeline.{p.name}", "pipeline", {"nodes": nodes}, refs)
    for e in config.experiments.values():
        target = f"assistant.{e.assistant}" if e.assistant else f"pipeline.{e.pipeline}"
        attrs = {
            "assistant": f"assistant.{e.assistant}" if e.assistant else None,
            "pipeline": f"pipeline.{e.pipeline}" if e.pipeline else None,
            "releases": [r.version for r in e.releases],
            "published": e.published,
        }
        out.desired[f"experiment.{e.name}"] = _node(f"experiment.{e.name}", "experiment", attrs, [target])
        for rel in e.releases:
            status = PUBLISHED if rel.version == e.published else RELEASED
            _version(out, config, state, working, e, rel, status)
    return out


def _version(
    out: Releases,
    config: Config,
    state: State,
    working: dict[str, Desired],
    e: ExperimentSpec,
    rel: ReleaseSpec,
    status: str,
) -> None:
    n, description = rel.version, rel.description
    vaddr = version_address(e.name, n)
    prior = state.get(vaddr)
    if prior is not None and prior.attributes.get("status") == ARCHIVED:
        # Archived stays archived (its snapshots are gone); it cannot be the default version again.
        before = state.get(f"experiment.{e.name}")
        if before is not None and n not in before.attributes.get("releases", []):
            why = (
                f"experiments.{e.name}.releases: version {n} ({vaddr}) was archived and versions are "
                "immutable: it cannot be released again; release a new version number instead"
            )
            out.diagnostics.append(config.diagnostic(rel.pos or e.pos, why))
        elif status == PUBLISHED:
            why = (
                f"experiments.{e.name}.published: version {n} ({vaddr}) is archived and cannot be "
                "published: release a new version instead"
            )
            out.diagnostics.append(config.diagnostic(e.published_pos or e.pos, why))
        out.desired[vaddr] = _node(vaddr, "experiment_version", dict(prior.attributes), [])
        return
    if prior is not None:
        attrs = {**prior.attributes, "status": status, "description": description}
        snaps = _snapshots_of(state, e.name, n)
        for addr, rs in snaps.items():
            out.desired[addr] = _node(addr, rs.type, copy.deepcopy(rs.attributes), list(rs.depends_on))
        out.desired[vaddr] = _node(vaddr, "experiment_version", attrs, list(snaps))
        return
    assistants: dict[str, str] = {}
    nodes: dict[str, str | None] = {}
    for node_name, a in reachable(e, config):
        src = working.get(f"assistant.{a}")
        if src is None:
            out.errors.append(f"cannot release {vaddr}: assistant.{a} is not in the configuration")
            return
        snap = snapshot_address("assistant", a, e.name, n)
        if snap not in out.desired:
            out.desired[snap] = _snapshot_assistant(src, working, snap, e.name, n, out)
        assistants[a] = snap
        if node_name is not None:
            nodes[node_name] = snap
    if e.pipeline is not None:
        pipeline = config.pipelines.get(e.pipeline)
        for node in pipeline.nodes if pipeline else ():
            nodes.setdefault(node.name, None)
    attrs = {
        "version": n,
        "description": description,
        "status": status,
        "assistants": assistants,
        "pipeline": f"pipeline.{e.pipeline}" if e.pipeline else None,
        "nodes": nodes,
        "digest": _digest(out, working, assistants.values()),
    }
    out.desired[vaddr] = _node(vaddr, "experiment_version", attrs, sorted(set(assistants.values())))


def _digest(out: Releases, working: dict[str, Desired], assistants: Iterable[str]) -> str:
    """What the release freezes, as environments compare it (plan/environments.py)."""

    def lookup(addr: str) -> Node | None:
        d = out.desired.get(addr)
        return (d.type, d.attrs) if d is not None else None

    files = {a: d.attrs for a, d in working.items() if d.type == "file"}
    return digest(frozen_content(snapshot_nodes(assistants, lookup), file_key_of(files, {})))


def _snapshots_of(state: State, experiment: str, version: int) -> dict[str, Any]:
    suffix = f"@{experiment}.v{version}"
    return {
        a: rs
        for a, rs in state.resources.items()
        if a.endswith(suffix) and rs.type in ("assistant", "vector_store")
    }


def snapshot_name(name: str | None, resource: str, experiment: str, version: int) -> str:
    """ "Helpdesk (pilot v1)": the object's name (else its resource name), the experiment and the
    version, cut to fit the API's limit."""
    suffix = f" ({experiment} v{version})"
    return (name or resource)[: NAME_MAX - len(suffix)] + suffix


def _snapshot_assistant(
    src: Desired, working: dict[str, Desired], snap: str, experiment: str, n: int, out: Releases
) -> Desired:
    attrs = copy.deepcopy(src.attrs)
    attrs["name"] = snapshot_name(attrs.get("name"), src.name, experiment, n)
    tr = attrs.get("tool_resources", {})
    stores = []
    for vs in tr.get("file_search", []):
        v = working.get(vs)
        if v is None:
            continue
        vsnap = snapshot_address("vector_store", Address.parse(vs).name, experiment, n)
        if vsnap not in out.desired:
            vattrs = copy.deepcopy(v.attrs)
            vattrs["name"] = snapshot_name(vattrs.get("name"), v.name, experiment, n)
            out.desired[vsnap] = _node(vsnap, "vector_store", vattrs, norm.refs_of("vector_store", vattrs))
        stores.append(vsnap)
    if stores:
        tr["file_search"] = stores
    return _node(snap, "assistant", attrs, norm.refs_of("assistant", attrs))


@dataclass
class Restored:
    """Release snapshots whose files were deleted outside assistplan: the configured files they
    get the same content back from, and the files nothing configured can restore."""

    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # snapshot -> file addresses
    errors: list[str] = field(default_factory=list)


def restore_deleted_files(desired: dict[str, Desired], state: State, missing: set[str]) -> Restored:
    """A release holds its files by the ids they had when it was frozen. One deleted outside
    assistplan (a file state tracked, found missing) comes back from the configured file with the
    same content (uploaded again by this apply, and frozen in the snapshot as its new id), so the
    release keeps what it froze. `desired` snapshots are updated in place. Without a file of that
    content in the config, the release cannot be restored: an error says so (never a silent drop)."""
    out = Restored()
    gone = {
        rs.remote_id: rs
        for rs in (state.get(a) for a in missing)
        if rs is not None and rs.type == "file" and rs.remote_id
    }
    if not gone:
        return out
    by_content = {
        d.attrs["sha256"]: a
        for a, d in desired.items()
        if d.type == "file" and not d.external and d.attrs.get("sha256")
    }
    sha_of = {rid: rs.attributes.get("sha256") for rid, rs in gone.items()}
    source_of = {rid: by_content[sha] for rid, sha in sha_of.items() if sha in by_content}
    for addr, d in list(desired.items()):
        held = [r for r in norm.all_refs(d.type, d.attrs) if r in gone] if frozen(addr) else []
        for rid in (r for r in held if r not in source_of):
            a, sha = Address.parse(addr), sha_of[rid]
            was = f"{gone[rid].address}, sha256 {sha[:12]}..." if sha else gone[rid].address
            out.errors.append(
                f"{addr}: {rid} ({was}), a file it was released with, was deleted outside assistplan "
                "and no file of the configuration has its content to upload again: put the released "
                f"content back in a file of the configuration, or archive v{a.version} (remove it "
                f"from experiments.{a.experiment}.releases)"
            )
        sources = sorted({source_of[r] for r in held if r in source_of})
        if sources:
            attrs = norm.map_refs(d.type, d.attrs, lambda r: source_of.get(r, r))
            refs = tuple(dict.fromkeys([*d.refs, *sources]))
            desired[addr] = dataclasses.replace(d, attrs=attrs, refs=refs)
            out.sources[addr] = tuple(sources)
    return out


def freeze(attrs: dict[str, Any], resolve: Any) -> dict[str, Any]:
    """A snapshot's attributes as recorded: file references become the file ids they had."""
    out = copy.deepcopy(attrs)
    if "file_ids" in out:
        out["file_ids"] = sorted(resolve(f) if f.startswith("file.") else f for f in out["file_ids"])
    tr = out.get("tool_resources", {})
    if "code_interpreter" in tr:
        tr["code_interpreter"] = sorted(
            resolve(f) if f.startswith("file.") else f for f in tr["code_interpreter"]
        )
    return out

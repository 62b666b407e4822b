"""`import --all`: onboard an account. Find every assistant and vector store no assistplan state
manages, write a config declaring them as they are, and build their state entries.

- Unmanaged: the id is in no state we know of, and the object carries no `assistplan` marker
  (a marked object belongs to some assistplan state: it is listed as skipped, unless a state we
  know let it go with `state rm`).
- Files are onboarded when an onboarded vector store holds them or an onboarded assistant's
  code interpreter uses them. They are declared by id (`{id: file-...}`): the API does not let
  their bytes be downloaded, and a file declared by id is never uploaded or deleted.
- An assistant whose vector store is managed elsewhere (or gone), or whose code-interpreter
  files are gone, cannot be declared faithfully: it is skipped, with the reason.
- Resource names come from the remote names (slugified; the oldest object keeps the plain name,
  younger namesakes get -2, -3, ...); each section is sorted by name.
- The config speaks a target (`choose_target`): where the endpoint no longer serves the Assistants
  API (OpenAI since 2026-08-26) it is `responses`. On a target whose assistants are no remote
  objects, assistants found on the endpoint are written as declarations, not imported (the next
  apply realises them); one the target cannot express is skipped, with the reason.
- On a Foundry project (target foundry) the assistants are the project's agents, each declared
  as its latest version and imported by name.
"""

from __future__ import annotations

import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from assistplan.config.messages import where
from assistplan.config.model import DEFAULT_TARGET
from assistplan.errors import EndpointRetiredError, Message, command
from assistplan.plan.desired import Desired
from assistplan.plan.importer import (
    Imported,
    assistant_state,
    chunking_of,
    file_state,
    live_members,
    vector_store_state,
)
from assistplan.remote import normalize as norm
from assistplan.remote.api import Remote
from assistplan.targets import AFTER_ASSISTANTS_SUNSET, TARGETS, Target, entry_problems, mapping

FLOW_WIDTH = 72  # collections whose JSON is at most this long are written on one line


@dataclass
class Scan:
    """What the remote holds that no state manages (raw API objects, oldest first)."""

    vector_stores: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # vector store id -> files
    assistants: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> file object
    skipped: list[str] = field(default_factory=list)  # why an object was left out
    assistants_retired: bool = False  # the endpoint no longer serves the Assistants API
    target: str = DEFAULT_TARGET  # provider.target of the config to write (`choose_target`)


@dataclass
class Generated:
    text: str  # the config (YAML)
    imports: dict[str, str]  # address -> remote id, files first, then vector stores, assistants
    notes: list[str] = field(default_factory=list)


def choose_target(configured: str | None, retired: bool) -> str:
    """The target of the written config: the one the user's config sets, else `responses` where
    the endpoint no longer serves the Assistants API, else the default."""
    if configured is not None:
        return configured
    return AFTER_ASSISTANTS_SUNSET if retired else DEFAULT_TARGET


def scan(
    remote: Remote,
    managed: set[str],
    released: set[str],
    parallelism: int = 10,
    configured: Target | None = None,
) -> Scan:
    """`managed`: ids some known state manages; `released`: ids a known state forgot (`state rm`);
    `configured`: the target the user's config sets, if any (see `choose_target`), bound to its
    settings (Foundry agents' resource names go without the config's agent prefix)."""
    out = Scan()
    listed = configured.listed() if configured is not None else None
    try:
        if listed is None:
            remote.probe_assistants()
    except EndpointRetiredError:
        out.assistants_retired = True

    def unmanaged(obj: dict[str, Any], noun: str) -> bool:
        if obj["id"] in managed:
            return False
        _, mark = norm.split_marker(obj.get("metadata"))
        if mark is not None and obj["id"] not in released:
            out.skipped.append(
                Message(
                    f"{noun} {obj['id']} ({obj.get('name')!r}) carries the marker of an assistplan state "
                    f"({mark}); if no state manages it any more, import it with `",
                    command("import", "ADDR", obj["id"]),
                    "`",
                )
            )
            return False
        return True

    out.vector_stores = [v for v in _all(remote, "vector_stores") if unmanaged(v, "vector store")]
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        members = pool.map(lambda v: live_members(remote, v), out.vector_stores)
        out.members = dict(zip([v["id"] for v in out.vector_stores], members, strict=True))
    out.target = choose_target(configured.name if configured else None, out.assistants_retired)
    if listed is not None:
        assistants = _oldest_first(listed)
    else:
        assistants = [] if out.assistants_retired else _all(remote, "assistants")
    candidates = [a for a in assistants if unmanaged(a, "assistant")]
    files = {f["id"]: f for f in _all(remote, "files")} if candidates or out.vector_stores else {}
    onboarded_stores = set(out.members)
    for a in candidates:
        stores, code = _resources(a)
        elsewhere = [v for v in stores if v not in onboarded_stores]
        gone = [f for f in code if f not in files]
        if elsewhere or gone:
            why = (
                f"its vector store {', '.join(elsewhere)} is managed by a state or does not exist"
                if elsewhere
                else f"its code interpreter file(s) {', '.join(gone)} do not exist"
            )
            out.skipped.append(f"assistant {a['id']} ({a.get('name')!r}): {why}; import it by hand")
            continue
        unexpressible = entry_problems(out.target, _declaration_shape(a))
        if unexpressible:
            path, why = unexpressible[0]
            out.skipped.append(
                f"assistant {a['id']} ({a.get('name')!r}): "
                + mapping.unexpressible(where(path), out.target, why)
            )
            continue
        out.assistants.append(a)
    used = [m["id"] for v in out.vector_stores for m in out.members[v["id"]]]
    used += [f for a in out.assistants for f in _resources(a)[1]]
    out.files = {i: files.get(i, {"id": i, "filename": i, "created_at": 0}) for i in dict.fromkeys(used)}
    return out


def _declaration_shape(assistant: dict[str, Any]) -> dict[str, Any]:
    """The parts of a raw assistant a target's config checks read, in the config's shape."""
    stores, _ = _resources(assistant)
    return {
        "tools": assistant.get("tools") or [],
        "tool_resources": {"file_search": {"vector_stores": stores}} if stores else {},
        "response_format": assistant.get("response_format"),
    }


def _all(remote: Remote, kind: str) -> list[dict[str, Any]]:
    return _oldest_first([obj for page in remote.pages(kind) for obj in page])


def _oldest_first(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objs, key=lambda o: (o.get("created_at") or 0, o["id"]))


def _resources(assistant: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(vector store ids, code interpreter file ids) of a raw assistant."""
    tr = assistant.get("tool_resources") or {}
    stores = (tr.get("file_search") or {}).get("vector_store_ids") or []
    code = (tr.get("code_interpreter") or {}).get("file_ids") or []
    return list(stores), list(code)


# -- the config ----------------------------------------------------------------------------------
def slug(text: str | None, fallback: str) -> str:
    """A resource name (`^[a-z0-9][a-z0-9_-]{0,63}$`) from a remote name, room left for a suffix."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9_-]+", "-", ascii_text.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-_")[:56].rstrip("-_")
    return name or fallback


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def generate(
    found: Scan,
    *,
    header: str,
    base_url: str | None = None,
    state_path: str | None = None,
    settings: dict[str, str] | None = None,
) -> Generated:
    """The config declaring everything `found` holds, as it is, and the address of each object."""
    gen = Generated("", {})
    names: dict[str, str] = {}  # remote id -> resource name
    taken: dict[str, set[str]] = {"file": set(), "vector_store": set(), "assistant": set()}
    for f in sorted(found.files.values(), key=lambda o: (o.get("created_at") or 0, o["id"])):
        names[f["id"]] = _unique(slug(PurePath(f.get("filename") or "").stem, "file"), taken["file"])
    for v in found.vector_stores:
        names[v["id"]] = _unique(slug(v.get("name"), "vector-store"), taken["vector_store"])
    for a in found.assistants:
        names[a["id"]] = _unique(slug(a.get("name"), "assistant"), taken["assistant"])

    data: dict[str, Any] = {"version": 1}
    provider: dict[str, Any] = {}
    if found.target != DEFAULT_TARGET:
        provider["target"] = found.target
    if base_url:
        provider["base_url"] = base_url
    provider.update(settings or {})  # the config's other provider settings (an Azure project...)
    if provider:
        data["provider"] = _Flow(provider)
    if state_path:
        data["state"] = {"path": state_path}
    sections: list[tuple[str, str, dict[str, Any]]] = [
        ("files", "file", {i: _Flow(id=i) for i in found.files}),
        (
            "vector_stores",
            "vector_store",
            {v["id"]: _flowed(_store(v, found.members[v["id"]], names)) for v in found.vector_stores},
        ),
        (
            "assistants",
            "assistant",
            {a["id"]: _flowed(_assistant(a, names, gen.notes)) for a in found.assistants},
        ),
    ]
    for section, kind, specs in sections:
        ordered = sorted(specs, key=lambda i: names[i])
        if specs:
            data[section] = {names[i]: specs[i] for i in ordered}
        gen.imports.update({f"{kind}.{names[i]}": i for i in ordered})
    gen.text = header + yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return gen


def _store(vs: dict[str, Any], members: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"name": vs.get("name") or ""}
    if vs.get("description") is not None:
        body["description"] = vs["description"]
    if members:
        body["files"] = sorted(names[m["id"]] for m in members)
    chunking = chunking_of(members, None)
    if chunking is not None and chunking != norm.AUTO_CHUNKING:
        body["chunking_strategy"] = chunking
    if vs.get("expires_after"):
        body["expires_after"] = vs["expires_after"]
    metadata, _ = norm.split_marker(vs.get("metadata"))
    if metadata:
        body["metadata"] = metadata
    return body


def _assistant(obj: dict[str, Any], names: dict[str, str], notes: list[str]) -> dict[str, Any]:
    attrs = norm.assistant_actual(obj, {})
    body: dict[str, Any] = {}
    if attrs["name"] is not None:
        body["name"] = attrs["name"]
    else:
        notes.append(
            f"assistant {obj['id']} has no name; the config names it after its resource name, "
            "so the next plan sets that name"
        )
    body["model"] = attrs["model"]
    for key, default in norm.ASSISTANT_DEFAULTS.items():
        if attrs[key] != default:
            body[key] = attrs[key]
    if attrs["tools"]:
        body["tools"] = attrs["tools"]
    stores, code = _resources(obj)
    resources: dict[str, Any] = {}
    if code:
        resources["code_interpreter"] = {"files": sorted(names[f] for f in code)}
    if stores:
        resources["file_search"] = {"vector_stores": [names[v] for v in stores]}
    if resources:
        body["tool_resources"] = resources
    if attrs["metadata"]:
        body["metadata"] = attrs["metadata"]
    return body


def entries(found: Scan, gen: Generated, desired: dict[str, Desired], lineage: str) -> list[Imported]:
    """The state entries of everything `gen` declares (`desired` built from the written config)."""
    objs = {o["id"]: o for o in (*found.files.values(), *found.vector_stores, *found.assistants)}
    to_addr = {rid: addr for addr, rid in gen.imports.items()}
    out: list[Imported] = []
    for addr, rid in gen.imports.items():
        d, obj = desired[addr], objs[rid]
        if d.type == "assistant" and not TARGETS[found.target].remote:
            continue  # a declaration: the next apply realises it (nothing remote to import)
        if d.type == "file":
            out.append(file_state(d, obj))
        elif d.type == "vector_store":
            out.append(vector_store_state(d, obj, found.members[rid], to_addr, lineage))
        else:
            item = assistant_state(d, obj, to_addr, lineage)
            item.resource.extra.update(TARGETS[found.target].onboarded(obj))
            out.append(item)
    return out


# -- YAML -----------------------------------------------------------------------------------------
class _Flow(dict[str, Any]):
    """A mapping written on one line (`{type: code_interpreter}`)."""


class _FlowList(list[Any]):
    """A sequence written on one line (`[handbook, policy]`)."""


def _flowed(value: Any, top: bool = True) -> Any:
    """Short collections (not a resource's own body) go on one line; the rest stays block style."""
    if isinstance(value, dict):
        inner = {k: _flowed(v, False) for k, v in value.items()}
        return _Flow(inner) if not top and len(repr(value)) <= FLOW_WIDTH and _flat(value) else inner
    if isinstance(value, list):
        inner_list = [_flowed(v, False) for v in value]
        return _FlowList(inner_list) if len(repr(value)) <= FLOW_WIDTH and _flat(value) else inner_list
    return value


def _flat(value: Any) -> bool:
    """No multi-line strings anywhere inside (those read better as block scalars)."""
    if isinstance(value, dict):
        return all(_flat(v) for v in value.values())
    if isinstance(value, list):
        return all(_flat(v) for v in value)
    return not (isinstance(value, str) and "\n" in value)


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent list items under their key


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, True))
_Dumper.add_representer(_FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, True))

"""One attribute shape per resource kind, built from the config (desired) or from the API (actual).

Both sides land in "address space": references to managed objects are addresses
(`file.handbook`), unknown remote ids stay raw ids. Server defaults are filled in and tool
order is canonicalised here, so a plain `==` between the two sides is the diff.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

from assistplan.config import RESERVED_METADATA_KEY
from assistplan.config.model import AssistantSpec, FileSpec, VectorStoreSpec

MARKER_KEY = RESERVED_METADATA_KEY  # value: "<lineage>:<address>"

# Fields the API fills in when not given; equal to "not set" for the diff.
ASSISTANT_DEFAULTS: dict[str, Any] = {
    "description": None,
    "instructions": None,
    "temperature": 1.0,
    "top_p": 1.0,
    "response_format": "auto",
    "reasoning_effort": None,
}
_DEFAULT_RANKERS = {"auto", "default_2024_08_21"}
# Attributes the API cannot show us back: tracked in state, a change replaces the object.
VECTOR_STORE_CREATE_ONLY = ("description", "chunking_strategy")
AUTO_CHUNKING = {"type": "auto"}


def marker(lineage: str, address: str) -> str:
    return f"{lineage}:{address}"


def split_marker(metadata: dict[str, Any] | None) -> tuple[dict[str, str], str | None]:
    """(user metadata without our key, our marker or None)."""
    md = dict(metadata or {})
    return md, md.pop(MARKER_KEY, None)


def normalize_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """Drop what equals the server's defaults so `{type: file_search}` matches what the API echoes."""
    t = marshal.loads(marshal.dumps(tool))  # a deep copy of plain JSON: several times cheaper than json's
    if t.get("type") == "file_search":
        fs = dict(t.get("file_search") or {})
        if fs.get("max_num_results") == 20:
            fs.pop("max_num_results")
        ro = fs.get("ranking_options")
        if (
            isinstance(ro, dict)
            and ro.get("ranker", "auto") in _DEFAULT_RANKERS
            and not ro.get("score_threshold")
        ):
            fs.pop("ranking_options")
        t = {"type": "file_search", **({"file_search": fs} if fs else {})}
    elif t.get("type") == "function":
        fn = {k: v for k, v in (t.get("function") or {}).items() if v is not None}
        if fn.get("strict") is False:
            fn.pop("strict")
        t = {"type": "function", "function": fn}
    return t


def _tool_key(tool: dict[str, Any]) -> tuple[str, str]:
    name = (tool.get("function") or {}).get("name", "") if tool.get("type") == "function" else ""
    return (str(tool.get("type")), str(name))


def normalize_tools(tools: Any) -> list[dict[str, Any]]:
    return sorted((normalize_tool(t) for t in tools or ()), key=_tool_key)


def _num(value: Any, default: float) -> float:
    return float(default if value is None else value)


def _resources(code_files: list[str], stores: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if code_files:
        out["code_interpreter"] = sorted(code_files)
    if stores:
        out["file_search"] = sorted(stores)
    return out


# -- desired ----------------------------------------------------------------------------------
def file_desired(spec: FileSpec, sha256: str | None, size: int | None) -> dict[str, Any]:
    if spec.path is None:  # an existing remote file, referenced by id
        return {"id": spec.id}
    return {"filename": spec.path.name, "purpose": spec.purpose, "bytes": size, "sha256": sha256}


def vector_store_desired(spec: VectorStoreSpec) -> dict[str, Any]:
    return {
        "name": spec.display_name,
        "description": spec.description,
        "metadata": dict(spec.metadata),
        "expires_after": spec.expires_after,
        "chunking_strategy": spec.chunking_strategy or AUTO_CHUNKING,
        "file_ids": sorted(f"file.{n}" for n in spec.files),
    }


def assistant_desired(spec: AssistantSpec) -> dict[str, Any]:
    return {
        "name": spec.display_name,
        "model": spec.model,
        "description": spec.description,
        "instructions": spec.instructions,
        "tools": normalize_tools(spec.tools),
        "tool_resources": _resources(
            [f"file.{n}" for n in spec.code_interpreter_files],
            [f"vector_store.{n}" for n in spec.file_search_vector_stores],
        ),
        "temperature": _num(spec.temperature, 1.0),
        "top_p": _num(spec.top_p, 1.0),
        "response_format": spec.response_format if spec.response_format is not None else "auto",
        "reasoning_effort": spec.reasoning_effort,
        "metadata": dict(spec.metadata),
    }


# -- actual -----------------------------------------------------------------------------------
def file_actual(obj: dict[str, Any], prior: dict[str, Any] | None) -> dict[str, Any]:
    """The API shows name, size and purpose; the content hash only state knows."""
    return {
        "filename": obj.get("filename"),
        "purpose": obj.get("purpose"),
        "bytes": obj.get("bytes"),
        "sha256": (prior or {}).get("sha256"),
    }


def vector_store_actual(
    obj: dict[str, Any], file_ids: list[str], to_addr: dict[str, str], prior: dict[str, Any] | None
) -> dict[str, Any]:
    md, _ = split_marker(obj.get("metadata"))
    prior = prior or {}
    return {
        "name": obj.get("name"),
        "description": prior.get("description"),
        "metadata": md,
        "expires_after": obj.get("expires_after"),
        "chunking_strategy": prior.get("chunking_strategy", AUTO_CHUNKING),
        "file_ids": sorted(to_addr.get(i, i) for i in file_ids),
    }


def assistant_actual(obj: dict[str, Any], to_addr: dict[str, str]) -> dict[str, Any]:
    md, _ = split_marker(obj.get("metadata"))
    tr = obj.get("tool_resources") or {}
    code = (tr.get("code_interpreter") or {}).get("file_ids") or []
    stores = (tr.get("file_search") or {}).get("vector_store_ids") or []
    return {
        "name": obj.get("name"),
        "model": obj.get("model"),
        "description": obj.get("description"),
        "instructions": obj.get("instructions"),
        "tools": normalize_tools(obj.get("tools")),
        "tool_resources": _resources([to_addr.get(i, i) for i in code], [to_addr.get(i, i) for i in stores]),
        "temperature": _num(obj.get("temperature"), 1.0),
        "top_p": _num(obj.get("top_p"), 1.0),
        "response_format": obj.get("response_format") if obj.get("response_format") is not None else "auto",
        "reasoning_effort": obj.get("reasoning_effort"),
        "metadata": md,
    }


def all_refs(kind: str, attrs: dict[str, Any]) -> list[str]:
    """Every reference an attribute dict holds: addresses of managed objects and raw ids."""
    if kind == "vector_store":
        return list(attrs.get("file_ids", []))
    if kind == "assistant":
        tr = attrs.get("tool_resources", {})
        return [r for key in ("code_interpreter", "file_search") for r in tr.get(key, [])]
    return []


def refs_of(kind: str, attrs: dict[str, Any]) -> list[str]:
    """Addresses an attribute dict references (its edges in the reference graph)."""
    return [a for a in all_refs(kind, attrs) if "." in a]


def map_refs(kind: str, attrs: dict[str, Any], fn: Callable[[str], str]) -> dict[str, Any]:
    """`attrs` with every reference (an address or a raw id) replaced by `fn(ref)`; lists stay sorted."""
    out = dict(attrs)
    if kind == "vector_store" and "file_ids" in out:
        out["file_ids"] = sorted(fn(r) for r in out["file_ids"])
    elif kind == "assistant" and "tool_resources" in out:
        out["tool_resources"] = {k: sorted(fn(r) for r in v) for k, v in out["tool_resources"].items()}
    return out


# -- requests ---------------------------------------------------------------------------------
def assistant_params(attrs: dict[str, Any], to_id: Callable[[str], str], mark: str) -> dict[str, Any]:
    """The create/update body for an assistant, ids resolved, our marker added."""
    tr = attrs["tool_resources"]
    resources: dict[str, Any] = {
        "code_interpreter": {"file_ids": [to_id(a) for a in tr.get("code_interpreter", [])]},
        "file_search": {"vector_store_ids": [to_id(a) for a in tr.get("file_search", [])]},
    }
    return {
        "name": attrs["name"],
        "model": attrs["model"],
        "description": attrs["description"],
        "instructions": attrs["instructions"],
        "tools": attrs["tools"],
        "tool_resources": resources,
        "temperature": attrs["temperature"],
        "top_p": attrs["top_p"],
        "response_format": attrs["response_format"],
        "reasoning_effort": attrs["reasoning_effort"],
        "metadata": {**attrs["metadata"], MARKER_KEY: mark},
    }

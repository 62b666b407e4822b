"""The one Assistants-v2 -> Responses mapping (DESIGN.md section 9), shared by the targets that
realise an assistant as a Responses-shaped definition (`responses`, `foundry`).

It reads assistant attributes in the config's shape (the engine's attributes: tools as the
config writes them, tool resources as lists of references) and builds the parameters of a
`POST /v1/responses` call:

- `model`, `instructions`, `temperature`, `top_p` as they are (left out at their defaults);
- function tools flattened to `{type: function, name, description, parameters, strict}` with
  `strict: false` unless set and `parameters: {}` when absent (Responses requires both and
  treats functions as strict by default);
- `file_search` -> `{type: file_search, vector_store_ids, max_num_results, ranking_options}`;
- `code_interpreter` -> `{type: code_interpreter, container: {type: auto, file_ids}}`;
- `response_format` -> `text.format` (`auto`: nothing; `json_schema` flattened);
- `reasoning_effort` -> `reasoning.effort`; `metadata` as it is.

`name` and `description` have no Responses field: they stay labels (state, `output`). What a
definition cannot express raises `Unmappable` naming the field; `problems()` runs the same rules
over a config entry, so `validate` reports it at its line, before any call. Tool types a target
speaks natively (`passthrough`: Foundry's own tools) go through unchanged. `attributes()` is the
inverse: a definition read back from a remote (a Foundry agent version) in the config's shape.
Nothing here does I/O or imports an SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from assistplan.remote.normalize import normalize_tool, normalize_tools

Path = tuple[str | int, ...]

# Rankers the Responses API offers for file_search (RankerVersionType in the official spec).
RESPONSES_RANKERS = ("auto", "default-2024-11-15")
DEFAULT_TEMPERATURE = 1.0
DEFAULT_TOP_P = 1.0


class Unmappable(Exception):
    """A field of the assistant that a Responses definition cannot express."""

    def __init__(self, path: Path, why: str):
        self.path = path
        self.why = why
        super().__init__(why)


def unexpressible(field: str, target: str, why: str) -> str:
    """The one wording of a field a target cannot express."""
    return f"{field}: target {target} cannot express this: {why}"


def _resolved(refs: Sequence[str], resolve: Callable[[str], str]) -> list[str]:
    return [resolve(r) for r in refs]


def tool(
    t: dict[str, Any],
    stores: Sequence[str],
    files: Sequence[str],
    resolve: Callable[[str], str],
    passthrough: Collection[str] = (),
) -> dict[str, Any]:
    """One Assistants tool as a Responses tool; `stores`/`files` are its tool resources."""
    kind = t.get("type")
    if kind in passthrough:
        return dict(t)
    if kind == "function":
        fn = t.get("function") or {}
        out: dict[str, Any] = {"type": "function", "name": fn["name"]}
        if fn.get("description") is not None:
            out["description"] = fn["description"]
        out["parameters"] = fn.get("parameters") if fn.get("parameters") is not None else {}
        out["strict"] = bool(fn.get("strict", False))
        return out
    if kind == "file_search":
        fs = t.get("file_search") or {}
        ranking = fs.get("ranking_options")
        ranker = ranking.get("ranker") if ranking else None
        if ranker is not None and ranker not in RESPONSES_RANKERS:
            raise Unmappable(
                ("file_search", "ranking_options", "ranker"),
                f"ranker {ranker!r} has no Responses equivalent (Responses offers "
                f"{', '.join(RESPONSES_RANKERS)})",
            )
        if not stores:
            raise Unmappable(
                (),
                "a file_search tool needs its vector store in tool_resources.file_search.vector_stores "
                "(a definition carries its vector_store_ids: there is no thread to attach one to)",
            )
        out = {"type": "file_search", "vector_store_ids": _resolved(stores, resolve)}
        if fs.get("max_num_results") is not None:
            out["max_num_results"] = fs["max_num_results"]
        if ranking:
            out["ranking_options"] = dict(ranking)
        return out
    if kind == "code_interpreter":
        return {
            "type": "code_interpreter",
            "container": {"type": "auto", "file_ids": _resolved(files, resolve)},
        }
    raise Unmappable(("type",), f"tool type {kind!r} has no Responses equivalent")


def text_format(response_format: Any) -> dict[str, Any] | None:
    """`response_format` as Responses' `text.format`; None for `auto` (the default)."""
    if response_format in (None, "auto"):
        return None
    kind = response_format.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}
    spec = response_format.get("json_schema") or {}
    if spec.get("schema") is None:
        raise Unmappable(("json_schema",), "a json_schema format needs a `schema` (Responses requires one)")
    out: dict[str, Any] = {"type": "json_schema", "name": spec["name"]}
    if spec.get("description") is not None:
        out["description"] = spec["description"]
    out["schema"] = spec["schema"]
    if spec.get("strict") is not None:
        out["strict"] = spec["strict"]
    return out


def definition(
    attrs: dict[str, Any], resolve: Callable[[str], str], passthrough: Collection[str] = ()
) -> dict[str, Any]:
    """The Responses request parameters for assistant attributes (references resolved to ids).

    Raises Unmappable with the attribute path of the first field it cannot express.
    """
    out: dict[str, Any] = {"model": attrs["model"]}
    if attrs.get("instructions") is not None:
        out["instructions"] = attrs["instructions"]
    resources = attrs.get("tool_resources") or {}
    stores, files = resources.get("file_search", []), resources.get("code_interpreter", [])
    tools = []
    for i, t in enumerate(attrs.get("tools") or []):
        try:
            tools.append(tool(t, stores, files, resolve, passthrough))
        except Unmappable as exc:
            raise Unmappable(("tools", i, *exc.path), exc.why) from None
    if tools:
        out["tools"] = tools
    if attrs.get("temperature") not in (None, DEFAULT_TEMPERATURE):
        out["temperature"] = attrs["temperature"]
    if attrs.get("top_p") not in (None, DEFAULT_TOP_P):
        out["top_p"] = attrs["top_p"]
    try:
        fmt = text_format(attrs.get("response_format"))
    except Unmappable as exc:
        raise Unmappable(("response_format", *exc.path), exc.why) from None
    if fmt is not None:
        out["text"] = {"format": fmt}
    if attrs.get("reasoning_effort") is not None:
        out["reasoning"] = {"effort": attrs["reasoning_effort"]}
    if attrs.get("metadata"):
        out["metadata"] = dict(attrs["metadata"])
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def problems(spec: dict[str, Any], passthrough: Collection[str] = ()) -> list[tuple[Path, str]]:
    """What a config entry (`assistants.NAME`, as written) sets that a definition cannot express.

    Paths are relative to the entry. Tools are read as the engine reads them (server defaults
    dropped), so validation and the mapping agree; malformed parts are left to the schema.
    """
    out: list[tuple[Path, str]] = []
    resources = _mapping(spec.get("tool_resources"))
    listed = _mapping(resources.get("file_search")).get("vector_stores")
    stores = listed if isinstance(listed, list) else []
    tools = spec.get("tools")
    for i, t in enumerate(tools if isinstance(tools, list) else []):
        if not isinstance(t, dict) or not isinstance(t.get("type"), str):
            continue
        if t["type"] == "function" and not isinstance(t.get("function"), dict):
            continue
        try:
            tool(normalize_tool(t), [str(s) for s in stores], [], str, passthrough)
        except Unmappable as exc:
            out.append((("tools", i, *exc.path), exc.why))
        except (AttributeError, KeyError, TypeError):
            continue  # malformed: the schema reports it
    rf = spec.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema" and isinstance(rf.get("json_schema"), dict):
        try:
            text_format(rf)
        except Unmappable as exc:
            out.append((("response_format", *exc.path), exc.why))
    return out


# -- the inverse: a definition read back, in the config's shape ---------------------------------
def _function_back(t: dict[str, Any]) -> dict[str, Any]:
    fn = {k: t[k] for k in ("name", "description", "parameters", "strict") if t.get(k) is not None}
    if fn.get("parameters") == {}:
        fn.pop("parameters")  # what the mapping sends when the config sets none
    return {"type": "function", "function": fn}


def _file_search_back(t: dict[str, Any]) -> dict[str, Any]:
    fs = {k: t[k] for k in ("max_num_results", "ranking_options") if t.get(k) is not None}
    return {"type": "file_search", **({"file_search": fs} if fs else {})}


def _format_back(fmt: Any) -> Any:
    if not isinstance(fmt, dict):
        return "auto"
    if fmt.get("type") != "json_schema":
        return {"type": fmt.get("type")}
    spec = {k: fmt[k] for k in ("name", "description", "schema", "strict") if fmt.get(k) is not None}
    return {"type": "json_schema", "json_schema": spec}


def attributes(body: dict[str, Any], labels: dict[str, Any], to_addr: Callable[[str], str]) -> dict[str, Any]:
    """Assistant attributes (the engine's shape, references as addresses where `to_addr` knows the
    id) of a definition read back; `labels` supply what no definition holds (name, description,
    metadata). The inverse of `definition` for everything it produces."""
    tools: list[dict[str, Any]] = []
    stores: list[str] = []
    files: list[str] = []
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        kind = t.get("type")
        if kind == "function":
            tools.append(_function_back(t))
        elif kind == "file_search":
            tools.append(_file_search_back(t))
            stores += [to_addr(i) for i in t.get("vector_store_ids") or []]
        elif kind == "code_interpreter":
            tools.append({"type": "code_interpreter"})
            container = t.get("container")
            if isinstance(container, dict):
                files += [to_addr(i) for i in container.get("file_ids") or []]
        else:
            tools.append(dict(t))
    resources: dict[str, list[str]] = {}
    if files:
        resources["code_interpreter"] = sorted(files)
    if stores:
        resources["file_search"] = sorted(stores)
    reasoning = body.get("reasoning")
    text = body.get("text")
    return {
        "name": labels.get("name"),
        "model": body.get("model"),
        "description": labels.get("description"),
        "instructions": body.get("instructions"),
        "tools": normalize_tools(tools),
        "tool_resources": resources,
        "temperature": float(body["temperature"])
        if body.get("temperature") is not None
        else DEFAULT_TEMPERATURE,
        "top_p": float(body["top_p"]) if body.get("top_p") is not None else DEFAULT_TOP_P,
        "response_format": _format_back(text.get("format") if isinstance(text, dict) else None),
        "reasoning_effort": reasoning.get("effort") if isinstance(reasoning, dict) else None,
        "metadata": dict(labels.get("metadata") or {}),
    }

"""``/v1/assistants``: create, retrieve, modify, delete, list."""

from __future__ import annotations

from typing import Any

from .common import Body, Call, list_page, list_query, new_id
from .errors import missing_reference, not_found
from .store import Record, Store
from .validate import check_request
from .vector_stores import create_vector_store

# Fields stored as given on create and modify; unset means null (or the default shown on render).
_PLAIN_FIELDS = (
    "name",
    "description",
    "model",
    "instructions",
    "tools",
    "metadata",
    "temperature",
    "top_p",
    "response_format",
    "reasoning_effort",
)


def render_assistant(rec: Record) -> Body:
    """Nullable fields come back as null; temperature and top_p default to 1.0."""
    return {
        "id": rec["id"],
        "object": "assistant",
        "created_at": rec["created_at"],
        "name": rec["name"],
        "description": rec["description"],
        "model": rec["model"],
        "instructions": rec["instructions"],
        "tools": rec["tools"],
        "tool_resources": rec["tool_resources"],
        "metadata": rec["metadata"],
        "temperature": 1.0 if rec["temperature"] is None else rec["temperature"],
        "top_p": 1.0 if rec["top_p"] is None else rec["top_p"],
        "response_format": rec["response_format"] or "auto",
        "reasoning_effort": rec["reasoning_effort"],
    }


def _tool_resources(
    store: Store, value: dict[str, Any] | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check what the resources refer to; return them normalised, and any ``vector_stores`` helper."""
    if not value:
        return {}, []
    out: dict[str, Any] = {}
    if "code_interpreter" in value:
        file_ids = list(value["code_interpreter"].get("file_ids", []))
        for i, file_id in enumerate(file_ids):
            if file_id not in store.files:
                raise missing_reference("file", file_id, f"tool_resources.code_interpreter.file_ids[{i}]")
        out["code_interpreter"] = {"file_ids": file_ids}
    helpers: list[dict[str, Any]] = []
    if "file_search" in value:
        file_search = value["file_search"]
        helpers = list(file_search.get("vector_stores", []))
        vs_ids = list(file_search.get("vector_store_ids", []))
        for i, vs_id in enumerate(vs_ids):
            if vs_id not in store.vector_stores:
                raise missing_reference(
                    "vector store", vs_id, f"tool_resources.file_search.vector_store_ids[{i}]"
                )
        out["file_search"] = {"vector_store_ids": vs_ids}
    return out, helpers


def _get(store: Store, assistant_id: str) -> Record:
    rec = store.assistants.get(assistant_id)
    if rec is None:
        raise not_found("assistant", assistant_id)
    return rec


def create(call: Call) -> Body:
    body = check_request("CreateAssistantRequest", call.body)
    with call.store.write() as store:
        tool_resources, helpers = _tool_resources(store, body.get("tool_resources"))
        for i, helper in enumerate(helpers):
            vs = create_vector_store(
                call, store, helper, param=f"tool_resources.file_search.vector_stores[{i}]."
            )
            tool_resources["file_search"] = {"vector_store_ids": [vs.rec["id"]]}
        rec: Record = {"id": new_id("asst_"), "created_at": call.created_at, "seq": store.next_seq()}
        rec.update({name: body.get(name) for name in _PLAIN_FIELDS})
        rec.update(
            tools=body.get("tools", []), metadata=body.get("metadata") or {}, tool_resources=tool_resources
        )
        store.put_assistant(rec)
        return render_assistant(rec)


def retrieve(call: Call) -> Body:
    with call.store.read() as store:
        return render_assistant(_get(store, call.args["assistant_id"]))


def modify(call: Call) -> Body:
    """Omitted fields stay; an explicit null clears; ``tool_resources`` replaces what was there."""
    body = check_request("ModifyAssistantRequest", call.body)
    with call.store.write() as store:
        rec = dict(_get(store, call.args["assistant_id"]))
        if "tool_resources" in body:
            rec["tool_resources"], _ = _tool_resources(store, body["tool_resources"])
        rec.update({name: body[name] for name in _PLAIN_FIELDS if name in body})
        if "metadata" in body:
            rec["metadata"] = body["metadata"] or {}
        store.put_assistant(rec)
        return render_assistant(rec)


def delete(call: Call) -> Body:
    with call.store.write() as store:
        assistant_id = _get(store, call.args["assistant_id"])["id"]
        store.drop_assistant(assistant_id)
    return {"id": assistant_id, "object": "assistant.deleted", "deleted": True}


def list_(call: Call) -> Body:
    params = list_query(call.query)
    with call.store.read() as store:
        return list_page(store.assistant_index, params, lambda id_: render_assistant(store.assistants[id_]))

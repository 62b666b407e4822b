"""``/v1/vector_stores``: create, retrieve, modify, delete, list; and how files get processed.

A file attached to a vector store starts ``in_progress`` and, ``processing_ms`` later, becomes
``completed`` — or ``failed`` with ``last_error`` when it is empty or of a type file search cannot
read. The change is evaluated lazily whenever the vector store is read; ``file_counts``,
``usage_bytes`` and ``status`` are derived from the files, so they always agree.
"""

from __future__ import annotations

import os
from typing import Any

from .common import Body, Call, list_page, list_query, new_id
from .errors import missing_reference, not_found
from .store import Record, Store, VectorStoreState
from .validate import check_request

# OpenAI's file-search formats (https://platform.openai.com/docs/assistants/tools/file-search).
SUPPORTED_EXTENSIONS = frozenset(
    [".c", ".cpp", ".cs", ".css", ".doc", ".docx", ".go", ".html", ".java", ".js", ".json"]
    + [".md", ".pdf", ".php", ".pptx", ".py", ".rb", ".sh", ".tex", ".ts", ".txt"]
)
AUTO_CHUNKING = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
DAY = 24 * 3600


def _outcome(file_rec: Record) -> tuple[str, dict[str, str] | None]:
    extension = os.path.splitext(file_rec["filename"])[1].lower()
    if extension not in SUPPORTED_EXTENSIONS:
        shown = extension or "(none)"
        return "failed", {
            "code": "unsupported_file",
            "message": f"The file type {shown} is not supported for file search.",
        }
    if file_rec["bytes"] == 0:
        return "failed", {"code": "invalid_file", "message": "The file is empty."}
    return "completed", None


def new_vs_file(
    call: Call,
    store: Store,
    vs: VectorStoreState,
    file_id: str,
    *,
    chunking_strategy: dict[str, Any] | None,
    attributes: dict[str, Any] | None,
    batch_id: str | None = None,
) -> Record:
    """A fresh in-progress record for attaching an existing file (not stored yet)."""
    file_rec = store.files[file_id]
    outcome, error = _outcome(file_rec)
    strategy = chunking_strategy or vs.rec.get("chunking_strategy")
    return {
        "id": file_id,
        "vector_store_id": vs.rec["id"],
        "created_at": call.created_at,
        "seq": store.next_seq(),
        "status": "in_progress",
        "ready_at": call.now + call.processing_ms / 1000,
        "outcome": outcome,
        "last_error": error,
        "usage_bytes": file_rec["bytes"],
        "chunking_strategy": strategy if strategy and strategy["type"] == "static" else AUTO_CHUNKING,
        "attributes": {} if attributes is None else attributes,
        "batch_id": batch_id,
    }


def render_vs_file(vf: Record) -> Body:
    return {
        "id": vf["id"],
        "object": "vector_store.file",
        "usage_bytes": vf["usage_bytes"] if vf["status"] == "completed" else 0,
        "created_at": vf["created_at"],
        "vector_store_id": vf["vector_store_id"],
        "status": vf["status"],
        "last_error": vf["last_error"] if vf["status"] == "failed" else None,
        "chunking_strategy": vf["chunking_strategy"],
        "attributes": vf["attributes"],
    }


def file_counts(counts: Any) -> dict[str, int]:
    out = {status: counts[status] for status in ("in_progress", "completed", "failed", "cancelled")}
    out["total"] = sum(out.values())
    return out


def render_vector_store(vs: VectorStoreState, now: float) -> Body:
    """Call after :meth:`VectorStoreState.settle`."""
    rec = vs.rec
    expires_at = (
        rec["last_active_at"] + rec["expires_after"]["days"] * DAY if rec.get("expires_after") else None
    )
    if expires_at is not None and expires_at <= now:
        status = "expired"
    else:
        status = "in_progress" if vs.counts["in_progress"] else "completed"
    out = {
        "id": rec["id"],
        "object": "vector_store",
        "created_at": rec["created_at"],
        "name": rec["name"],
        "usage_bytes": vs.usage_bytes,
        "file_counts": file_counts(vs.counts),
        "status": status,
        "last_active_at": rec["last_active_at"],
        "metadata": rec["metadata"],
        "expires_at": expires_at,
    }
    if rec.get("expires_after"):
        out["expires_after"] = rec["expires_after"]
    if rec.get("description") is not None:
        out["description"] = rec["description"]
    return out


def check_files_exist(store: Store, file_ids: list[str], param: str) -> None:
    for i, file_id in enumerate(file_ids):
        if file_id not in store.files:
            raise missing_reference("file", file_id, f"{param}[{i}]")


def create_vector_store(
    call: Call, store: Store, body: dict[str, Any], *, param: str = ""
) -> VectorStoreState:
    """Create a vector store (inside ``store.write()``), attaching ``body["file_ids"]``.

    Also serves the ``vector_stores`` helper of assistant creation (``param`` prefixes errors).
    """
    file_ids = list(dict.fromkeys(body.get("file_ids", [])))
    check_files_exist(store, file_ids, f"{param}file_ids")
    created_at = call.created_at
    rec: Record = {
        "id": new_id("vs_"),
        "created_at": created_at,
        "seq": store.next_seq(),
        "name": body.get("name") or "",
        "description": body.get("description"),
        "metadata": body.get("metadata") or {},
        "expires_after": body.get("expires_after"),
        "last_active_at": created_at,
        "chunking_strategy": body.get("chunking_strategy"),
    }
    vs = store.put_vector_store(rec)
    for file_id in file_ids:
        vf = new_vs_file(
            call, store, vs, file_id, chunking_strategy=rec["chunking_strategy"], attributes=None
        )
        store.attach(vs, vf)
    return vs


def get_vector_store(store: Store, vector_store_id: str, now: float) -> VectorStoreState:
    """The vector store, its files' statuses brought up to ``now``; 404 when unknown."""
    vs = store.vector_stores.get(vector_store_id)
    if vs is None:
        raise not_found("vector store", vector_store_id)
    vs.settle(now)
    return vs


def create(call: Call) -> Body:
    body = check_request("CreateVectorStoreRequest", call.body)
    with call.store.write() as store:
        return render_vector_store(create_vector_store(call, store, body), call.now)


def retrieve(call: Call) -> Body:
    with call.store.read() as store:
        return render_vector_store(get_vector_store(store, call.args["vector_store_id"], call.now), call.now)


def modify(call: Call) -> Body:
    body = check_request("UpdateVectorStoreRequest", call.body)
    with call.store.write() as store:
        vs = get_vector_store(store, call.args["vector_store_id"], call.now)
        rec = dict(vs.rec)
        if "name" in body:
            rec["name"] = body["name"] or ""
        if "expires_after" in body:
            rec["expires_after"] = body["expires_after"]
        if "metadata" in body:
            rec["metadata"] = body["metadata"] or {}
        store.put_vector_store(rec)
        return render_vector_store(vs, call.now)


def delete(call: Call) -> Body:
    """The files stay; only their attachment to this vector store goes."""
    with call.store.write() as store:
        vs_id = get_vector_store(store, call.args["vector_store_id"], call.now).rec["id"]
        store.drop_vector_store(vs_id)
    return {"id": vs_id, "object": "vector_store.deleted", "deleted": True}


def list_(call: Call) -> Body:
    params = list_query(call.query)

    def render(vs_id: str) -> Body:
        return render_vector_store(get_vector_store(store, vs_id, call.now), call.now)

    with call.store.read() as store:
        return list_page(store.vector_store_index, params, render)

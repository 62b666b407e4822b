"""``/v1/vector_stores/{id}/files`` and ``/file_batches``.

Attaching a file that is already in the vector store re-attaches it: the record is replaced
and processed again. A batch owns the files it attached last; its ``status`` and
``file_counts`` are derived from them, and cancelling it cancels those still in progress.
"""

from __future__ import annotations

from typing import Any

from .common import Body, Call, enum_param, list_page, list_query, new_id
from .errors import missing_reference, not_found
from .ordered import OrderedIndex
from .store import Record, Store, VectorStoreState
from .validate import check_request
from .vector_stores import check_files_exist, file_counts, get_vector_store, new_vs_file, render_vs_file

_STATUS_FILTER = ("in_progress", "completed", "failed", "cancelled")


def _vector_store(call: Call, store: Store) -> VectorStoreState:
    return get_vector_store(store, call.args["vector_store_id"], call.now)


def _attached(vs: VectorStoreState, file_id: str) -> Record:
    vf = vs.files.get(file_id)
    if vf is None:
        raise not_found("vector store file", file_id)
    return vf


def _files_page(call: Call, vs: VectorStoreState, index: OrderedIndex) -> Body:
    params = list_query(call.query)
    status = enum_param(call.query, "filter", _STATUS_FILTER, None)
    keep = (lambda id_: vs.files[id_]["status"] == status) if status else None
    return list_page(index, params, lambda id_: render_vs_file(vs.files[id_]), keep)


# --- files -------------------------------------------------------------------------------------


def create(call: Call) -> Body:
    body = check_request("CreateVectorStoreFileRequest", call.body)
    with call.store.write() as store:
        vs = _vector_store(call, store)
        if body["file_id"] not in store.files:
            raise missing_reference("file", body["file_id"], "file_id")
        vf = new_vs_file(
            call,
            store,
            vs,
            body["file_id"],
            chunking_strategy=body.get("chunking_strategy"),
            attributes=body.get("attributes"),
        )
        store.attach(vs, vf)
        return render_vs_file(vf)


def retrieve(call: Call) -> Body:
    with call.store.read() as store:
        return render_vs_file(_attached(_vector_store(call, store), call.args["file_id"]))


def update(call: Call) -> Body:
    body = check_request("UpdateVectorStoreFileAttributesRequest", call.body)
    with call.store.write() as store:
        vs = _vector_store(call, store)
        vf = {**_attached(vs, call.args["file_id"]), "attributes": body["attributes"]}
        store.replace_vs_file(vs, vf)
        return render_vs_file(vf)


def delete(call: Call) -> Body:
    """Detach only: the file itself stays."""
    with call.store.write() as store:
        vs = _vector_store(call, store)
        file_id = _attached(vs, call.args["file_id"])["id"]
        store.detach(vs, file_id)
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


def list_(call: Call) -> Body:
    with call.store.read() as store:
        vs = _vector_store(call, store)
        return _files_page(call, vs, vs.index)


# --- batches -----------------------------------------------------------------------------------


def render_batch(vs: VectorStoreState, rec: Record) -> Body:
    counts = dict.fromkeys(_STATUS_FILTER, 0)
    for file_id in vs.batch_files.get(rec["id"], ()):
        counts[vs.files[file_id]["status"]] += 1
    if counts["in_progress"]:
        status = "in_progress"
    elif rec["cancelled"]:
        status = "cancelled"
    elif counts["failed"] and counts["failed"] == sum(counts.values()):
        status = "failed"
    else:
        status = "completed"
    return {
        "id": rec["id"],
        "object": "vector_store.files_batch",
        "created_at": rec["created_at"],
        "vector_store_id": rec["vector_store_id"],
        "status": status,
        "file_counts": file_counts(counts),
    }


def _batch(vs: VectorStoreState, batch_id: str) -> Record:
    rec = vs.batches.get(batch_id)
    if rec is None:
        raise not_found("vector store file batch", batch_id)
    return rec


def _batch_items(store: Store, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """file id -> its attributes and chunking strategy (``files`` items carry their own)."""
    if "file_ids" in body:
        check_files_exist(store, body["file_ids"], "file_ids")
        shared = {"attributes": body.get("attributes"), "chunking_strategy": body.get("chunking_strategy")}
        return {file_id: shared for file_id in body["file_ids"]}
    items: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(body["files"]):
        if item["file_id"] not in store.files:
            raise missing_reference("file", item["file_id"], f"files[{i}].file_id")
        items[item["file_id"]] = {
            "attributes": item.get("attributes"),
            "chunking_strategy": item.get("chunking_strategy"),
        }
    return items


def create_batch(call: Call) -> Body:
    body = check_request("CreateVectorStoreFileBatchRequest", call.body)
    with call.store.write() as store:
        vs = _vector_store(call, store)
        items = _batch_items(store, body)
        rec: Record = {
            "id": new_id("vsfb_"),
            "created_at": call.created_at,
            "seq": store.next_seq(),
            "vector_store_id": vs.rec["id"],
            "cancelled": False,
        }
        store.put_batch(vs, rec)
        for file_id, item in items.items():
            store.attach(vs, new_vs_file(call, store, vs, file_id, batch_id=rec["id"], **item))
        return render_batch(vs, rec)


def retrieve_batch(call: Call) -> Body:
    with call.store.read() as store:
        vs = _vector_store(call, store)
        return render_batch(vs, _batch(vs, call.args["batch_id"]))


def cancel_batch(call: Call) -> Body:
    """Cancel the batch's files still in progress; a finished batch is returned unchanged."""
    with call.store.write() as store:
        vs = _vector_store(call, store)
        rec = _batch(vs, call.args["batch_id"])
        running = [
            vs.files[f] for f in vs.batch_files.get(rec["id"], ()) if vs.files[f]["status"] == "in_progress"
        ]
        if running:
            for vf in running:
                store.set_vs_file_status(vs, vf, "cancelled")
            rec = {**rec, "cancelled": True}
            store.put_batch(vs, rec)
        return render_batch(vs, rec)


def list_batch_files(call: Call) -> Body:
    with call.store.read() as store:
        vs = _vector_store(call, store)
        rec = _batch(vs, call.args["batch_id"])
        return _files_page(call, vs, vs.batch_files.get(rec["id"]) or OrderedIndex())

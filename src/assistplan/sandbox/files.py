"""``/v1/files``: upload (multipart), retrieve, list, delete, content."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .common import Body, Call, list_page, list_query, new_id
from .errors import invalid, not_found
from .store import Record, Store
from .validate import validate_schema

MAX_FILE_BYTES = 512 * 1024 * 1024
BATCH_EXPIRY_SECONDS = 30 * 24 * 3600
NOT_DOWNLOADABLE = frozenset({"assistants"})  # GET /files/{id}/content answers 400 for these
_BRACKETED = re.compile(r"^(\w+)\[(\w+)\]$")


def render_file(rec: Record) -> Body:
    out = {
        "id": rec["id"],
        "object": "file",
        "bytes": rec["bytes"],
        "created_at": rec["created_at"],
        "filename": rec["filename"],
        "purpose": rec["purpose"],
        "status": "processed",
    }
    if rec.get("expires_at") is not None:
        out["expires_at"] = rec["expires_at"]
    return out


def form_body(call: Call) -> dict[str, Any]:
    """The multipart fields as the JSON shape of ``CreateFileRequest`` (``a[b]`` -> ``{a: {b}}``)."""
    body: dict[str, Any] = {}
    for name, value in call.request.form.items(multi=False):
        nested = _BRACKETED.match(name)
        if nested:
            outer, inner = nested.groups()
            parsed: Any = int(value) if inner == "seconds" and value.strip().lstrip("-").isdigit() else value
            body.setdefault(outer, {})[inner] = parsed
        else:
            body[name] = value
    for name in call.request.files:
        body[name] = "<binary>"
    return body


def upload_size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def spooled_content(store: Store, upload: FileStorage) -> bytes | Path:
    """The spooled upload: its path when it was spooled into the store's blob dir, else its bytes."""
    stream = upload.stream
    name = getattr(stream, "name", None)
    if store.upload_dir is not None and isinstance(name, str) and Path(name).parent == store.upload_dir:
        stream.flush()
        return Path(name)
    return stream.read()


def create(call: Call) -> Body:
    body = form_body(call)
    validate_schema("CreateFileRequest", body)
    upload = call.request.files["file"]
    size = upload_size(upload)
    if size > MAX_FILE_BYTES:
        raise invalid(
            f"File is too large: {size} bytes. The maximum file size is {MAX_FILE_BYTES} bytes (512 MB).",
            param="file",
            code="file_too_large",
        )
    created_at = call.created_at
    expires_after = body.get("expires_after")
    if expires_after:
        expires_at: int | None = created_at + expires_after["seconds"]
    elif body["purpose"] == "batch":
        expires_at = created_at + BATCH_EXPIRY_SECONDS
    else:
        expires_at = None
    content = spooled_content(call.store, upload)
    with call.store.write() as store:
        rec: Record = {
            "id": new_id("file-", 22),
            "created_at": created_at,
            "seq": store.next_seq(),
            "bytes": size,
            "filename": os.path.basename(upload.filename or "") or "upload",
            "purpose": body["purpose"],
            "expires_at": expires_at,
        }
        store.put_file(rec, content)
    return render_file(rec)


def _get(store: Store, file_id: str) -> Record:
    rec = store.files.get(file_id)
    if rec is None:
        raise not_found("file", file_id)
    return rec


def retrieve(call: Call) -> Body:
    with call.store.read() as store:
        return render_file(_get(store, call.args["file_id"]))


def delete(call: Call) -> Body:
    """Deleting a file also detaches it from every vector store."""
    with call.store.write() as store:
        file_id = _get(store, call.args["file_id"])["id"]
        store.drop_file(file_id)
    return {"id": file_id, "object": "file", "deleted": True}


def list_(call: Call) -> Body:
    params = list_query(call.query, max_limit=10_000, default_limit=10_000, before=False)
    purpose = call.query.get("purpose") or None
    with call.store.read() as store:
        keep = (lambda id_: store.files[id_]["purpose"] == purpose) if purpose else None
        return list_page(store.file_index, params, lambda id_: render_file(store.files[id_]), keep)


def content(call: Call) -> Response:
    """The raw bytes (the spec's ``application/json`` string is a quirk; see CONTRACT.md).

    OpenAI refuses to hand back what was uploaded for assistants; so does the sandbox.
    """
    with call.store.read() as store:
        rec = _get(store, call.args["file_id"])
        if rec["purpose"] in NOT_DOWNLOADABLE:
            raise invalid(f"Not allowed to download files of purpose: {rec['purpose']}")
        data = store.content(rec["id"])
        stream = data if isinstance(data, bytes) else data.open("rb")
    headers = {"Content-Length": str(rec["bytes"])}
    if isinstance(stream, bytes):
        return Response(stream, mimetype="application/octet-stream", headers=headers)
    return Response(
        wrap_file(call.request.environ, stream),
        mimetype="application/octet-stream",
        headers=headers,
        direct_passthrough=True,
    )

"""``/v1/uploads``: create an Upload, add Parts, complete it into a File, or cancel it.

An Upload exists (with its id) before any byte is sent; it accepts Parts (at most 64 MB each)
while ``pending``, expires an hour after it was made, and becomes a File only on ``complete``,
when the Parts named add up to the bytes announced (and match the md5, when one is given).

The spec does not say what a second ``complete`` or a ``cancel`` of a finished Upload answers,
and there is no ``GET /uploads/{id}``. What this sandbox does, and why:

- ``complete`` of a completed Upload with the same ``part_ids`` answers the completed Upload
  again, its File included. The SDK retries ``complete`` by itself after a timeout, a dropped
  connection or a 5xx, so a lost answer is followed by exactly this request: an API that
  answered it with an error would turn every such blip into a failure. Other ``part_ids``: 400.
- ``cancel`` of a cancelled Upload answers it again (cancelling twice changes nothing); of a
  completed or expired one: 400 "Cannot cancel upload with status '...'.", worded like OpenAI's
  answer to cancelling a finished run.
- Parts and ``complete`` on an Upload that is not pending: 400, in the same words.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from .common import Body, Call, new_id
from .errors import ApiError, invalid
from .files import BATCH_EXPIRY_SECONDS, form_body, render_file, spooled_content, upload_size
from .store import Record, Store
from .validate import check_request, validate_schema

MAX_UPLOAD_BYTES = 8 * 1024**3  # "an Upload can accept at most 8 GB in total"
MAX_PART_BYTES = 64 * 1024**2  # "Each Part can be at most 64 MB"
UPLOAD_TTL_SECONDS = 3600  # "expires after an hour after you create it"
_COPY_CHUNK = 1 << 20


def status_of(rec: Record, now: float) -> str:
    """A pending Upload past its expiry is expired (decided when read; nothing needs to run)."""
    if rec["status"] == "pending" and now >= rec["expires_at"]:
        return "expired"
    return str(rec["status"])


def render_upload(rec: Record, now: float) -> Body:
    out = {
        "id": rec["id"],
        "object": "upload",
        "bytes": rec["bytes"],
        "created_at": rec["created_at"],
        "filename": rec["filename"],
        "purpose": rec["purpose"],
        "status": status_of(rec, now),
        "expires_at": rec["expires_at"],
    }
    if rec.get("file") is not None:
        out["file"] = rec["file"]  # the File as it was made: the Upload keeps its own copy
    return out


def _upload(store: Store, upload_id: str) -> Record:
    rec = store.uploads.get(upload_id)
    if rec is None:
        raise ApiError(404, f"No upload found with id '{upload_id}'.")
    return rec


def _not_pending(action: str, status: str) -> ApiError:
    return invalid(f"Cannot {action} upload with status '{status}'.")


def create(call: Call) -> Body:
    body = check_request("CreateUploadRequest", call.body)
    size = body["bytes"]
    if size < 0:
        raise invalid(
            f"Invalid 'bytes': integer below minimum value. Expected a value >= 0, but got {size} instead.",
            param="bytes",
            code="integer_below_min_value",
        )
    if size > MAX_UPLOAD_BYTES:
        raise invalid(
            f"Upload is too large: {size} bytes. An upload can hold at most {MAX_UPLOAD_BYTES} bytes (8 GB).",
            param="bytes",
            code="upload_too_large",
        )
    with call.store.write() as store:
        rec: Record = {
            "id": new_id("upload_", 24),
            "created_at": call.created_at,
            "seq": store.next_seq(),
            "bytes": size,
            "filename": os.path.basename(body["filename"]) or "upload",
            "purpose": body["purpose"],
            "mime_type": body["mime_type"],
            "expires_after": body.get("expires_after"),
            "status": "pending",
            "expires_at": call.created_at + UPLOAD_TTL_SECONDS,
        }
        store.put_upload(rec)
    return render_upload(rec, call.now)


def add_part(call: Call) -> Body:
    validate_schema("AddUploadPartRequest", form_body(call))
    data = call.request.files["data"]
    size = upload_size(data)
    if size > MAX_PART_BYTES:
        raise invalid(
            f"Part is too large: {size} bytes. A part can hold at most {MAX_PART_BYTES} bytes (64 MB).",
            param="data",
            code="part_too_large",
        )
    content = spooled_content(call.store, data)
    with call.store.write() as store:
        upload = _upload(store, call.args["upload_id"])
        status = status_of(upload, call.now)
        if status != "pending":
            raise _not_pending("add parts to", status)
        rec: Record = {
            "id": new_id("part_", 24),
            "object": "upload.part",
            "created_at": call.created_at,
            "upload_id": upload["id"],
            "seq": store.next_seq(),
            "bytes": size,
        }
        store.put_part(rec, content)
    return {k: rec[k] for k in ("id", "object", "created_at", "upload_id")}


def _check_parts(store: Store, upload: Record, part_ids: list[str]) -> list[Record]:
    parts = store.parts.get(upload["id"], {})
    chosen: list[Record] = []
    for i, part_id in enumerate(part_ids):
        if part_id not in parts:
            raise invalid(
                f"Invalid 'part_ids[{i}]': no part with id '{part_id}' was added to this upload.",
                param=f"part_ids[{i}]",
                code="invalid_value",
            )
        if part_id in part_ids[:i]:
            raise invalid(
                f"Invalid 'part_ids[{i}]': part '{part_id}' is listed more than once.",
                param=f"part_ids[{i}]",
                code="invalid_value",
            )
        chosen.append(parts[part_id])
    total = sum(p["bytes"] for p in chosen)
    if total != upload["bytes"]:
        raise invalid(
            f"The parts add up to {total} bytes, but the upload was created for {upload['bytes']} bytes.",
            param="part_ids",
        )
    return chosen


def _assemble(store: Store, parts: list[Record]) -> tuple[bytes | Path, str]:
    """The parts' bytes in order (a file in the blob dir, copied a chunk at a time) and their md5."""
    md5 = hashlib.md5(usedforsecurity=False)
    if store.upload_dir is None:
        data = b"".join(_bytes(store.content(p["id"])) for p in parts)
        md5.update(data)
        return data, md5.hexdigest()
    linked = _linked(store.content(parts[0]["id"]), store.upload_dir) if len(parts) == 1 else None
    if linked is not None:
        with linked.open("rb") as src:
            while chunk := src.read(_COPY_CHUNK):
                md5.update(chunk)
        return linked, md5.hexdigest()
    out = tempfile.NamedTemporaryFile("wb", dir=store.upload_dir, prefix="tmp-", delete=False)
    with out:
        for part in parts:
            with _open(store.content(part["id"])) as src:
                while chunk := src.read(_COPY_CHUNK):
                    md5.update(chunk)
                    out.write(chunk)
    return Path(out.name), md5.hexdigest()


def _linked(part: bytes | Path, upload_dir: Path) -> Path | None:
    """A one-part upload's bytes under a new name by a hard link (a part is never written again,
    and its own name stays until the upload commits): no copy, and no file to create, which is
    most of an upload's cost. None where the file system has no hard links."""
    if not isinstance(part, Path):
        return None
    linked = upload_dir / f"tmp-{secrets.token_hex(12)}"
    try:
        os.link(part, linked)
    except OSError:
        return None
    return linked


def _open(content: bytes | Path) -> BinaryIO:
    return content.open("rb") if isinstance(content, Path) else io.BytesIO(content)


def _bytes(content: bytes | Path) -> bytes:
    return content if isinstance(content, bytes) else content.read_bytes()


def _discard(content: bytes | Path) -> None:
    if isinstance(content, Path):
        content.unlink(missing_ok=True)


def _finished(upload: Record, body: dict[str, Any], now: float) -> Body:
    """The answer for an Upload that is no longer pending (see the module docstring)."""
    status = status_of(upload, now)
    if status == "completed" and body["part_ids"] == upload["part_ids"]:
        return render_upload(upload, now)
    if status == "completed":
        raise invalid(f"Upload {upload['id']} is already completed, with other parts.", param="part_ids")
    raise _not_pending("complete", status)


def complete(call: Call) -> Body:
    body = check_request("CompleteUploadRequest", call.body)
    with call.store.read() as store:
        upload = _upload(store, call.args["upload_id"])
        if status_of(upload, call.now) != "pending":
            return _finished(upload, body, call.now)
        parts = _check_parts(store, upload, list(body["part_ids"]))
    # Joining up to 8 GB takes a while: outside the store's lock, checked again before committing.
    content, md5 = _assemble(call.store, parts)
    try:
        if body.get("md5") is not None and body["md5"].lower() != md5:
            raise invalid(
                f"The md5 checksum given ({body['md5']}) does not match the uploaded bytes ({md5}).",
                param="md5",
            )
        with call.store.write() as store:
            upload = _upload(store, upload["id"])
            if status_of(upload, call.now) != "pending":
                _discard(content)
                return _finished(upload, body, call.now)
            _check_parts(store, upload, list(body["part_ids"]))
            expires_after = upload.get("expires_after")
            if expires_after:
                expires_at: int | None = call.created_at + expires_after["seconds"]
            elif upload["purpose"] == "batch":
                expires_at = call.created_at + BATCH_EXPIRY_SECONDS
            else:
                expires_at = None
            file_rec: Record = {
                "id": new_id("file-", 22),
                "created_at": call.created_at,
                "seq": store.next_seq(),
                "bytes": upload["bytes"],
                "filename": upload["filename"],
                "purpose": upload["purpose"],
                "expires_at": expires_at,
            }
            store.put_file(file_rec, content)
            upload = {
                **upload,
                "status": "completed",
                "part_ids": list(body["part_ids"]),
                "file": render_file(file_rec),
            }
            store.put_upload(upload)
            store.drop_parts(upload["id"])
    except BaseException:
        _discard(content)
        raise
    return render_upload(upload, call.now)


def cancel(call: Call) -> Body:
    with call.store.write() as store:
        upload = _upload(store, call.args["upload_id"])
        status = status_of(upload, call.now)
        if status == "pending":
            upload = {**upload, "status": "cancelled"}
            store.put_upload(upload)
            store.drop_parts(upload["id"])
        elif status != "cancelled":
            raise _not_pending("cancel", status)
    return render_upload(upload, call.now)

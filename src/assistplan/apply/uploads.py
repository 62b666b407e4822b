"""Interrupted uploads: what a recorded upload id proves, and what it does not.

Files go up through the Uploads API (`Remote.upload_file`). Apply writes down in the address's
intent (the `pending` extra in state), each time durably before the next request goes out:

1. `{since, filename, bytes, sha256, purpose, upload: null}`, before `POST /uploads`;
2. `upload: {id, created_at, expires_at}`, before the first byte of the file;
3. `completing: {part_ids, md5}`, before `POST /uploads/{id}/complete` (and only once the bytes
   sent hash to the intent's sha256).

A File comes only from a completed Upload, and only this state knows its upload id. So before
uploading a file again, apply settles the intent an interrupted apply left (`settle`):

- no upload id: nothing of the file was sent and no File can exist (an Upload made before the
  kill holds no byte and expires within the hour);
- an upload id but no parts list: `complete` was never sent. The Upload is cancelled (it can
  never become a File) and the file is uploaded again;
- a parts list: `complete` may have run. Apply asks again, `complete` with the same parts, then
  `cancel`. An answer that is our Upload, completed, names our File: that one is kept. A
  cancelled (or expired) Upload never made one: upload again.
- when neither answer says (the API does not promise what either answers for a completed
  Upload, and has no `GET /uploads/{id}`), nothing proves which File is ours. The Files that
  could be (same name, size and purpose, created no earlier than the Upload) are named to the
  user with `assistplan import` and `assistplan state rm` to settle it, and nothing is adopted
  or deleted. With no such File, none of ours exists: upload again.

No File is ever taken for its name, size or creation time: a look-alike uploaded by anyone
else, even within the same second, is never adopted. Intents written by older versions (which
uploaded with `POST /files` and kept no upload id) can only be settled by that last rule.
"""

from __future__ import annotations

from typing import Any

from assistplan.errors import ApplyError, Command, command
from assistplan.remote.api import Remote

CLOCK_SKEW = 300.0  # seconds: how much earlier than an old intent's `since` a server may date a file
SETTLED = ("cancelled", "expired")  # an Upload with this status never made a File


class UnprovenUpload(ApplyError):
    """A File may have come from the interrupted upload, and the API does not say which."""


def settle(
    remote: Remote, intent: dict[str, Any], address: str, known: set[str], *, declared: bool = True
) -> dict[str, Any] | None:
    """The File the interrupted upload of `intent` made, if the API proves one and it still
    exists; None when no File of ours can exist. UnprovenUpload when one may, unproven.

    `known`: remote ids state already accounts for (never candidates). `declared`: the config
    still declares `address` (else it is leaving, and what the upload made goes with it).
    """
    if "upload" not in intent:  # written by an older version: no upload id to ask about
        since = intent.get("since", 0) - CLOCK_SKEW
        _unless_candidates(remote, intent, address, known, None, since, declared)
        return None
    upload = intent.get("upload")
    if not upload:
        return None
    upload_id = str(upload["id"])
    completing = intent.get("completing")
    if completing is None:  # `complete` was never sent: cancelled, it can never make a File
        answer, _ = remote.upload_answer(upload_id, "cancel", None, address)
        made = _our_file(answer, upload_id)
        return _still_there(remote, made, address) if made is not None else None
    for action, body in (("complete", _complete_body(completing)), ("cancel", None)):
        answer, _ = remote.upload_answer(upload_id, action, body, address)
        made = _our_file(answer, upload_id)
        if made is not None:
            return _still_there(remote, made, address)
        if _status(answer, upload_id) in SETTLED:
            return None  # it was still pending: `complete` never took effect
    _unless_candidates(remote, intent, address, known, upload_id, upload.get("created_at", 0), declared)
    return None


def _complete_body(completing: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"part_ids": list(completing.get("part_ids") or [])}
    if completing.get("md5"):
        body["md5"] = completing["md5"]
    return body


def _status(answer: dict[str, Any] | None, upload_id: str) -> str | None:
    """The status of our Upload, when the answer is our Upload; None for any other answer."""
    if answer is None or answer.get("id") != upload_id or answer.get("object", "upload") != "upload":
        return None
    return str(answer.get("status"))


def _our_file(answer: dict[str, Any] | None, upload_id: str) -> dict[str, Any] | None:
    """The File in an answer that is our Upload, completed; None for any other answer."""
    if answer is None or _status(answer, upload_id) != "completed":
        return None
    made = answer.get("file")
    return made if isinstance(made, dict) and isinstance(made.get("id"), str) and made["id"] else None


def _still_there(remote: Remote, made: dict[str, Any], address: str) -> dict[str, Any] | None:
    """Our File as it is now; None if it was deleted since (then nothing of ours is left)."""
    return remote.get("file", str(made["id"]), address)


def _unless_candidates(
    remote: Remote,
    intent: dict[str, Any],
    address: str,
    known: set[str],
    upload_id: str | None,
    since: float,
    declared: bool,
) -> None:
    """Raise UnprovenUpload naming the Files that could be the upload's; return if there are none."""
    candidates = [
        f["id"]
        for page in remote.pages("files", purpose=intent.get("purpose"))
        for f in page
        if f["id"] not in known
        and f.get("filename") == intent.get("filename")
        and f.get("bytes") == intent.get("bytes")
        and f.get("purpose") == intent.get("purpose")
        and f.get("created_at", 0) >= since
    ]
    if not candidates:
        return  # had the upload made a File, it would be among these: none of ours exists
    which = f"upload {upload_id}" if upload_id else "its upload (by an older assistplan, which kept no id)"
    shown = ", ".join(sorted(candidates))
    one = len(candidates) == 1
    todo: tuple[str | Command, ...] = (
        ("If one is this file, run `", command("import", address, "FILE_ID"), "`; if none is, run `")
        if declared
        else ("If one is this file, delete it yourself; then run `",)
    )
    again = " and apply again to upload it afresh." if declared else " and apply again."
    raise UnprovenUpload(
        f"{address}: an interrupted apply may have completed {which}, and the API does not say which "
        f"file that made, so assistplan will not guess. {shown} {'has' if one else 'have'} this file's "
        f"name, size and purpose and {'was' if one else 'were'} created after the upload began, but "
        "anyone may have uploaded them (the API does not let their content be read back). ",
        *todo,
        command("state", "rm", address),
        f"`{again} Nothing was adopted or deleted.",
    )

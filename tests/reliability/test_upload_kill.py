"""An apply killed (SIGKILL) while it uploads, with someone else's look-alike file on the account:
the next apply never adopts the look-alike, and exactly one file of ours remains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistplan.sandbox import open_store
from assistplan.state import LocalBackend
from tests.reliability import harness as h

GUIDE = "# Guide\nEverything a new colleague needs to know.\n" * 20
CONFIG = """version: 1
files:
  guide: {path: docs/guide.md}
vector_stores:
  docs: {name: Docs, files: [guide]}
"""


def _intent(root: Path) -> dict[str, Any] | None:
    """The intent as saved (in the journal, after a kill: the document comes at the end of a run)."""
    state = LocalBackend(root / ".assistplan" / "state.json").read()
    rs = state.get("file.guide") if state else None
    return rs.extra.get("pending") if rs else None


def kill_once_uploading(root: Path, gate: h.Gate, url: str) -> dict[str, Any]:
    """Start an apply, hold it at its second write (the first part of the upload, after the
    upload was created) and SIGKILL it there: state holds the upload id (or, for an apply that
    records none, the intent to upload), and no file exists yet."""
    gate.stop_at(2)
    h.kill_held_apply(root, gate, url, "the apply never started uploading")  # mid-upload, not after
    intent = _intent(root)
    assert intent is not None and (intent.get("upload") or "upload" not in intent), intent
    return intent


def test_a_kill_during_an_upload_never_adopts_a_look_alike(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(GUIDE)
    (tmp_path / "assistants.yaml").write_text(CONFIG)
    with h.gated_sandbox(tmp_path) as (gate, url):
        intent = kill_once_uploading(tmp_path, gate, url)
        converge_next_to_a_look_alike(tmp_path, intent, url)


def converge_next_to_a_look_alike(tmp_path: Path, intent: dict[str, Any], url: str) -> None:
    sdk = h.sdk(tmp_path)
    assert [f.id for f in sdk.files.list()] == []  # the kill came before any file was made
    other = bytes(reversed(GUIDE.encode()))  # same name, size and purpose; other bytes
    look_alike = sdk.files.create(file=("guide.md", other), purpose="assistants").id

    h.force_unlock_if_locked(tmp_path, url)
    again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
    assert again.returncode == 0, again.stdout + again.stderr

    state = h.state(tmp_path)["resources"]
    ours = state["file.guide"]["remote_id"]
    assert ours != look_alike
    assert {f.id for f in sdk.files.list()} == {ours, look_alike}  # exactly one file of ours
    (store,) = sdk.vector_stores.list().data
    assert [f.id for f in sdk.vector_stores.files.list(store.id)] == [ours]
    uploads = open_store(tmp_path / ".assistplan" / "sandbox").uploads
    if intent.get("upload"):  # the interrupted upload can never become a file now
        assert uploads[intent["upload"]["id"]]["status"] == "cancelled"
    assert [u["status"] for u in uploads.values()].count("completed") == 1
    assert h.run(tmp_path, "plan", "--detailed-exitcode", base_url=url).returncode == 0

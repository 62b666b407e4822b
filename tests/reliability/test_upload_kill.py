"""An apply killed (SIGKILL) while it uploads, with someone else's look-alike file on the account:
the next apply never adopts the look-alike, and exactly one file of ours remains."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from assistplan.sandbox import open_store
from tests.reliability import harness as h

GUIDE = "# Guide\nEverything a new colleague needs to know.\n" * 20
CONFIG = """version: 1
files:
  guide: {path: docs/guide.md}
vector_stores:
  docs: {name: Docs, files: [guide]}
"""


def _intent(root: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((root / ".assistplan" / "state.json").read_text())
    except (OSError, ValueError):
        return None  # not written yet, or being replaced right now
    rs = state.get("resources", {}).get("file.guide")
    return rs["extra"].get("pending") if rs else None


def kill_once_uploading(root: Path, timeout: float = 60) -> dict[str, Any]:
    """Start an apply (every request slowed down) and SIGKILL it as soon as its upload has begun:
    state holds the upload id (or, for an apply that records none, the intent to upload)."""
    proc = h.start(root, "apply", "--auto-approve", environ=h.env(ASSISTPLAN_SANDBOX_LATENCY_MS="400"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        intent = _intent(root)
        if intent is not None and (intent.get("upload") or "upload" not in intent):
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            assert proc.returncode == -signal.SIGKILL  # killed mid-upload, not after it finished
            return intent
        time.sleep(0.002)
    proc.kill()
    raise AssertionError(f"the apply never started uploading: {proc.communicate()}")


def test_a_kill_during_an_upload_never_adopts_a_look_alike(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text(GUIDE)
    (tmp_path / "assistants.yaml").write_text(CONFIG)
    intent = kill_once_uploading(tmp_path)
    sdk = h.sdk(tmp_path)
    assert [f.id for f in sdk.files.list()] == []  # the kill came before any file was made
    other = bytes(reversed(GUIDE.encode()))  # same name, size and purpose; other bytes
    look_alike = sdk.files.create(file=("guide.md", other), purpose="assistants").id

    h.force_unlock_if_locked(tmp_path)
    again = h.run(tmp_path, "apply", "--auto-approve")
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
    assert h.run(tmp_path, "plan", "--detailed-exitcode").returncode == 0

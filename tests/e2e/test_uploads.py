"""Interrupted uploads are settled by the upload id apply recorded, never by a look-alike.

A look-alike is a file someone else uploaded with the same name, size and purpose (other bytes):
nothing the API shows tells it apart from ours, so it must never be adopted. The answer of
`complete` is dropped by the sandbox's fault (the server made the file, the client never heard).
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest
from werkzeug.wrappers import Request, Response

from assistplan.sandbox import SANDBOX_BASE_URL, Faults, http_client, make_app, open_store
from assistplan.sandbox.uploads import render_upload
from tests.e2e.conftest import Project, changes
from tests.sandbox.helpers import loopback_app

COMPLETE = "POST /v1/uploads/{upload_id}/complete"
GUIDE = "# Guide\nEverything a new colleague needs to know.\n"


def project(root: Path, files: dict[str, str]) -> Project:
    """A config of files only: name -> content, each at docs/<name>/guide.md (the same filename)."""
    lines = ["version: 1", "files:"]
    for name, content in files.items():
        path = root / "docs" / name / "guide.md"
        path.parent.mkdir(parents=True)
        path.write_text(content)
        lines.append(f"  {name}: {{path: docs/{name}/guide.md}}")
    (root / "assistants.yaml").write_text("\n".join(lines) + "\n")
    return Project(root)


def look_alike(sdk: openai.OpenAI, content: str) -> str:
    """Someone else's upload: the same name, size and purpose, other bytes."""
    other = bytes(reversed(content.encode()))
    assert len(other) == len(content.encode()) and other != content.encode()
    return sdk.files.create(file=("guide.md", other), purpose="assistants").id


def named(sdk: openai.OpenAI, filename: str = "guide.md") -> set[str]:
    return {f.id for f in sdk.files.list() if f.filename == filename}


def interrupted_apply(p: Project, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """An apply whose every `complete` is carried out but never answered: it fails."""
    with monkeypatch.context() as env:
        env.setenv("ASSISTPLAN_SANDBOX_DROP_RESPONSES", COMPLETE)
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        r = p.run(*args, "apply", "--auto-approve")
    assert r.code == 1 and "cannot reach" in r.err, r.err


def made_by_upload(root: Path, address_state: dict[str, Any]) -> str:
    """The file the sandbox made for the upload this address's intent recorded."""
    upload_id = address_state["extra"]["pending"]["upload"]["id"]
    made = open_store(root / ".assistplan" / "sandbox").uploads[upload_id]
    assert made["status"] == "completed"
    return str(made["file"]["id"])


def test_a_dropped_complete_keeps_our_file_and_never_the_look_alike(tmp_path: Path, monkeypatch) -> None:
    p = project(tmp_path, {"guide": GUIDE})
    interrupted_apply(p, monkeypatch)
    ours = made_by_upload(tmp_path, p.state()["resources"]["file.guide"])
    other = look_alike(p.sdk(), GUIDE)  # after our upload began: its time cannot tell them apart
    assert "file.guide" in changes(p.plan_json())
    r = p.ok("apply", "--auto-approve")
    assert f"kept {ours}, made by the upload an interrupted apply began" in r.out
    assert p.ids() == {"file.guide": ours}
    assert named(p.sdk()) == {ours, other}  # exactly one file of ours; the look-alike untouched
    assert "pending" not in p.state()["resources"]["file.guide"]["extra"]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_two_addresses_with_identical_files_each_keep_their_own(tmp_path: Path, monkeypatch) -> None:
    p = project(tmp_path, {"one": GUIDE, "two": GUIDE})
    interrupted_apply(p, monkeypatch)
    resources = p.state()["resources"]
    mine = {a: made_by_upload(tmp_path, resources[a]) for a in ("file.one", "file.two")}
    assert len(set(mine.values())) == 2
    p.ok("apply", "--auto-approve")
    assert p.ids() == mine
    assert named(p.sdk()) == set(mine.values())
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_our_file_with_bytes_no_longer_wanted_is_deleted_and_the_file_uploaded_again(
    tmp_path: Path, monkeypatch
) -> None:
    p = project(tmp_path, {"guide": GUIDE})
    interrupted_apply(p, monkeypatch)
    stale = made_by_upload(tmp_path, p.state()["resources"]["file.guide"])
    newer = GUIDE.replace("colleague", "teammate")
    (tmp_path / "docs" / "guide" / "guide.md").write_text(newer)
    r = p.ok("apply", "--auto-approve")
    assert f"deleted {stale}, an interrupted upload of older content" in r.out
    (fresh,) = named(p.sdk())
    assert fresh != stale and p.ids() == {"file.guide": fresh}
    blob = tmp_path / ".assistplan" / "sandbox" / "blobs" / fresh
    assert blob.read_text() == newer


def test_an_upload_cut_before_complete_is_cancelled_and_uploaded_again(tmp_path: Path, monkeypatch) -> None:
    p = project(tmp_path, {"guide": GUIDE})
    with monkeypatch.context() as env:  # every part's answer is lost: complete is never sent
        env.setenv("ASSISTPLAN_SANDBOX_DROP_RESPONSES", "POST /v1/uploads/{upload_id}/parts")
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        assert p.run("apply", "--auto-approve").code == 1
    pending = p.state()["resources"]["file.guide"]["extra"]["pending"]
    assert "completing" not in pending
    other = look_alike(p.sdk(), GUIDE)
    p.ok("apply", "--auto-approve")
    store = open_store(tmp_path / ".assistplan" / "sandbox")
    assert store.uploads[pending["upload"]["id"]]["status"] == "cancelled"  # it can never become a file
    (ours,) = named(p.sdk()) - {other}
    assert p.ids() == {"file.guide": ours}


# -- an API that answers a repeated `complete` or `cancel` otherwise ----------------------------
class OtherAnswers:
    """The sandbox, except that `complete` of a completed upload is refused, and so is `cancel`
    (`cancel_names_file`: `cancel` answers the completed Upload instead). The spec allows both."""

    def __init__(self, data: Path, cancel_names_file: bool):
        self.store = open_store(data)
        self.apps = {
            True: make_app(data, Faults(drop_responses=frozenset({COMPLETE}))),
            False: make_app(data),
        }
        self.dropping = True
        self.cancel_names_file = cancel_names_file

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        m = re.fullmatch(r"/v1/uploads/([^/]+)/(complete|cancel)", request.path)
        rec = self.store.uploads.get(m[1]) if m else None
        if m and rec is not None and rec["status"] == "completed" and not self.dropping:
            if m[2] == "cancel" and self.cancel_names_file:
                body = json.dumps(render_upload(rec, 0))
                return Response(body, content_type="application/json")(environ, start_response)
            error = {"message": f"Upload {m[1]} is already completed.", "type": "invalid_request_error"}
            body = json.dumps({"error": {**error, "param": None, "code": None}})
            return Response(body, status=400, content_type="application/json")(environ, start_response)
        return self.apps[self.dropping](environ, start_response)


@contextmanager
def other_answers(tmp_path: Path, monkeypatch, cancel_names_file: bool) -> Iterator[tuple[OtherAnswers, str]]:
    app = OtherAnswers(tmp_path / "server", cancel_names_file)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ASSISTPLAN_MAX_RETRIES", "0")
    with loopback_app(app) as url:
        yield app, url


def test_a_cancel_that_names_the_completed_upload_proves_the_file(tmp_path: Path, monkeypatch) -> None:
    p = project(tmp_path / "project", {"guide": GUIDE})
    with other_answers(tmp_path, monkeypatch, cancel_names_file=True) as (app, url):
        assert p.run("--base-url", url, "apply", "--auto-approve", sandbox=False).code == 1
        app.dropping = False
        (ours,) = app.store.files
        other = look_alike_in(app, GUIDE)
        r = p.run("--base-url", url, "apply", "--auto-approve", sandbox=False)
        assert r.code == 0, r.err
        assert f"kept {ours}" in r.out and p.ids() == {"file.guide": ours}
        assert set(app.store.files) == {ours, other}


def test_when_the_api_does_not_say_which_file_nothing_is_adopted_and_the_user_is_told(
    tmp_path: Path, monkeypatch
) -> None:
    p = project(tmp_path / "project", {"guide": GUIDE})
    with other_answers(tmp_path, monkeypatch, cancel_names_file=False) as (app, url):
        assert p.run("--base-url", url, "apply", "--auto-approve", sandbox=False).code == 1
        app.dropping = False
        (ours,) = app.store.files
        other = look_alike_in(app, GUIDE)
        refused = p.run("--base-url", url, "apply", "--auto-approve", sandbox=False)
        assert refused.code == 1
        message = " ".join(refused.err.split())
        assert "the API does not say which file that made, so assistplan will not guess" in message
        assert f"{min(ours, other)}, {max(ours, other)} have this file's name, size and purpose" in message
        flags = shlex.join(["assistplan", "-C", str(p.root), "--base-url", url])  # the ones the user gave
        assert f"run `{flags} import file.guide FILE_ID`" in message
        assert f"`{flags} state rm file.guide` and apply again" in message
        assert "Nothing was adopted or deleted" in message
        assert set(app.store.files) == {ours, other}
        assert p.state()["resources"]["file.guide"]["remote_id"] is None  # still only the intent
        # The user knows which one is theirs: import settles it, and the next plan has nothing to do.
        imported = p.run("--base-url", url, "import", "file.guide", ours, sandbox=False)
        assert imported.code == 0 and "recorded as holding the local file's content" in imported.out
        assert p.ids() == {"file.guide": ours}
        assert "pending" not in p.state()["resources"]["file.guide"]["extra"]
        assert p.run("--base-url", url, "plan", "--detailed-exitcode", sandbox=False).code == 0
        assert set(app.store.files) == {ours, other}


def look_alike_in(app: OtherAnswers, content: str) -> str:
    """Someone else's upload, through the same server's data (in process: no fault, no rewrite)."""
    client = http_client(app.store.data_dir)
    return look_alike(
        openai.OpenAI(api_key="sk-test", base_url=SANDBOX_BASE_URL, http_client=client), content
    )


def test_an_intent_from_an_older_version_is_settled_by_the_files_that_could_be_it(
    tmp_path: Path, monkeypatch
) -> None:
    """Older versions uploaded with POST /files and kept no upload id: a file that could be theirs
    blocks the address until the user says; with none, the file is simply uploaded."""
    p = project(tmp_path, {"guide": GUIDE})
    interrupted_apply(p, monkeypatch)
    (ours,) = named(p.sdk())
    path = tmp_path / ".assistplan" / "state.json"
    state = p.state()
    intent = state["resources"]["file.guide"]["extra"]["pending"]
    for key in ("upload", "completing"):
        del intent[key]
    path.write_text(json.dumps(state))
    r = p.run("apply", "--auto-approve")
    assert r.code == 1 and f"{ours} has this file's name, size and purpose" in " ".join(r.err.split())
    p.sdk().files.delete(ours)
    p.ok("apply", "--auto-approve")
    (fresh,) = named(p.sdk())
    assert fresh != ours and p.ids() == {"file.guide": fresh}


def test_an_upload_killed_just_before_complete_is_completed_without_sending_its_bytes_again(
    tmp_path: Path, monkeypatch
) -> None:
    """The parts went up and were recorded; the kill came before `complete` was sent."""
    p = project(tmp_path, {"guide": GUIDE})
    with monkeypatch.context() as env:  # leaves state with the address's intent
        env.setenv("ASSISTPLAN_SANDBOX_DROP_RESPONSES", "POST /v1/uploads/{upload_id}/parts")
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        assert p.run("apply", "--auto-approve").code == 1
    sdk = p.sdk()
    up = sdk.uploads.create(
        bytes=len(GUIDE), filename="guide.md", purpose="assistants", mime_type="text/markdown"
    )
    part = sdk.uploads.parts.create(up.id, data=GUIDE.encode())
    state = p.state()
    intent = state["resources"]["file.guide"]["extra"]["pending"]
    intent["upload"] = {"id": up.id, "created_at": up.created_at, "expires_at": up.expires_at}
    intent["completing"] = {"part_ids": [part.id], "md5": hashlib.md5(GUIDE.encode()).hexdigest()}
    (tmp_path / ".assistplan" / "state.json").write_text(json.dumps(state))
    sandbox = tmp_path / ".assistplan" / "sandbox"
    open_store(sandbox).stats.reset()
    r = p.ok("apply", "--auto-approve")
    (made,) = named(sdk)
    assert f"kept {made}" in r.out and p.ids() == {"file.guide": made}
    requests = open_store(sandbox).stats.snapshot()["requests"]
    assert "POST /v1/uploads/{upload_id}/parts" not in requests and "POST /v1/uploads" not in requests


def test_an_unproven_replacement_is_settled_by_importing_it(tmp_path: Path, monkeypatch) -> None:
    p = project(tmp_path / "project", {"guide": GUIDE})
    with other_answers(tmp_path, monkeypatch, cancel_names_file=False) as (app, url):
        app.dropping = False
        assert p.run("--base-url", url, "apply", "--auto-approve", sandbox=False).code == 0
        (old,) = p.ids().values()
        (tmp_path / "project" / "docs" / "guide" / "guide.md").write_text(GUIDE + "More.\n")
        app.dropping = True
        assert p.run("--base-url", url, "apply", "--auto-approve", sandbox=False).code == 1
        guide = p.state()["resources"]["file.guide"]
        # The replace did not finish: the old file is still the address's, and only the intent names it.
        assert guide["remote_id"] == old and "deposed" not in guide["extra"]
        assert guide["extra"]["pending"]["replaces"] == {"id": old}
        app.dropping = False
        (new,) = set(app.store.files) - {old}
        refused = p.run("--base-url", url, "apply", "--auto-approve", sandbox=False)
        assert refused.code == 1 and f"{new} has this file's name, size and purpose" in " ".join(
            refused.err.split()
        )
        assert {new, old} <= set(app.store.files)  # not adopted, not deleted; the old one still in use
        assert p.run("--base-url", url, "import", "file.guide", new, sandbox=False).code == 0
        r = p.run("--base-url", url, "apply", "--auto-approve", sandbox=False)
        assert r.code == 0, r.err
        assert set(app.store.files) == {new} and p.ids() == {"file.guide": new}
        assert p.state()["resources"]["file.guide"]["extra"] == {}
        assert p.run("--base-url", url, "plan", "--detailed-exitcode", sandbox=False).code == 0

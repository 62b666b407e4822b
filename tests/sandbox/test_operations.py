"""Every one of the 28 operations (the 24 of the subset and the 4 of Uploads) through the official SDK
(strict response validation), in process and over a real loopback socket; then every response of
the run is validated against the spec."""

from __future__ import annotations

import ast
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

import assistplan.sandbox
from assistplan.sandbox import http_client

from .helpers import IGNORE_ASSISTANTS_DEPRECATION, Recorder, loopback, sdk
from .spec_check import (
    CONTRACT_DIR,
    NON_JSON_RESPONSES,
    RESPONSE_ALLOWANCES,
    all_operation_ids,
    bundled_uploads_text,
    check_exchanges,
)

pytestmark = pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)

PROCESSING_MS = 400


@pytest.fixture(params=["in_process", "loopback"])
def driven(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[openai.OpenAI, Recorder]]:
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", str(PROCESSING_MS))
    recorder = Recorder()
    data_dir = tmp_path / "sandbox"
    if request.param == "in_process":
        yield sdk(recorder.attach(http_client(data_dir))), recorder
    else:
        with loopback(data_dir) as base_url, httpx2.Client() as client:
            assert base_url.startswith("http://127.0.0.1:")
            yield sdk(recorder.attach(client), base_url=base_url), recorder


def _settled(
    c: openai.OpenAI, vector_store_id: str, file_id: str
) -> openai.types.vector_stores.VectorStoreFile:
    deadline = time.monotonic() + 10
    while True:
        vf = c.vector_stores.files.retrieve(file_id=file_id, vector_store_id=vector_store_id)
        if vf.status != "in_progress" or time.monotonic() > deadline:
            return vf
        time.sleep(PROCESSING_MS / 4000)


def drive_files(c: openai.OpenAI) -> dict[str, openai.types.FileObject]:
    files = {
        "txt": c.files.create(file=("handbook.txt", b"hello world"), purpose="assistants"),
        "md": c.files.create(file=("notes.md", b"# notes"), purpose="assistants"),
        "exe": c.files.create(file=("tool.exe", b"MZ\x90\x00"), purpose="assistants"),
        "empty": c.files.create(file=("empty.txt", b""), purpose="assistants"),
    }
    assert files["txt"].bytes == 11 and files["txt"].filename == "handbook.txt"
    assert (
        files["txt"].status == "processed"
        and files["txt"].id.startswith("file-")
        and len(files["txt"].id) == 27
    )
    expiring = c.files.create(
        file=("data.json", b"{}"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert expiring.expires_at == expiring.created_at + 3600

    # Quirk (CONTRACT.md Files): 'evals' is accepted on upload but missing from the response enum, so the
    # SDK's strict validation rejects the answer. Read it raw.
    raw = c.files.with_raw_response.create(file=("cases.jsonl", b"{}\n"), purpose="evals")
    assert raw.http_response.json()["purpose"] == "evals"
    with pytest.raises(openai.APIResponseValidationError):
        raw.parse()

    assert c.files.retrieve(files["txt"].id) == files["txt"]
    assert c.files.content(expiring.id).read() == b"{}"
    # OpenAI does not hand back what was uploaded for assistants.
    with pytest.raises(
        openai.BadRequestError,
        match="^Error code: 400 - Not allowed to download files of purpose: assistants$",
    ):
        c.files.content(files["txt"].id)
    listed = [f.id for f in c.files.list(purpose="assistants")]
    assert listed == [f.id for f in reversed(files.values())]
    assert [f.id for f in c.files.list(purpose="user_data")] == [expiring.id]
    first_two = c.files.list(limit=2, order="asc")
    assert [f.id for f in first_two.data] == [files["txt"].id, files["md"].id] and first_two.has_more
    return files


def drive_vector_stores(c: openai.OpenAI, files: dict[str, openai.types.FileObject]) -> tuple[str, str]:
    txt, md, exe, empty = (files[k].id for k in ("txt", "md", "exe", "empty"))
    vs = c.vector_stores.create(
        name="docs",
        file_ids=[txt, exe],
        metadata={"team": "hr"},
        expires_after={"anchor": "last_active_at", "days": 7},
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 100},
        },
    )
    assert vs.id.startswith("vs_") and vs.status == "in_progress"
    assert vs.file_counts.in_progress == 2 and vs.file_counts.total == 2 and vs.usage_bytes == 0
    assert vs.expires_at == vs.last_active_at + 7 * 86400
    assert c.vector_stores.retrieve(vs.id).id == vs.id
    assert c.vector_stores.update(vs.id, name="Docs", metadata={"team": "people"}).metadata == {
        "team": "people"
    }
    assert c.vector_stores.update(vs.id, name=None).name == ""  # the 3.0 `nullable` request quirk
    other = c.vector_stores.create()
    assert other.name == "" and other.file_counts.total == 0 and other.status == "completed"
    assert [v.id for v in c.vector_stores.list()] == [other.id, vs.id]

    vf = c.vector_stores.files.create(
        vector_store_id=vs.id, file_id=md, attributes={"lang": "en", "version": 2, "draft": True}
    )
    assert vf.status == "in_progress" and vf.vector_store_id == vs.id and vf.last_error is None
    assert vf.chunking_strategy is not None and vf.chunking_strategy.type == "static"
    failed = c.vector_stores.files.create_and_poll(file_id=empty, vector_store_id=vs.id)
    assert failed.status == "failed" and failed.last_error is not None
    assert failed.last_error.code == "invalid_file"
    got = c.vector_stores.files.retrieve(file_id=md, vector_store_id=vs.id)
    assert got.attributes == {"lang": "en", "version": 2, "draft": True}
    updated = c.vector_stores.files.update(file_id=md, vector_store_id=vs.id, attributes={"lang": "de"})
    assert updated.attributes == {"lang": "de"}
    for file_id in (txt, md, exe):
        _settled(c, vs.id, file_id)
    assert {f.id for f in c.vector_stores.files.list(vs.id, filter="completed")} == {txt, md}
    failures = {f.id: f.last_error for f in c.vector_stores.files.list(vs.id, filter="failed")}
    assert set(failures) == {exe, empty}
    assert failures[exe] is not None and failures[exe].code == "unsupported_file"
    vs = c.vector_stores.retrieve(vs.id)
    assert vs.status == "completed" and vs.usage_bytes == 11 + 7
    assert (vs.file_counts.completed, vs.file_counts.failed, vs.file_counts.total) == (2, 2, 4)
    gone = c.vector_stores.files.delete(file_id=exe, vector_store_id=vs.id)
    assert gone.deleted and gone.id == exe and gone.object == "vector_store.file.deleted"
    assert c.files.retrieve(exe).id == exe  # detaching keeps the file

    batch = c.vector_stores.file_batches.create(vector_store_id=other.id, file_ids=[txt, md])
    assert (
        batch.id.startswith("vsfb_") and batch.status == "in_progress" and batch.file_counts.in_progress == 2
    )
    cancelled = c.vector_stores.file_batches.cancel(batch.id, vector_store_id=other.id)
    assert cancelled.status == "cancelled" and cancelled.file_counts.cancelled == 2
    batch2 = c.vector_stores.file_batches.create_and_poll(
        vector_store_id=other.id, files=[{"file_id": txt, "attributes": {"k": "v"}}]
    )
    assert batch2.status == "completed" and batch2.file_counts.completed == 1
    assert c.vector_stores.file_batches.retrieve(batch2.id, vector_store_id=other.id) == batch2
    # txt was re-attached by the second batch, so the first one keeps only md.
    first = c.vector_stores.file_batches.list_files(batch.id, vector_store_id=other.id)
    assert [f.id for f in first.data] == [md] and first.data[0].status == "cancelled"
    second = c.vector_stores.file_batches.list_files(batch2.id, vector_store_id=other.id, filter="completed")
    assert [(f.id, f.attributes) for f in second.data] == [(txt, {"k": "v"})]
    return vs.id, other.id


def drive_assistants(c: openai.OpenAI, files: dict[str, openai.types.FileObject], vs_id: str) -> None:
    txt, md = files["txt"].id, files["md"].id
    tools = [
        {"type": "code_interpreter"},
        {"type": "file_search", "file_search": {"max_num_results": 8}},
        {
            "type": "function",
            "function": {"name": "get_balance", "parameters": {"type": "object", "properties": {}}},
        },
    ]
    asst = c.beta.assistants.create(
        model="gpt-4.1",
        name="HR Bot",
        instructions="Answer HR questions.",
        tools=tools,
        tool_resources={
            "code_interpreter": {"file_ids": [txt]},
            "file_search": {"vector_store_ids": [vs_id]},
        },
        temperature=0.2,
        metadata={"owner": "people-ops"},
    )
    assert asst.id.startswith("asst_") and len(asst.id) == 29
    assert (asst.description, asst.top_p, asst.temperature, asst.response_format) == (None, 1.0, 0.2, "auto")
    assert asst.tool_resources is not None and asst.tool_resources.file_search is not None
    assert asst.tool_resources.file_search.vector_store_ids == [vs_id]
    helper = c.beta.assistants.create(
        model="gpt-4.1-mini", tool_resources={"file_search": {"vector_stores": [{"file_ids": [md]}]}}
    )
    assert (helper.name, helper.instructions, helper.metadata, helper.tools) == (None, None, {}, [])
    assert helper.tool_resources is not None and helper.tool_resources.file_search is not None
    (helper_vs,) = helper.tool_resources.file_search.vector_store_ids or []
    assert c.vector_stores.retrieve(helper_vs).file_counts.total == 1

    assert c.beta.assistants.retrieve(asst.id) == asst
    updated = c.beta.assistants.update(
        asst.id, name=None, top_p=0.5, tool_resources={"code_interpreter": {"file_ids": []}}
    )
    assert updated.name is None and updated.top_p == 0.5 and updated.instructions == "Answer HR questions."
    assert updated.tool_resources is not None and updated.tool_resources.file_search is None
    assert [a.id for a in c.beta.assistants.list(order="asc")] == [asst.id, helper.id]
    for assistant_id in (asst.id, helper.id):
        deleted = c.beta.assistants.delete(assistant_id)
        assert deleted.deleted and deleted.object == "assistant.deleted"
    empty = c.beta.assistants.list()
    assert empty.data == [] and empty.first_id is None and empty.last_id is None and not empty.has_more


def drive_uploads(c: openai.OpenAI) -> None:
    up = c.uploads.create(bytes=11, filename="notes.txt", purpose="assistants", mime_type="text/plain")
    assert up.status == "pending" and up.id.startswith("upload_") and up.file is None
    assert up.expires_at == up.created_at + 3600 and (up.bytes, up.filename) == (11, "notes.txt")
    first = c.uploads.parts.create(up.id, data=("notes.txt", b"hello "))
    second = c.uploads.parts.create(up.id, data=b"world")
    assert first.object == "upload.part" and first.upload_id == up.id and first.id.startswith("part_")
    md5 = hashlib.md5(b"hello world").hexdigest()
    done = c.uploads.complete(up.id, part_ids=[first.id, second.id], md5=md5)
    assert done.status == "completed" and done.file is not None
    assert (done.file.bytes, done.file.filename, done.file.purpose) == (11, "notes.txt", "assistants")
    assert c.files.retrieve(done.file.id) == done.file
    # A retried complete (the SDK retries one whose answer was lost) answers the same File.
    assert c.uploads.complete(up.id, part_ids=[first.id, second.id]).file == done.file
    with pytest.raises(openai.BadRequestError, match="Cannot cancel upload with status 'completed'"):
        c.uploads.cancel(up.id)
    other = c.uploads.create(bytes=3, filename="x.md", purpose="assistants", mime_type="text/markdown")
    cancelled = c.uploads.cancel(other.id)
    assert cancelled.status == "cancelled" and cancelled.file is None
    assert c.uploads.cancel(other.id) == cancelled  # cancelling twice changes nothing
    with pytest.raises(openai.BadRequestError, match="Cannot add parts to upload with status 'cancelled'"):
        c.uploads.parts.create(other.id, data=b"abc")


def drive_deletes(
    c: openai.OpenAI, files: dict[str, openai.types.FileObject], vs_id: str, other_id: str
) -> None:
    txt, md = files["txt"].id, files["md"].id
    deleted = c.files.delete(txt)
    # The spec and the SDK agree a deleted file's object is "file" (CONTRACT.md quirk), not "file.deleted".
    assert deleted.deleted and deleted.object == "file"
    for store_id in (vs_id, other_id):
        assert txt not in {f.id for f in c.vector_stores.files.list(store_id)}
    assert c.vector_stores.retrieve(vs_id).usage_bytes == 7
    gone = c.vector_stores.delete(other_id)
    assert gone.deleted and gone.object == "vector_store.deleted"
    assert c.files.retrieve(md).id == md  # deleting a vector store keeps its files
    with pytest.raises(openai.NotFoundError):
        c.vector_stores.retrieve(other_id)


def test_every_operation_through_the_sdk_and_every_response_matches_the_spec(
    driven: tuple[openai.OpenAI, Recorder],
) -> None:
    client, recorder = driven
    files = drive_files(client)
    vs_id, other_id = drive_vector_stores(client, files)
    drive_assistants(client, files, vs_id)
    drive_uploads(client)
    drive_deletes(client, files, vs_id, other_id)

    report = check_exchanges(recorder.exchanges)
    successful = {op for op in report.validated if "(error" not in op}
    assert successful == all_operation_ids() and len(successful) == 28
    assert sum(report.validated.values()) == len(recorder.exchanges)
    # Each quirk of the spec was met in this run, and each was forgiven by name only.
    assert set(report.allowances) == {a.name for a in RESPONSE_ALLOWANCES} | {
        "nullable-3.0",
        "non-json-content",
    }
    assert len(NON_JSON_RESPONSES) == 1


def test_the_bundled_spec_is_the_official_subset() -> None:
    bundled = Path(assistplan.sandbox.__file__).with_name("openapi-subset.json")
    assert bundled.read_bytes() == (CONTRACT_DIR / "openapi-subset.json").read_bytes()


def test_the_bundled_uploads_spec_is_taken_unchanged_from_the_full_spec() -> None:
    bundled = Path(assistplan.sandbox.__file__).with_name("openapi-uploads.json")
    assert bundled.read_text(encoding="utf-8") == bundled_uploads_text()
    assert set(json.loads(bundled_uploads_text())["components"]["schemas"]) >= {"Upload", "UploadPart"}


def test_the_sandbox_imports_nothing_else_from_assistplan() -> None:
    package = Path(assistplan.sandbox.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{module.name} imports from outside the sandbox package"
                assert node.level == 1 or not (node.module or "").startswith("assistplan"), module.name
            elif isinstance(node, ast.Import):
                assert not any(alias.name.startswith("assistplan") for alias in node.names), module.name


def test_answers_carry_werkzeugs_status_line_and_headers_and_head_has_no_body(tmp_path: Path) -> None:
    """JSON answers skip werkzeug's Response: they must still read as it would have sent them."""
    with http_client(tmp_path / "sandbox") as client:
        client.headers.update({"Authorization": "Bearer sk-test", "OpenAI-Beta": "assistants=v2"})
        for name in ("a", "b", "c"):
            client.post("/v1/assistants", json={"model": "gpt-4.1", "name": name}).raise_for_status()
        vs = client.post("/v1/vector_stores", json={"name": "s"})
        assert list(vs.headers)[:3] == ["openai-poll-after-ms", "content-type", "content-length"]
        assert vs.headers["content-type"] == "application/json"
        assert int(vs.headers["content-length"]) == len(vs.content)

        got = client.get("/v1/assistants", params=[("limit", "1"), ("limit", "50")])  # the first value counts
        assert len(got.json()["data"]) == 1 and got.json()["has_more"] is True
        head = client.head("/v1/assistants", params={"limit": "1"})
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"]

        missing = client.get("/v1/assistants/asst_missing")
        assert missing.status_code == 404
        assert list(missing.headers) == ["content-type", "content-length", "x-request-id"]

"""Vector-store files: processing, failures, derived counts, cascades, batches; assistant updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from assistplan.sandbox import make_app
from assistplan.sandbox.app import processing_ms_from_env
from assistplan.sandbox.client import SANDBOX_ORIGIN

from .helpers import AUTH, BETA, raw, upload


class Clock:
    """The sandbox's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _client(monkeypatch: pytest.MonkeyPatch, data_dir: Path, processing_ms: float) -> httpx2.Client:
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", str(processing_ms))
    return raw(data_dir)


def _counts(client: httpx2.Client, vs_id: str) -> tuple[dict[str, int], int, str]:
    vs = client.get(f"/v1/vector_stores/{vs_id}").json()
    return vs["file_counts"], vs["usage_bytes"], vs["status"]


def test_files_complete_after_the_processing_delay_and_counts_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", "150")
    app = make_app(tmp_path / "sandbox", clock=clock)
    client = httpx2.Client(
        transport=httpx2.WSGITransport(app=app), base_url=SANDBOX_ORIGIN, headers={**AUTH, **BETA}
    )
    good = upload(client, "guide.pdf", b"%PDF-1.7 ...")
    code = upload(client, "main.PY", b"print(1)\n")
    image = upload(client, "logo.png", b"\x89PNG")
    empty = upload(client, "blank.txt", b"")
    vs = client.post(
        "/v1/vector_stores", json={"file_ids": [good["id"], code["id"], image["id"], empty["id"]]}
    )
    assert vs.headers["openai-poll-after-ms"] == "150"
    assert vs.json()["file_counts"] == {
        "in_progress": 4,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
        "total": 4,
    }
    assert vs.json()["status"] == "in_progress" and vs.json()["usage_bytes"] == 0
    vs_id = vs.json()["id"]
    assert (
        client.get(f"/v1/vector_stores/{vs_id}/files", params={"filter": "in_progress"}).json()["has_more"]
        is False
    )
    clock.now += 0.125
    assert _counts(client, vs_id)[0]["in_progress"] == 4  # 150 ms have not passed yet
    clock.now += 0.125
    counts, usage, status = _counts(client, vs_id)
    assert counts == {"in_progress": 0, "completed": 2, "failed": 2, "cancelled": 0, "total": 4}
    assert usage == good["bytes"] + code["bytes"] and status == "completed"
    errors = {f["id"]: f["last_error"] for f in client.get(f"/v1/vector_stores/{vs_id}/files").json()["data"]}
    assert errors[good["id"]] is None and errors[code["id"]] is None
    assert errors[image["id"]]["code"] == "unsupported_file" and ".png" in errors[image["id"]]["message"]
    assert errors[empty["id"]]["code"] == "invalid_file"


def test_with_no_delay_a_file_is_in_progress_when_created_and_completed_on_first_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, tmp_path / "sandbox", 0)
    file = upload(client, "a.txt", b"abc")
    vs_id = client.post("/v1/vector_stores", json={}).json()["id"]
    created = client.post(f"/v1/vector_stores/{vs_id}/files", json={"file_id": file["id"]}).json()
    assert created["status"] == "in_progress" and created["usage_bytes"] == 0
    read = client.get(f"/v1/vector_stores/{vs_id}/files/{file['id']}").json()
    assert read["status"] == "completed" and read["usage_bytes"] == 3


def test_deleting_a_file_removes_it_from_every_vector_store_and_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, tmp_path / "sandbox", 0)
    shared, other = upload(client, "shared.md", b"12345"), upload(client, "other.md", b"1")
    one = client.post("/v1/vector_stores", json={"file_ids": [shared["id"], other["id"]]}).json()["id"]
    two = client.post("/v1/vector_stores", json={}).json()["id"]
    batch = client.post(
        f"/v1/vector_stores/{two}/file_batches", json={"file_ids": [shared["id"], other["id"]]}
    )
    batch_id = batch.json()["id"]
    assert _counts(client, one)[0]["total"] == 2 and _counts(client, two)[1] == 6
    assert client.delete(f"/v1/files/{shared['id']}").json() == {
        "id": shared["id"],
        "object": "file",
        "deleted": True,
    }
    for vs_id in (one, two):
        counts, usage, _ = _counts(client, vs_id)
        assert (counts["total"], counts["completed"], usage) == (1, 1, 1)
        listed = client.get(f"/v1/vector_stores/{vs_id}/files").json()["data"]
        assert [f["id"] for f in listed] == [other["id"]]
        assert client.get(f"/v1/vector_stores/{vs_id}/files/{shared['id']}").status_code == 404
    batch_now = client.get(f"/v1/vector_stores/{two}/file_batches/{batch_id}").json()
    assert batch_now["file_counts"]["total"] == 1
    assert client.delete(f"/v1/vector_stores/{one}").status_code == 200
    assert client.get(f"/v1/files/{other['id']}").status_code == 200  # a vector store's files outlive it
    assert [f["id"] for f in client.get(f"/v1/vector_stores/{two}/files").json()["data"]] == [other["id"]]


def test_cancelling_a_batch_cancels_what_is_still_in_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, tmp_path / "sandbox", 60_000)
    ids = [upload(client, f"{i}.txt", b"x")["id"] for i in range(3)]
    vs_id = client.post("/v1/vector_stores", json={}).json()["id"]
    base = f"/v1/vector_stores/{vs_id}/file_batches"
    batch = client.post(
        base, json={"files": [{"file_id": i, "attributes": {"n": n}} for n, i in enumerate(ids)]}
    )
    assert batch.json()["status"] == "in_progress" and batch.json()["file_counts"]["in_progress"] == 3
    batch_id = batch.json()["id"]
    cancelled = client.post(f"{base}/{batch_id}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["file_counts"] == {
        "in_progress": 0,
        "completed": 0,
        "failed": 0,
        "cancelled": 3,
        "total": 3,
    }
    assert client.post(f"{base}/{batch_id}/cancel").json() == cancelled
    listed = client.get(f"{base}/{batch_id}/files", params={"filter": "cancelled", "order": "asc"}).json()[
        "data"
    ]
    assert [(f["id"], f["attributes"]) for f in listed] == [(i, {"n": n}) for n, i in enumerate(ids)]
    counts, _, status = _counts(client, vs_id)
    assert counts["cancelled"] == 3 and status == "completed"


def test_a_batch_of_only_failures_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(monkeypatch, tmp_path / "sandbox", 0)
    bad = [upload(client, f"{i}.zip", b"PK")["id"] for i in range(2)]
    vs_id = client.post("/v1/vector_stores", json={}).json()["id"]
    batch = client.post(f"/v1/vector_stores/{vs_id}/file_batches", json={"file_ids": bad}).json()
    assert batch["status"] == "in_progress"
    again = client.get(f"/v1/vector_stores/{vs_id}/file_batches/{batch['id']}").json()
    assert again["status"] == "failed" and again["file_counts"]["failed"] == 2


def test_attaching_an_attached_file_again_reprocesses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(monkeypatch, tmp_path / "sandbox", 0)
    file_id = upload(client, "a.md", b"abc")["id"]
    vs_id = client.post("/v1/vector_stores", json={"file_ids": [file_id]}).json()["id"]
    path = f"/v1/vector_stores/{vs_id}/files"
    assert client.get(f"{path}/{file_id}").json()["status"] == "completed"
    again = client.post(path, json={"file_id": file_id, "attributes": {"v": 2}}).json()
    assert again["status"] == "in_progress" and again["attributes"] == {"v": 2}
    assert _counts(client, vs_id)[0]["total"] == 1


def _assistant(client: httpx2.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_modify_keeps_omitted_fields_clears_nulls_and_replaces_tool_resources(tmp_path: Path) -> None:
    with raw(tmp_path / "sandbox") as client:
        file_id = upload(client, "a.txt", b"x")["id"]
        vs_id = client.post("/v1/vector_stores", json={}).json()["id"]
        created = _assistant(
            client,
            "/v1/assistants",
            {
                "model": "gpt-4.1",
                "name": "n",
                "description": "d",
                "instructions": "i",
                "temperature": 0.3,
                "response_format": {"type": "json_object"},
                "reasoning_effort": "low",
                "metadata": {"a": "b"},
                "tools": [{"type": "code_interpreter"}, {"type": "file_search"}],
                "tool_resources": {
                    "code_interpreter": {"file_ids": [file_id]},
                    "file_search": {"vector_store_ids": [vs_id]},
                },
            },
        )
        path = f"/v1/assistants/{created['id']}"
        unchanged = _assistant(client, path, {})
        assert unchanged == created
        cleared = _assistant(
            client,
            path,
            {
                "description": None,
                "temperature": None,
                "response_format": None,
                "reasoning_effort": None,
                "metadata": None,
                "tool_resources": {"file_search": {"vector_store_ids": []}},
            },
        )
        assert cleared["description"] is None and cleared["reasoning_effort"] is None
        assert (cleared["temperature"], cleared["response_format"], cleared["metadata"]) == (1.0, "auto", {})
        assert cleared["tool_resources"] == {"file_search": {"vector_store_ids": []}}
        assert (cleared["name"], cleared["instructions"], cleared["tools"]) == ("n", "i", created["tools"])
        assert _assistant(client, path, {"tool_resources": None})["tool_resources"] == {}
        assert client.get(path).json() == _assistant(client, path, {})


def test_apps_with_different_processing_delays_share_one_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", "0")
    quick = make_app(tmp_path / "sandbox")
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_PROCESSING_MS", "60000")
    slow = make_app(tmp_path / "sandbox")
    assert (quick.processing_ms, slow.processing_ms, quick.store is slow.store) == (0, 60_000, True)


@pytest.mark.parametrize("value", ["-1", "soon", "nan"])
def test_a_bad_processing_delay_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="ASSISTPLAN_SANDBOX_PROCESSING_MS must be"):
        processing_ms_from_env({"ASSISTPLAN_SANDBOX_PROCESSING_MS": value})
    assert processing_ms_from_env({}) == 30

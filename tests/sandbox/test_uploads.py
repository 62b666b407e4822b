"""The Uploads API as the sandbox serves it: parts while pending, the byte count and md5 on
complete, expiry, the answers to a repeated complete or cancel, persistence, and the errors."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from assistplan.sandbox import open_store

from .helpers import error_of, loopback, raw, snapshot

MIB = 1 << 20


@pytest.fixture
def client(tmp_path: Path) -> Iterator[httpx2.Client]:
    with raw(tmp_path / "sandbox") as c:
        yield c


def create(c: httpx2.Client, size: int, name: str = "notes.md", **extra: object) -> dict:
    body = {"filename": name, "purpose": "assistants", "bytes": size, "mime_type": "text/markdown", **extra}
    r = c.post("/v1/uploads", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def part(c: httpx2.Client, upload_id: str, data: bytes) -> httpx2.Response:
    return c.post(f"/v1/uploads/{upload_id}/parts", files={"data": ("blob", data)})


def part_id(c: httpx2.Client, upload_id: str, data: bytes) -> str:
    r = part(c, upload_id, data)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def files(c: httpx2.Client) -> list[dict]:
    return c.get("/v1/files").json()["data"]


def test_parts_become_one_file_in_the_order_complete_names_them(tmp_path: Path) -> None:
    with raw(tmp_path / "sandbox") as client:
        up = create(client, 11)
        world, hello = part_id(client, up["id"], b"world"), part_id(client, up["id"], b"hello ")
        r = client.post(f"/v1/uploads/{up['id']}/complete", json={"part_ids": [hello, world]})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "completed" and done["file"]["bytes"] == 11
        (made,) = files(client)
    assert made == done["file"] and made["filename"] == "notes.md" and made["created_at"] >= up["created_at"]
    assert (tmp_path / "sandbox" / "blobs" / made["id"]).read_bytes() == b"hello world"


def test_complete_checks_the_byte_count_the_parts_and_the_md5_and_then_makes_nothing(
    client: httpx2.Client,
) -> None:
    up = create(client, 11)
    hello, world = part_id(client, up["id"], b"hello "), part_id(client, up["id"], b"world")
    url = f"/v1/uploads/{up['id']}/complete"
    cases = [
        (
            {"part_ids": [hello]},
            "The parts add up to 6 bytes, but the upload was created for 11 bytes.",
            None,
        ),
        ({"part_ids": [hello, "part_nope"]}, "no part with id 'part_nope'", "part_ids[1]"),
        ({"part_ids": [hello, hello]}, "is listed more than once", "part_ids[1]"),
        ({"part_ids": [hello, world], "md5": "0" * 32}, "does not match the uploaded bytes", "md5"),
        ({}, "part_ids", "part_ids"),
    ]
    for body, message, param in cases:
        r = client.post(url, json=body)
        assert r.status_code == 400, (body, r.text)
        err = error_of(r)
        assert message in err["message"] and err["type"] == "invalid_request_error", (body, err)
        if param:
            assert err["param"] == param, (body, err)
    assert files(client) == []
    md5 = hashlib.md5(b"hello world").hexdigest()
    r = client.post(url, json={"part_ids": [hello, world], "md5": md5.upper()})
    assert r.status_code == 200 and r.json()["status"] == "completed"


def test_a_one_part_upload_becomes_its_file_and_a_refused_complete_keeps_the_part(tmp_path: Path) -> None:
    """One part is taken as the file without a copy: the part must survive a refused complete,
    and once completed, the file's bytes must be the only copy left (no part, no temp file)."""
    blobs = tmp_path / "sandbox" / "blobs"
    with raw(tmp_path / "sandbox") as client:
        up = create(client, 5)
        only = part_id(client, up["id"], b"hello")
        url = f"/v1/uploads/{up['id']}/complete"
        refused = client.post(url, json={"part_ids": [only], "md5": "0" * 32})
        assert refused.status_code == 400 and "does not match" in error_of(refused)["message"]
        assert sorted(os.listdir(blobs)) == [only]
        md5 = hashlib.md5(b"hello").hexdigest()
        done = client.post(url, json={"part_ids": [only], "md5": md5}).json()
        assert done["status"] == "completed" and done["file"]["bytes"] == 5
        assert client.get(f"/v1/files/{done['file']['id']}").json()["bytes"] == 5
    assert sorted(os.listdir(blobs)) == [done["file"]["id"]]
    assert (blobs / done["file"]["id"]).read_bytes() == b"hello"
    assert os.stat(blobs / done["file"]["id"]).st_nlink == 1
    _, reloaded = snapshot(tmp_path / "sandbox")
    assert reloaded["parts"] == {} and reloaded["blobs"][done["file"]["id"]] == b"hello".hex()


def test_a_second_complete_answers_the_same_file_and_a_cancel_of_it_is_refused(client: httpx2.Client) -> None:
    up = create(client, 3)
    pid = part_id(client, up["id"], b"abc")
    url = f"/v1/uploads/{up['id']}"
    first = client.post(f"{url}/complete", json={"part_ids": [pid]}).json()
    again = client.post(f"{url}/complete", json={"part_ids": [pid]})
    assert again.status_code == 200 and again.json() == first
    other = client.post(f"{url}/complete", json={"part_ids": ["part_other"]})
    assert other.status_code == 400 and "already completed" in error_of(other)["message"]
    cancel = client.post(f"{url}/cancel")
    assert cancel.status_code == 400
    assert error_of(cancel)["message"] == "Cannot cancel upload with status 'completed'."
    late = part(client, up["id"], b"d")
    assert error_of(late)["message"] == "Cannot add parts to upload with status 'completed'."
    assert len(files(client)) == 1  # one file, however often complete was asked


def test_a_cancelled_upload_takes_no_parts_never_completes_and_cancels_again(client: httpx2.Client) -> None:
    up = create(client, 3)
    pid = part_id(client, up["id"], b"abc")
    url = f"/v1/uploads/{up['id']}"
    cancelled = client.post(f"{url}/cancel").json()
    assert cancelled["status"] == "cancelled" and "file" not in cancelled
    assert client.post(f"{url}/cancel").json() == cancelled
    refused = client.post(f"{url}/complete", json={"part_ids": [pid]})
    assert error_of(refused)["message"] == "Cannot complete upload with status 'cancelled'."
    assert error_of(part(client, up["id"], b"x"))["message"] == (
        "Cannot add parts to upload with status 'cancelled'."
    )
    assert files(client) == []


def test_an_upload_expires_an_hour_after_it_was_made(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    with raw(data) as c:
        up = create(c, 3)
        assert up["expires_at"] == up["created_at"] + 3600 and up["status"] == "pending"
        pid = part_id(c, up["id"], b"abc")
        store = open_store(data)
        with store.write() as s:  # as if it had been made more than an hour ago
            s.put_upload({**s.uploads[up["id"]], "expires_at": up["created_at"] - 1})
        url = f"/v1/uploads/{up['id']}"
        for r, action in (
            (part(c, up["id"], b"d"), "add parts to"),
            (c.post(f"{url}/complete", json={"part_ids": [pid]}), "complete"),
            (c.post(f"{url}/cancel"), "cancel"),
        ):
            assert r.status_code == 400
            assert error_of(r)["message"] == f"Cannot {action} upload with status 'expired'."


def test_create_validates_like_openai(client: httpx2.Client) -> None:
    good = {"filename": "a.md", "purpose": "assistants", "bytes": 1, "mime_type": "text/markdown"}
    cases = [
        ({k: v for k, v in good.items() if k != "mime_type"}, "mime_type"),
        ({**good, "purpose": "nonsense"}, "purpose"),
        ({**good, "bytes": "many"}, "bytes"),
        ({**good, "bytes": -1}, "bytes"),
        ({**good, "bytes": 8 * 1024**3 + 1}, "bytes"),
        ({**good, "colour": "red"}, None),
        ({**good, "expires_after": {"anchor": "created_at", "seconds": 60}}, "expires_after.seconds"),
    ]
    for body, param in cases:
        r = client.post("/v1/uploads", json=body)
        assert r.status_code == 400, (body, r.text)
        if param:
            assert error_of(r)["param"] == param, (body, r.json())
    missing = client.post("/v1/uploads/upload_nope/complete", json={"part_ids": []})
    assert missing.status_code == 404
    assert error_of(missing)["message"] == "No upload found with id 'upload_nope'."
    assert part(client, "upload_nope", b"b").status_code == 404
    up = create(client, 1)
    no_data = client.post(f"/v1/uploads/{up['id']}/parts", files={"x": ("a", b"b")})
    assert no_data.status_code == 400 and error_of(no_data)["type"] == "invalid_request_error"


def test_the_file_keeps_the_expiry_asked_for_and_an_empty_upload_has_no_parts(client: httpx2.Client) -> None:
    up = create(client, 0, name="empty.txt", expires_after={"anchor": "created_at", "seconds": 7200})
    done = client.post(f"/v1/uploads/{up['id']}/complete", json={"part_ids": []}).json()
    assert done["file"]["bytes"] == 0
    assert done["file"]["expires_at"] == done["file"]["created_at"] + 7200


def test_uploads_and_their_parts_survive_a_restart_and_leave_no_blob_behind(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    with raw(data) as c:
        kept = create(c, 6)
        first = part_id(c, kept["id"], b"abc")
        dropped = create(c, 1)
        part_id(c, dropped["id"], b"z")
    before, reloaded = snapshot(data)
    assert before == reloaded and set(reloaded["parts"]) == {kept["id"], dropped["id"]}
    open_store(data).close()  # the next request reloads from disk
    with raw(data) as c:
        second = part_id(c, kept["id"], b"def")
        done = c.post(f"/v1/uploads/{kept['id']}/complete", json={"part_ids": [first, second]}).json()
        assert c.post(f"/v1/uploads/{dropped['id']}/cancel").json()["status"] == "cancelled"
    assert sorted(os.listdir(data / "blobs")) == [done["file"]["id"]]  # the parts went with their uploads
    _, reloaded = snapshot(data)
    assert reloaded["parts"] == {} and reloaded["blobs"][done["file"]["id"]] == b"abcdef".hex()


def test_a_part_is_at_most_64_mb_and_a_big_file_goes_up_in_parts(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(64 * MIB + 1)  # sparse: cheap to make, still 64 MB + 1 to send
    with (
        loopback(tmp_path / "sandbox") as url,
        httpx2.Client(base_url=url.removesuffix("/v1"), timeout=60) as c,
    ):
        c.headers["Authorization"] = "Bearer sk-test"
        up = create(c, 64 * MIB + 1, name="big.bin")
        with big.open("rb") as fh:
            r = c.post(f"/v1/uploads/{up['id']}/parts", files={"data": ("big.bin", fh)})
        assert r.status_code == 400 and error_of(r)["param"] == "data"
        assert "at most 67108864 bytes" in error_of(r)["message"]
        with big.open("rb") as fh:
            whole = part_id(c, up["id"], fh.read(64 * MIB))
            last = part_id(c, up["id"], fh.read())
        done = c.post(f"/v1/uploads/{up['id']}/complete", json={"part_ids": [whole, last]})
        assert done.status_code == 200 and done.json()["file"]["bytes"] == 64 * MIB + 1

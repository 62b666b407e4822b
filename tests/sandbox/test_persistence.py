"""Objects persist under the data dir: across restarts, through SIGKILL, and fast to load."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from assistplan.sandbox import Store, open_store
from assistplan.sandbox.app import ENV_PROCESSING_MS

from .dump import HEADERS, dump
from .helpers import raw, serve_process, upload

DUMP_SCRIPT = Path(__file__).with_name("dump.py")


def populate(client: httpx2.Client, tag: str) -> dict[str, Any]:
    """One of everything, including a detached file, a cancelled batch and an assistant's helper store."""
    doc = upload(client, f"{tag}.md", f"# {tag}\n".encode())
    blob = upload(client, f"{tag}.bin", bytes(range(256)) * 4, purpose="user_data")
    vs = client.post(
        "/v1/vector_stores", json={"name": tag, "file_ids": [doc["id"], blob["id"]], "metadata": {"tag": tag}}
    ).json()
    client.post(f"/v1/vector_stores/{vs['id']}/files/{doc['id']}", json={"attributes": {"tag": tag}})
    client.delete(f"/v1/vector_stores/{vs['id']}/files/{blob['id']}")
    assistant = client.post(
        "/v1/assistants",
        json={
            "model": "gpt-4.1",
            "name": tag,
            "tools": [{"type": "file_search"}],
            "tool_resources": {"file_search": {"vector_stores": [{"file_ids": [doc["id"]]}]}},
        },
    ).json()
    assert assistant["tool_resources"]["file_search"]["vector_store_ids"]
    return {"doc": doc, "blob": blob, "vs": vs, "assistant": assistant}


def test_a_new_process_sees_everything_including_file_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PROCESSING_MS, "0")  # files done by the first read: both dumps agree
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        populate(client, "first")
        populate(client, "second")
        before = dump(client)
    assert len(before["assistants"]) == 2 and len(before["vector_stores"]) == 4
    result = subprocess.run(
        [sys.executable, str(DUMP_SCRIPT), str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == json.loads(json.dumps(before, sort_keys=True))
    assert bytes.fromhex(before["contents"][before["files"][1]["id"]]) == bytes(range(256)) * 4


def test_every_answered_write_survives_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    proc, url = serve_process(data_dir, env={ENV_PROCESSING_MS: "0"})
    try:
        with httpx2.Client(base_url=url.removesuffix("/v1"), headers=HEADERS) as client:
            populate(client, "killed")
            created = [
                client.post("/v1/assistants", json={"model": "m", "name": f"n{i}"}).json()["id"]
                for i in range(20)
            ]
            before = dump(client)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc2, url2 = serve_process(data_dir)
        try:
            with httpx2.Client(base_url=url2.removesuffix("/v1")) as client:
                after = dump(client)
        finally:
            proc2.terminate()
            assert proc2.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert after == before
    assert set(created) <= {a["id"] for a in after["assistants"]}


def test_a_store_sees_what_another_process_committed(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as here:
        mine = here.post("/v1/assistants", json={"model": "m", "name": "mine"}).json()["id"]
        proc, url = serve_process(data_dir)
        try:
            with httpx2.Client(base_url=url.removesuffix("/v1"), headers=HEADERS) as there:
                theirs = there.post("/v1/assistants", json={"model": "m", "name": "theirs"}).json()["id"]
                assert {a["id"] for a in there.get("/v1/assistants").json()["data"]} == {mine, theirs}
                assert {a["id"] for a in here.get("/v1/assistants").json()["data"]} == {mine, theirs}
                third = here.post("/v1/assistants", json={"model": "m", "name": "third"}).json()["id"]
                listed = [
                    a["id"] for a in there.get("/v1/assistants", params={"order": "asc"}).json()["data"]
                ]
                assert listed == [mine, theirs, third]
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0


def test_twenty_thousand_objects_reload_intact(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        first = populate(client, "template")
    store = open_store(data_dir)
    assistant = store.assistants[first["assistant"]["id"]]
    file = store.files[first["doc"]["id"]]
    vs = store.vector_stores[first["vs"]["id"]]
    attached = vs.files[first["doc"]["id"]]
    with store.write():
        for i in range(10_000):
            store.put_assistant({**assistant, "id": f"asst_bulk{i:019d}", "seq": store.next_seq()})
        for i in range(5_000):
            file_id = f"file-bulk{i:017d}"
            store.put_file({**file, "id": file_id, "seq": store.next_seq()}, b"bulk")
            store.attach(vs, {**attached, "id": file_id, "seq": store.next_seq()})
    store.close()

    loaded = Store(data_dir.resolve())  # how fast: benchmarks/bench_sandbox.py, not a test
    try:
        total = (
            len(loaded.assistants)
            + len(loaded.files)
            + sum(len(v.files) for v in loaded.vector_stores.values())
        )
        assert total >= 20_000
        loaded_vs = loaded.vector_stores[first["vs"]["id"]]
        loaded_vs.settle(time.time() + 1)
        assert loaded_vs.counts["completed"] == 5_001
    finally:
        loaded.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX signals")
def test_sandbox_serve_stops_cleanly_on_sigterm_and_sigint(tmp_path: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc, url = serve_process(tmp_path / "sandbox")
        assert httpx2.get(url + "/files", headers=HEADERS).status_code == 200
        proc.send_signal(sig)
        assert proc.wait(10) == 0


def test_a_reloaded_store_sees_uploads_and_numbers_new_records_after_them(tmp_path: Path) -> None:
    """Uploads load on first use, not with everything else: they must still count when the store
    numbers new records, and a reload (another process wrote) must forget the ones it had."""
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        upload(client, "a.md", b"# a\n")
        body = {"filename": "b.md", "purpose": "assistants", "bytes": 3, "mime_type": "text/markdown"}
        last = client.post("/v1/uploads", json=body).json()  # the newest record is an upload
    open_store(data_dir).close()
    store = open_store(data_dir)
    newest = store.uploads[last["id"]]["seq"]
    assert store.next_seq() == newest + 1

    other = Store(data_dir.resolve())  # a second process's view of the same data dir
    try:
        with other.write():
            other.put_upload({**other.uploads[last["id"]], "id": "upload_other", "seq": other.next_seq()})
    finally:
        other.close()
    with store.read():
        assert set(store.uploads) >= {last["id"], "upload_other"}


def test_loading_a_store_leaves_the_collector_to_the_application(tmp_path: Path) -> None:
    """The sandbox is a library too: its loads never pause the process's garbage collector (the
    `assistplan` command pauses it around whole stages itself, see cli/heap.py)."""
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        for i in range(300):
            client.post("/v1/assistants", json={"model": "m", "name": f"a{i}"})
    collections: list[str] = []
    thresholds = gc.get_threshold()

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)

    gc.set_threshold(100)
    gc.callbacks.append(count)
    try:
        store = Store(data_dir.resolve())  # loaded anew (open_store hands out this process's store)
        loaded = len(store.assistants)
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    assert loaded == 300 and gc.isenabled()
    # The collector ran as the application set it (every 100 new objects) while 300 records were
    # built: many times, where a paused collector runs at most once, outside the load.
    assert len(collections) > 5

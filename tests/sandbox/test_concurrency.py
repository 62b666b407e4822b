"""16 threads creating and listing at once: nothing lost, nothing duplicated, everything persisted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2
import openai
import pytest

from assistplan.sandbox import http_client

from .helpers import IGNORE_ASSISTANTS_DEPRECATION, loopback, sdk, snapshot

pytestmark = pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)

THREADS = 16
PER_THREAD = 12


@contextmanager
def shared_client(way: str, data_dir: Path) -> Iterator[openai.OpenAI]:
    """One SDK client shared by every thread, as the engine's thread pool uses it."""
    if way == "in_process":
        yield sdk(http_client(data_dir))
    else:
        with (
            loopback(data_dir) as base_url,
            httpx2.Client(limits=httpx2.Limits(max_connections=32)) as client,
        ):
            yield sdk(client, base_url=base_url)


@pytest.mark.parametrize("way", ["in_process", "loopback"])
def test_sixteen_threads_create_and_list_with_no_lost_or_duplicated_objects(tmp_path: Path, way: str) -> None:
    data_dir = tmp_path / "sandbox"
    start = threading.Barrier(THREADS)
    with shared_client(way, data_dir) as client:
        vs_id = client.vector_stores.create(name="shared").id

        def worker(n: int) -> tuple[list[str], list[str]]:
            start.wait()
            assistants, files = [], []
            for i in range(PER_THREAD):
                assistants.append(client.beta.assistants.create(model="m", name=f"t{n}-{i}").id)
                file = client.files.create(file=(f"t{n}-{i}.txt", f"{n}-{i}".encode()), purpose="assistants")
                files.append(file.id)
                client.vector_stores.files.create(vector_store_id=vs_id, file_id=file.id)
                if i % 5 == 4:
                    seen = [a.id for a in client.beta.assistants.list(limit=7, order="asc")]
                    assert len(seen) == len(set(seen)), "a listing returned an object twice"
                    assert set(assistants) <= set(seen), "a listing missed an object this thread created"
            return assistants, files

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(worker, range(THREADS)))

        created_assistants = [a for assistants, _ in results for a in assistants]
        created_files = [f for _, files in results for f in files]
        total = THREADS * PER_THREAD
        assert len(set(created_assistants)) == len(created_assistants) == total
        listed = [a.id for a in client.beta.assistants.list(limit=100)]
        assert sorted(listed) == sorted(created_assistants)
        assert sorted(f.id for f in client.files.list()) == sorted(created_files)
        attached = [f.id for f in client.vector_stores.files.list(vs_id, limit=100)]
        assert sorted(attached) == sorted(created_files)
        assert client.vector_stores.retrieve(vs_id).file_counts.total == total

    in_memory, on_disk = snapshot(data_dir)
    assert sorted(on_disk["assistants"]) == sorted(created_assistants)
    assert len(on_disk["vector_stores"][vs_id]["files"]) == total
    assert on_disk == in_memory

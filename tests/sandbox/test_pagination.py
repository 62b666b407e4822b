"""Cursor pagination over 260 objects, both orders, with ``after`` and with ``before``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from assistplan.sandbox import http_client
from assistplan.sandbox.ordered import OrderedIndex

from .helpers import IGNORE_ASSISTANTS_DEPRECATION, raw, sdk, upload

N = 260


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx2.Client, dict[str, Any]]]:
    """260 assistants, 260 files and a vector store holding all the files; ids in creation order."""
    data_dir = tmp_path_factory.mktemp("pagination") / "sandbox"
    with raw(data_dir) as client:
        assistants = [
            client.post("/v1/assistants", json={"model": "m", "name": f"a{i}"}).json()["id"] for i in range(N)
        ]
        files = [upload(client, f"f{i}.txt", b"x")["id"] for i in range(N)]
        vs = client.post("/v1/vector_stores", json={"name": "all"}).json()["id"]
        for file_id in files:
            assert client.post(f"/v1/vector_stores/{vs}/files", json={"file_id": file_id}).status_code == 200
        yield client, {"data_dir": data_dir, "assistants": assistants, "files": files, "vs": vs}


def _page(client: httpx2.Client, path: str, **query: Any) -> dict[str, Any]:
    response = client.get(path, params={k: v for k, v in query.items() if v is not None})
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [item["id"] for item in body["data"]]
    assert body["object"] == "list"
    assert body["first_id"] == (ids[0] if ids else None)
    assert body["last_id"] == (ids[-1] if ids else None)
    return body


def walk_after(client: httpx2.Client, path: str, order: str, limit: int) -> list[list[str]]:
    pages, after = [], None
    while True:
        body = _page(client, path, order=order, limit=limit, after=after)
        pages.append([item["id"] for item in body["data"]])
        if not body["has_more"]:
            return pages
        assert len(pages[-1]) == limit
        after = body["last_id"]


def walk_before(client: httpx2.Client, path: str, order: str, limit: int, end: str) -> list[list[str]]:
    """Pages walking back from ``end`` (excluded) to the start, each in ``order``."""
    pages, before = [], end
    while True:
        body = _page(client, path, order=order, limit=limit, before=before)
        pages.append([item["id"] for item in body["data"]])
        if not body["has_more"]:
            return pages
        assert len(pages[-1]) == limit
        before = body["first_id"]


LISTS = {
    "assistants": ("/v1/assistants", "assistants", 100),
    "vector store files": ("/v1/vector_stores/{vs}/files", "files", 100),
    "files": ("/v1/files", "files", 10_000),
}


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("name", list(LISTS))
def test_after_walks_every_object_once_in_order(
    populated: tuple[httpx2.Client, dict[str, Any]], name: str, order: str
) -> None:
    client, world = populated
    template, kind, max_limit = LISTS[name]
    path = template.format(vs=world["vs"])
    expected = world[kind] if order == "asc" else world[kind][::-1]
    for limit in (1, 7, 100):
        pages = walk_after(client, path, order, limit)
        assert [i for page in pages for i in page] == expected
        assert len(pages) == -(-N // limit)
    largest = _page(client, path, order=order, limit=max_limit)
    assert [item["id"] for item in largest["data"]] == expected[:max_limit]
    assert largest["has_more"] is (max_limit < N)
    default = _page(client, path, order=order)
    assert len(default["data"]) == min(N, 20 if max_limit == 100 else 10_000)


@pytest.mark.parametrize("order", ["desc", "asc"])
@pytest.mark.parametrize("name", ["assistants", "vector store files"])
def test_before_walks_back_over_every_object_once(
    populated: tuple[httpx2.Client, dict[str, Any]], name: str, order: str
) -> None:
    client, world = populated
    template, kind, _ = LISTS[name]
    path = template.format(vs=world["vs"])
    expected = world[kind] if order == "asc" else world[kind][::-1]
    for limit in (1, 7, 100):
        pages = walk_before(client, path, order, limit, end=expected[-1])
        assert [i for page in reversed(pages) for i in page] + [expected[-1]] == expected
        assert all(len(page) == limit for page in pages[:-1])


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_after_and_before_together_bound_a_window(
    populated: tuple[httpx2.Client, dict[str, Any]], order: str
) -> None:
    client, world = populated
    ids = world["assistants"] if order == "asc" else world["assistants"][::-1]
    window = _page(client, "/v1/assistants", order=order, after=ids[10], before=ids[20], limit=100)
    assert [a["id"] for a in window["data"]] == ids[11:20] and window["has_more"] is False
    clipped = _page(client, "/v1/assistants", order=order, after=ids[10], before=ids[20], limit=4)
    assert [a["id"] for a in clipped["data"]] == ids[11:15] and clipped["has_more"] is True


def test_pages_past_either_end_are_empty_with_null_cursors(
    populated: tuple[httpx2.Client, dict[str, Any]],
) -> None:
    client, world = populated
    ids = world["assistants"]
    for query in (
        {"order": "asc", "after": ids[-1]},
        {"order": "desc", "after": ids[0]},
        {"order": "asc", "before": ids[0]},
        {"order": "desc", "before": ids[-1]},
    ):
        body = _page(client, "/v1/assistants", **query)
        assert body["data"] == [] and body["first_id"] is None and body["has_more"] is False


def test_files_have_no_before_and_filter_by_purpose(populated: tuple[httpx2.Client, dict[str, Any]]) -> None:
    client, world = populated
    ids = world["files"]
    ignored = _page(client, "/v1/files", order="asc", limit=5, before=ids[3])
    assert [f["id"] for f in ignored["data"]] == ids[:5]
    assert _page(client, "/v1/files", purpose="batch")["data"] == []
    assert len(_page(client, "/v1/files", purpose="assistants", limit=300)["data"]) == N


def test_a_cursor_deleted_between_pages_still_marks_its_place(tmp_path: Path) -> None:
    with raw(tmp_path / "sandbox") as client:
        ids = [client.post("/v1/assistants", json={"model": "m"}).json()["id"] for _ in range(10)]
        first = _page(client, "/v1/assistants", order="asc", limit=4)
        assert client.delete(f"/v1/assistants/{first['last_id']}").status_code == 200
        rest = _page(client, "/v1/assistants", order="asc", limit=10, after=first["last_id"])
        assert [a["id"] for a in rest["data"]] == ids[4:]


@pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)
def test_sdk_auto_pagination_sees_every_object(populated: tuple[httpx2.Client, dict[str, Any]]) -> None:
    _, world = populated
    client = sdk(http_client(world["data_dir"]))
    assert [a.id for a in client.beta.assistants.list(limit=100, order="asc")] == world["assistants"]
    assert [f.id for f in client.vector_stores.files.list(world["vs"], limit=33)] == world["files"][::-1]
    assert [f.id for f in client.files.list(limit=50, order="asc")] == world["files"]


def test_an_index_built_at_once_equals_one_built_by_adding() -> None:
    entries = [("c", (5, 3)), ("a", (1, 9)), ("b", (5, 1)), ("a", (7, 2)), ("d", (0, 4))]
    added = OrderedIndex()
    for id_, key in entries:
        added.add(id_, key)
    built = OrderedIndex.of(entries)
    assert list(built) == list(added) == ["d", "b", "c", "a"]
    assert [built.cursor_key(i) for i in "abcd"] == [added.cursor_key(i) for i in "abcd"]
    assert built.page(limit=2, order="asc", after=(1, 9)).ids == ["b", "c"]

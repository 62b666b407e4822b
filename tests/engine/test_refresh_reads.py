"""How refresh reads: list or GET per kind by the account size seen last, the probe folded into
reads, file lists of vector stores, a 429 pausing every request, and the hint kept in state."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import httpx2
import openai
import pytest

from assistplan.errors import EndpointRetiredError, RemoteError
from assistplan.plan.refresh import Reader
from assistplan.remote.api import Remote, connect, retry_after
from assistplan.remote.client import resolve_endpoint
from assistplan.sandbox import SANDBOX_BASE_URL, Faults, http_client, open_store
from assistplan.state.model import ResourceState, State

BETA = {"OpenAI-Beta": "assistants=v2"}
AUTH = {"Authorization": "Bearer sk-test"}


def make_remote(data: Path, faults: Faults | None = None, parallelism: int = 10) -> Remote:
    client = openai.OpenAI(
        api_key="sk-test", base_url=SANDBOX_BASE_URL, http_client=http_client(data, faults)
    )
    return Remote(client, "sandbox", parallelism=parallelism)


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A sandbox holding 250 assistants (oldest first) and nothing else."""
    data = tmp_path_factory.mktemp("sandbox")
    with http_client(data) as client:
        client.headers.update(AUTH)
        ids = []
        for i in range(250):
            r = client.post("/v1/assistants", json={"model": "gpt-4.1", "name": f"a{i}"}, headers=BETA)
            ids.append(r.json()["id"])
    return data, ids


def state_of(ids: list[str], sizes: dict[str, int] | None = None) -> State:
    state = State(endpoint="sandbox", account_sizes=dict(sizes or {}))
    for n, rid in enumerate(ids):
        state.put(ResourceState(address=f"assistant.m{n}", type="assistant", remote_id=rid))
    return state


def requests(data: Path) -> dict[str, int]:
    return open_store(data).stats.snapshot()["requests"]


def test_few_managed_in_a_big_account_are_read_one_get_each(account):
    data, ids = account
    remote = make_remote(data)
    open_store(data).stats.reset()
    out = Reader(remote, state_of(ids[:3], {"assistant": 250})).refresh({})
    assert set(out.actual) == {"assistant.m0", "assistant.m1", "assistant.m2"} and not out.missing
    assert remote.calls == 3  # no listing, and no probe: the GETs answered
    assert requests(data) == {"GET /v1/assistants/{assistant_id}": 3}


def test_many_managed_are_listed_in_the_fewest_pages(account):
    data, ids = account
    remote = make_remote(data)
    open_store(data).stats.reset()
    out = Reader(remote, state_of(ids[:200], {"assistant": 250})).refresh({})
    assert len(out.actual) == 200 and not out.missing
    assert requests(data) == {"GET /v1/assistants": 3}  # 250 objects, 100 a page; the first page is the probe
    assert out.account_sizes == {"assistant": 250}


def test_without_a_hint_listing_stops_when_gets_are_cheaper_and_learns_the_size(account):
    data, ids = account
    remote = make_remote(data)
    out = Reader(remote, state_of(ids[:3])).refresh({})  # the oldest three: on the last page
    assert len(out.actual) == 3
    assert remote.calls <= 6  # never more than twice the GETs it could have made
    assert out.account_sizes["assistant"] >= 3
    again = make_remote(data)
    Reader(again, state_of(ids[:3], out.account_sizes)).refresh({})
    assert again.calls <= 3 + 1


def test_a_missing_assistant_read_by_get_is_reported_after_one_probe(account):
    data, ids = account
    remote = make_remote(data)
    open_store(data).stats.reset()
    out = Reader(remote, state_of([ids[0], "asst_gone"], {"assistant": 250})).refresh({})
    assert out.missing == {"assistant.m1"} and set(out.actual) == {"assistant.m0"}
    assert requests(data) == {"GET /v1/assistants": 1, "GET /v1/assistants/{assistant_id}": 2}


@pytest.mark.parametrize("hint", [{"assistant": 250}, {}], ids=["listing", "gets"])
def test_one_read_at_a_time_reads_in_this_thread_what_side_by_side_reads_read(account, hint):
    data, ids = account
    managed = [ids[0], ids[120], "asst_gone", ids[249]]
    reads = {}
    for parallelism in (1, 10):
        remote = make_remote(data, parallelism=parallelism)
        threads: set[int] = set()
        hook = functools.partial(lambda seen, _request: seen.add(threading.get_ident()), threads)
        remote.client._client.event_hooks["request"].append(hook)
        out = Reader(remote, state_of(managed, dict(hint)), parallelism).refresh({})
        reads[parallelism] = ({a: x.remote_id for a, x in out.actual.items()}, out.missing, remote.calls)
        assert (threads == {threading.get_ident()}) == (parallelism == 1), threads
    assert reads[1] == reads[10]
    assert reads[1][1] == {"assistant.m2"} and len(reads[1][0]) == 3


def test_a_retired_endpoint_is_told_apart_from_deleted_objects(account):
    data, ids = account
    remote = make_remote(data, Faults(retired=frozenset({"assistants"})))
    with pytest.raises(EndpointRetiredError):
        Reader(remote, state_of(ids[:2], {"assistant": 250})).refresh({})
    with pytest.raises(EndpointRetiredError):
        Reader(make_remote(data, Faults(retired=frozenset({"assistants"}))), state_of(ids[:50])).refresh({})


def test_store_file_lists_start_from_state_and_a_deleted_store_is_just_missing(tmp_path):
    data = tmp_path / "sandbox"
    with http_client(data) as client:
        client.headers.update(AUTH)
        f = client.post("/v1/files", files={"file": ("a.txt", b"hello")}, data={"purpose": "assistants"})
        file_id = f.json()["id"]
        vs = client.post("/v1/vector_stores", json={"name": "s", "file_ids": [file_id]}, headers=BETA).json()
    state = State(endpoint="sandbox")
    state.put(ResourceState("file.a", "file", file_id, {"sha256": "x"}))
    state.put(ResourceState("vector_store.s", "vector_store", vs["id"], {"file_ids": ["file.a"]}))
    state.put(ResourceState("vector_store.gone", "vector_store", "vs_gone", {"file_ids": ["file.a"]}))
    out = Reader(make_remote(data), state).refresh({})
    assert out.missing == {"vector_store.gone"}
    assert out.actual["vector_store.s"].attrs["file_ids"] == ["file.a"]


def test_one_get_per_object_strategy_never_lists(account):
    data, ids = account
    remote = make_remote(data)
    open_store(data).stats.reset()
    Reader(remote, state_of(ids[:20], {"assistant": 250}), strategy="get").refresh({})
    assert requests(data) == {"GET /v1/assistants/{assistant_id}": 20}


def test_account_sizes_are_kept_in_state_only_when_known():
    state = State(endpoint="sandbox")
    assert "account_sizes" not in state.to_json()
    state.account_sizes = {"assistant": 12, "file": 3}
    back = State.loads(state.dumps())
    assert back.account_sizes == {"assistant": 12, "file": 3}
    assert State.from_json({**state.to_json(), "account_sizes": {"file": -1, "x": "y"}}).account_sizes == {}


def test_retry_after_headers():
    assert retry_after(httpx2.Headers({"retry-after-ms": "250"})) == 0.25
    assert retry_after(httpx2.Headers({"retry-after": "2"})) == 2.0
    assert retry_after(httpx2.Headers({"retry-after": "9999"})) == 120.0
    assert retry_after(httpx2.Headers({})) == 1.0


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def mock_remote(handler, clock: FakeTime, max_retries: int = 3) -> Remote:
    client = openai.OpenAI(
        api_key="sk-test",
        base_url="http://api.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        max_retries=max_retries,
    )
    return Remote(client, "mock", parallelism=4, clock=clock.monotonic, sleep=clock.sleep)


def test_a_429_pauses_every_request_not_only_the_one_that_got_it():
    """One 429 with retry-after: 1 s: every request after it, from any thread, is sent only once
    the pause is over. The 429 says `x-should-retry: false`, so no SDK retry (which waits by itself)
    can move the clock: only the pause can."""
    clock = FakeTime()
    lock = threading.Lock()
    sent: dict[str, float] = {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        with lock:
            sent[name] = clock.monotonic()
        if name == "asst_first":
            headers = {"retry-after": "1", "x-should-retry": "false"}
            return httpx2.Response(429, headers=headers, json={"error": {"message": "slow down"}})
        return httpx2.Response(200, json={"id": name, "object": "assistant"})

    remote = mock_remote(handler, clock)
    with pytest.raises(RemoteError, match="slow down"):
        remote.get("assistant", "asst_first", "assistant.first")
    assert remote.rate_limited == 1 and sent == {"asst_first": 0.0}
    others = [f"asst_{i}" for i in range(6)]
    results: dict[str, object] = {}
    start = threading.Barrier(len(others))

    def read(rid: str) -> None:
        start.wait()
        results[rid] = remote.get("assistant", rid, rid)

    workers = [threading.Thread(target=read, args=(rid,)) for rid in others]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert results == {rid: {"id": rid, "object": "assistant"} for rid in others}
    assert {rid: sent[rid] >= 1.0 for rid in others} == dict.fromkeys(others, True)


def test_the_request_that_got_a_429_is_retried_after_the_pause_and_succeeds():
    clock = FakeTime()
    sent: list[tuple[int, float]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append((len(sent), clock.monotonic()))
        if len(sent) == 1:  # retry-after-ms keeps the SDK's own (real) wait before its retry short
            return httpx2.Response(429, headers={"retry-after-ms": "5"}, json={"error": {"message": "slow"}})
        return httpx2.Response(200, json={"id": "asst_x", "object": "assistant"})

    remote = mock_remote(handler, clock)
    assert remote.get("assistant", "asst_x", "a") == {"id": "asst_x", "object": "assistant"}
    assert remote.rate_limited == 1
    assert sent == [(0, 0.0), (1, 0.005)]


@pytest.mark.parametrize("sizes", [{"assistant": 250}, {}], ids=["by GETs", "by listing"])
def test_progress_hears_every_managed_object_read(account, sizes):
    data, ids = account
    heard: list[tuple[int, int]] = []
    state = state_of([*ids[:40], "asst_gone"], sizes)
    Reader(make_remote(data), state, progress=lambda read, total: heard.append((read, total))).refresh({})
    assert heard[0] == (0, 41)  # at the start: what there is to read
    assert {t for _, t in heard} == {41}
    reads = [r for r, _ in heard]
    assert reads == sorted(reads) and reads[-1] >= 40  # a missing object counts when its GET answers


@pytest.mark.parametrize(
    ("env", "at_once"),
    [
        ({}, 1),  # the in-process sandbox answers without waiting: side by side overlaps nothing
        ({"ASSISTPLAN_SANDBOX_LATENCY_MS": "5"}, 16),
        ({"ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE": "0.1"}, 16),  # retried after a pause
        ({"ASSISTPLAN_SANDBOX_ERROR_RATE": "0.1"}, 16),
    ],
)
def test_refresh_reads_side_by_side_only_where_requests_can_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], at_once: int
) -> None:
    for var in (
        "ASSISTPLAN_SANDBOX_LATENCY_MS",
        "ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE",
        "ASSISTPLAN_SANDBOX_ERROR_RATE",
    ):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    endpoint = resolve_endpoint(sandbox=True, base_url=None, config_base_url=None, config_dir=tmp_path)
    remote = connect(endpoint, parallelism=16)
    assert Reader(remote, State(), 16).pool_size == at_once


def test_refresh_of_a_remote_endpoint_reads_side_by_side(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    endpoint = resolve_endpoint(
        sandbox=False, base_url="http://127.0.0.1:9/v1", config_base_url=None, config_dir=tmp_path
    )
    assert Reader(connect(endpoint, parallelism=16), State(), 16).pool_size == 16

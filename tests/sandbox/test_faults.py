"""Fault injection (DESIGN.md section 7): settings, seeded 500s and 429s, latency, retired paths, stats."""

from __future__ import annotations

import logging
import random
import threading
from pathlib import Path

import httpx2
import openai
import pytest

from assistplan.sandbox import Faults, http_client, make_app
from assistplan.sandbox.client import SANDBOX_ORIGIN

from .helpers import AUTH, IGNORE_ASSISTANTS_DEPRECATION, error_of, raw, sdk, snapshot

# --- settings ------------------------------------------------------------------------------------


def test_faults_are_read_from_the_environment() -> None:
    env = {
        "ASSISTPLAN_SANDBOX_LATENCY_MS": "25",
        "ASSISTPLAN_SANDBOX_ERROR_RATE": "0.1",
        "ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE": "0.05",
        "ASSISTPLAN_SANDBOX_SEED": "7",
        "ASSISTPLAN_SANDBOX_RETIRED": "assistants",
    }
    assert Faults.from_env(env) == Faults(25, 0.1, 0.05, 7, frozenset({"assistants"}))
    assert Faults.from_env({}) == Faults()
    assert Faults.from_env({"ASSISTPLAN_SANDBOX_RETIRED": ""}).retired == frozenset()


def test_a_setting_that_is_given_wins_over_its_env_var() -> None:
    env = {"ASSISTPLAN_SANDBOX_ERROR_RATE": "0.5", "ASSISTPLAN_SANDBOX_SEED": "1"}
    faults = Faults.from_env(env, error_rate=0.0, seed=None, latency_ms=3, retired=None)
    assert faults == Faults(latency_ms=3, error_rate=0.0, seed=1)
    assert Faults.from_env(env, retired=frozenset({"assistants"})).retired == {"assistants"}


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("ASSISTPLAN_SANDBOX_LATENCY_MS", "-5"),
        ("ASSISTPLAN_SANDBOX_LATENCY_MS", "fast"),
        ("ASSISTPLAN_SANDBOX_ERROR_RATE", "1.5"),
        ("ASSISTPLAN_SANDBOX_ERROR_RATE", "ten percent"),
        ("ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE", "-0.1"),
        ("ASSISTPLAN_SANDBOX_SEED", "0.5"),
        ("ASSISTPLAN_SANDBOX_RETIRED", "threads"),
    ],
)
def test_a_bad_env_value_is_a_clear_error(var: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{var} must be .*, got '{value}'$"):
        Faults.from_env({var: value})


def test_rates_must_leave_room_for_success() -> None:
    with pytest.raises(ValueError, match="must not exceed 1"):
        Faults(error_rate=0.6, rate_limit_rate=0.6)


# --- 500s and 429s -------------------------------------------------------------------------------


def _statuses(faults: Faults, n: int, data_dir: Path | None = None) -> list[int]:
    with raw(data_dir, faults) as client:
        return [client.get("/v1/files").status_code for _ in range(n)]


def test_seeded_errors_come_at_the_configured_rate_and_reproducibly() -> None:
    faults = Faults(error_rate=0.25, rate_limit_rate=0.1, seed=42)
    first = _statuses(faults, 400)
    assert first == _statuses(faults, 400)
    assert first != _statuses(Faults(error_rate=0.25, rate_limit_rate=0.1, seed=43), 400)
    # Binomial(400, 0.25): mean 100, sd 8.7; Binomial(400, 0.1): mean 40, sd 6.
    assert 70 <= first.count(500) <= 130
    assert 20 <= first.count(429) <= 60
    assert first.count(200) == 400 - first.count(500) - first.count(429)


def test_a_500_and_a_429_look_like_openais() -> None:
    with raw(None, Faults(error_rate=1)) as client:
        failed = client.get("/v1/files")
    assert failed.status_code == 500 and error_of(failed)["type"] == "server_error"
    with raw(None, Faults(rate_limit_rate=1)) as client:
        limited = client.get("/v1/files")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert error_of(limited)["type"] == "requests" and error_of(limited)["code"] == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError):
        sdk(http_client(None, Faults(rate_limit_rate=1))).files.list()
    with pytest.raises(openai.InternalServerError):
        sdk(http_client(None, Faults(error_rate=1))).files.list()


@pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)
@pytest.mark.parametrize("faults", [Faults(error_rate=1), Faults(rate_limit_rate=1)], ids=["500", "429"])
def test_a_faulted_request_changes_nothing(tmp_path: Path, faults: Faults) -> None:
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client:
        asst = client.post("/v1/assistants", json={"model": "m"}).json()["id"]
    before = snapshot(data_dir)
    with raw(data_dir, faults) as client:
        assert client.post("/v1/assistants", json={"model": "m"}).status_code in (500, 429)
        assert client.delete(f"/v1/assistants/{asst}").status_code in (500, 429)
        assert client.post("/v1/vector_stores", json={}).status_code in (500, 429)
    assert snapshot(data_dir) == before


def test_the_sdk_waits_for_retry_after_and_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    # A seed whose first draw is a 429 and whose second is a success.
    seed = next(s for s in range(1000) if (r := random.Random(s)).random() < 0.5 <= r.random())
    http = http_client(None, Faults(rate_limit_rate=0.5, seed=seed))
    answers: list[tuple[int, str | None]] = []
    http.event_hooks["response"].append(
        lambda r: answers.append((r.status_code, r.headers.get("retry-after")))
    )
    caplog.set_level(logging.INFO, logger="openai")
    assert sdk(http, max_retries=2).files.list().data == []
    assert answers == [(429, "1"), (200, None)]
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying request in")]
    assert waits == ["Retrying request in 1.000000 seconds (retry 1 of 2)"]  # the SDK's own word for it


# --- latency -------------------------------------------------------------------------------------


def test_latency_delays_each_request_and_parallel_requests_overlap() -> None:
    """Each request sleeps the latency, outside any lock: all eight are in their sleep at once (a
    barrier they only pass together), which requests made one after the other could never be."""
    n = 8
    together = threading.Barrier(n, timeout=30)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        together.wait()

    app = make_app(None, Faults(latency_ms=150), sleep=sleep)
    client = httpx2.Client(transport=httpx2.WSGITransport(app=app), base_url=SANDBOX_ORIGIN, headers=AUTH)
    statuses: list[int] = []

    def call() -> None:
        statuses.append(client.get("/v1/files").status_code)

    threads = [threading.Thread(target=call) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * n and slept == [0.15] * n
    assert not together.broken


# --- retired paths -------------------------------------------------------------------------------


@pytest.mark.filterwarnings(IGNORE_ASSISTANTS_DEPRECATION)
def test_retired_assistants_answer_404_like_openai_while_the_rest_works(tmp_path: Path) -> None:
    faults = Faults.from_env({"ASSISTPLAN_SANDBOX_RETIRED": "assistants"})
    with raw(tmp_path / "sandbox", faults) as client:
        for method, path in [
            ("GET", "/v1/assistants"),
            ("POST", "/v1/assistants"),
            ("GET", "/v1/assistants/asst_abc"),
            ("DELETE", "/v1/assistants/asst_abc"),
        ]:
            response = client.request(method, path, json={"model": "m"} if method == "POST" else None)
            assert response.status_code == 404
            assert error_of(response)["message"] == f"Invalid URL ({method} {path})"
        assert client.get("/v1/files").status_code == 200
        assert client.post("/v1/vector_stores", json={}).status_code == 200
    with pytest.raises(openai.NotFoundError):
        sdk(http_client(tmp_path / "sandbox", faults)).beta.assistants.list()


# --- stats ---------------------------------------------------------------------------------------


def test_stats_count_requests_by_route_template_and_reset(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    with raw(data_dir) as client, raw(data_dir, Faults(error_rate=1)) as faulty:
        client.post("/_sandbox/stats/reset")
        asst = client.post("/v1/assistants", json={"model": "m"}).json()["id"]
        client.get(f"/v1/assistants/{asst}")
        client.get("/v1/assistants/asst_missing")
        faulty.get(f"/v1/assistants/{asst}")  # another app, same store: counted, although it failed
        client.get("/v1/files", headers={"Authorization": ""})
        stats = client.get("/_sandbox/stats", headers={"Authorization": ""})
        assert stats.status_code == 200
        assert stats.json() == {
            "total": 5,
            "requests": {
                "POST /v1/assistants": 1,
                "GET /v1/assistants/{assistant_id}": 3,
                "GET /v1/files": 1,
            },
        }
        reset = client.post("/_sandbox/stats/reset")
        assert reset.json() == {"total": 0, "requests": {}}
        assert client.get("/_sandbox/stats").json()["total"] == 0
        assert client.get("/_sandbox/nothing").status_code == 404


def test_stats_belong_to_one_store(tmp_path: Path) -> None:
    one, other = make_app(tmp_path / "one"), make_app(tmp_path / "other")
    assert make_app(tmp_path / "one").store is one.store  # one store per data dir and process
    assert make_app(None).store is not make_app(None).store
    with raw(tmp_path / "one") as client:
        client.get("/v1/files", headers=AUTH)
    assert one.store.stats.snapshot() == {"total": 1, "requests": {"GET /v1/files": 1}}
    assert other.store.stats.snapshot()["total"] == 0

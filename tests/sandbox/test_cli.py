"""``assistplan sandbox serve``: announcement, token, fault flags and env vars, big uploads."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner

from assistplan.cli.sandbox_cmd import sandbox

from .dump import HEADERS
from .helpers import serve_process, served_process


@contextmanager
def serving(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[httpx2.Client]:
    with (
        served_process(data_dir, *args, env=env) as url,
        httpx2.Client(base_url=url.removesuffix("/v1"), headers=HEADERS, timeout=30) as client,
    ):
        yield client


def test_serve_announces_its_url_and_defaults_to_loopback_and_the_project_data_dir(tmp_path: Path) -> None:
    code = "import sys; from assistplan.cli.sandbox_cmd import sandbox; sandbox(sys.argv[1:])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", "0"], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        data_dir = re.escape(str(tmp_path / ".assistplan" / "sandbox"))
        announced = rf"assistplan sandbox listening on http://127\.0\.0\.1:(\d+)/v1 \(data: {data_dir}\)$"
        match = re.match(announced, line)
        assert match, line
        foundry = f"Azure AI Foundry projects: http://127.0.0.1:{match.group(1)}/api/projects/NAME\n"
        assert proc.stdout.readline() == foundry
        with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=5):
            pass
        assert (tmp_path / ".assistplan" / "sandbox" / "sandbox.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0


def test_with_a_token_only_that_token_is_accepted(tmp_path: Path) -> None:
    with serving(tmp_path / "sandbox", "--token", "s3cret") as client:
        assert client.get("/v1/files", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        wrong = client.get("/v1/files")
        assert wrong.status_code == 401 and "sk-dump" not in wrong.text
        assert client.get("/v1/files", headers={"Authorization": ""}).status_code == 401


def test_fault_flags_win_over_env_vars(tmp_path: Path) -> None:
    env = {"ASSISTPLAN_SANDBOX_ERROR_RATE": "1", "ASSISTPLAN_SANDBOX_RETIRED": "assistants"}
    with serving(tmp_path / "sandbox", "--error-rate", "0", "--latency-ms", "120", env=env) as client:
        assert client.get("/v1/files").status_code == 200  # the flag's 0 beat the env's 1
        faults = client.get("/_sandbox/faults").json()
        assert (faults["error_rate"], faults["latency_ms"], faults["retired"]) == (0, 120, ["assistants"])
        retired = client.get("/v1/assistants")  # the env var applies where no flag is given
        assert (
            retired.status_code == 404
            and retired.json()["error"]["message"] == "Invalid URL (GET /v1/assistants)"
        )


def test_retire_and_rate_limit_flags(tmp_path: Path) -> None:
    with serving(
        tmp_path / "sandbox", "--retire", "assistants", "--rate-limit-rate", "1", "--seed", "3"
    ) as client:
        assert client.get("/v1/assistants").status_code == 404
        limited = client.get("/v1/vector_stores")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        stats = client.get("/_sandbox/stats").json()
        assert stats["requests"] == {"GET /v1/assistants": 1, "GET /v1/vector_stores": 1}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--error-rate", "2"], {}, "--error-rate"),
        (["--retire", "files"], {}, "--retire"),
        ([], {"ASSISTPLAN_SANDBOX_SEED": "abc"}, "ASSISTPLAN_SANDBOX_SEED must be an integer, got 'abc'"),
        (["--error-rate", "0.7", "--rate-limit-rate", "0.7"], {}, "must not exceed 1"),
        ([], {"ASSISTPLAN_SANDBOX_PROCESSING_MS": "later"}, "ASSISTPLAN_SANDBOX_PROCESSING_MS must be"),
    ],
)
def test_bad_settings_are_usage_errors(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(sandbox, ["serve", "--data", str(tmp_path / "d"), *args], env=env)
    assert result.exit_code == 2 and message in result.output


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(sandbox, ["serve", "--port", str(port), "--data", str(tmp_path / "d")])
    assert result.exit_code == 1 and f"cannot serve on 127.0.0.1:{port}" in result.output


def test_an_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(sandbox, ["serve", "--port", "0", "--data", str(blocker / "sandbox")])
    assert result.exit_code == 1 and "as the sandbox's data dir" in result.output


def _peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert match
    return int(match.group(1))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_big_upload_streams_to_disk_instead_of_memory(tmp_path: Path) -> None:
    size = 96 * 1024 * 1024
    source = tmp_path / "big.txt"
    with source.open("wb") as out:
        out.truncate(size)
    data_dir = tmp_path / "sandbox"
    proc, url = serve_process(data_dir)
    try:
        baseline = _peak_rss_kib(proc.pid)
        with (
            httpx2.Client(base_url=url.removesuffix("/v1"), headers=HEADERS, timeout=60) as client,
            source.open("rb") as stream,
        ):
            uploaded = client.post(  # a purpose whose content can be read back
                "/v1/files", data={"purpose": "user_data"}, files={"file": ("big.txt", stream)}
            )
            assert uploaded.status_code == 200, uploaded.text
            assert uploaded.json()["bytes"] == size
            with client.stream("GET", f"/v1/files/{uploaded.json()['id']}/content") as content:
                assert sum(len(chunk) for chunk in content.iter_bytes()) == size
        growth_mib = (_peak_rss_kib(proc.pid) - baseline) / 1024
        assert growth_mib < 48, f"the server grew by {growth_mib:.0f} MiB for a 96 MiB upload"
        blobs = os.listdir(data_dir / "blobs")
        assert blobs == [uploaded.json()["id"]]  # no spooled temp file left behind
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0

"""Each benchmark harness runs in its quickest mode and prints the JSON it promises.

Only the shape is checked (and the invariants the harness itself verifies); the figures are
measured by running the benchmarks, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_plan_harness() -> None:
    out = run("bench_plan.py", "--quick", "--latency-ms", "5")
    assert out["benchmark"] == "plan"
    assert set(out["fewest_pages"]) >= {"files", "vector_stores", "assistants", "vector_store_files", "total"}
    for key in ("critical_path_s", "throughput_bound_s", "sequential_pages", "speedup"):
        assert isinstance(out[key], int | float)
    plan = out["plan"]
    assert {"api_calls", "http_requests", "wall_s", "calls_vs_fewest", "wall_vs_critical_path"} <= set(plan)
    assert plan["api_calls"] >= out["fewest_pages"]["total"]
    baseline = out["one_get_per_object"]
    assert baseline["api_calls"] > plan["api_calls"]


def test_apply_harness() -> None:
    out = run("bench_apply.py", "--quick")
    for name in ("clean", "with_429s"):
        r = out[name]
        assert {"apply_s", "bound_s", "apply_vs_bound", "apply_api_calls", "http_429", "state_writes"} <= set(
            r
        )
        assert r["created_once"] is True
    assert out["clean"]["http_429"] == 0


def test_noop_harness() -> None:
    out = run("bench_noop.py", "--quick")
    [size] = out["sizes"]
    assert size["resources"] == 100
    assert len(size["runs_s"]) == 2
    assert {"best_s", "median_s", "ms_per_resource", "setup_apply_s"} <= set(size)


def test_scale_harness() -> None:
    out = run("bench_scale.py", "--quick")
    apply = out["apply"]
    assert {"apply_s", "bound_s", "apply_vs_bound", "apply_api_calls", "journal_records"} <= set(apply)
    assert apply["in_state"] == out["resources"] == 100
    assert apply["state_documents"] == 2  # the start and the end; every step in between is a record
    assert len(out["noop_plan_process"]["runs_s"]) == 2
    assert set(out["config_cpu"]) == {"parse_yaml_s", "load_config_s", "build_desired_s"}


def test_startup_harness() -> None:
    out = run("bench_startup.py", "--quick")
    assert out["rounds"] == 3
    assert set(out["median_s"]) == {"python_click_yaml", "version", "help", "validate"}
    assert set(out["bars"]) == {"version", "validate"}
    assert {"cpus", "cpu", "load_avg_1m"} <= set(out["machine"])


def test_upload_harness() -> None:
    out = run("bench_upload.py", "--quick")
    for name in ("sink", "sandbox"):
        r = out[name]
        assert {"file_mb", "baseline_mb", "peak_mb", "growth_mb", "hash_s", "upload_s"} <= set(r)
        assert r["server_got_it_all"] is True


@pytest.mark.parametrize("script", ["genconfig.py"])
def test_genconfig_writes_a_valid_config(tmp_path: Path, script: str) -> None:
    out = run(
        script, str(tmp_path), "--assistants", "3", "--files", "5", "--stores", "2", "--files-per-store", "2"
    )
    assert out["resources"] == 10
    from assistplan.config import load_config

    cfg = load_config(tmp_path / "assistants.yaml")
    assert len(cfg.assistants) == 3 and len(cfg.files) == 5 and len(cfg.vector_stores) == 2


def test_sandbox_harness() -> None:
    out = run("bench_sandbox.py", "--requests", "20", "--resources", "100")
    assert {"in_process", "loopback", "in_process_openai_sdk", "sandbox_cpu"} <= set(out)
    assert out["sandbox_cpu"]["store_open_ms"] > 0 and len(out["sandbox_cpu"]["request_us"]) == 5


def test_schema_harness() -> None:
    out = run("bench_schema.py", "--quick")
    assert out["benchmark"] == "schema"
    assert out["resources"] == 100
    assert isinstance(out["config_schema_ms"], float)
    assert set(out["body_check_us"]) == {
        "CreateAssistantRequest",
        "CreateVectorStoreRequest",
        "CreateUploadRequest",
        "CompleteUploadRequest",
    }

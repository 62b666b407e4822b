"""Apply survives SIGKILL at any point: the next apply converges with no duplicate, no orphan."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.reliability import harness as h

SHAPE = {"files": 20, "stores": 10, "assistants": 20}  # 50 resources
LATENCY = h.env(ASSISTPLAN_SANDBOX_LATENCY_MS="4")
POINTS = 20


@pytest.fixture(scope="module")
def full_apply_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    root = tmp_path_factory.mktemp("measure")
    h.generate(root, **SHAPE)
    started = time.monotonic()
    done = h.run(root, "apply", "--auto-approve", environ=LATENCY)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


@pytest.mark.parametrize("point", range(POINTS))
def test_kill_at_any_point_then_apply_converges(
    point: int, tmp_path: Path, full_apply_seconds: float
) -> None:
    rng = random.Random(1000 + point)
    delay = rng.uniform(0.3, full_apply_seconds * 0.95)  # process start-up is ~0.3 s of it
    counts = h.generate(tmp_path, **SHAPE)
    proc = h.start(tmp_path, "apply", "--auto-approve", environ=LATENCY)
    h.kill_after(proc, delay)
    if (tmp_path / ".assistplan" / "state.json").exists():
        h.state(tmp_path)  # never corrupt: parses whatever the moment of the kill
    h.force_unlock_if_locked(tmp_path)
    again = h.run(tmp_path, "apply", "--auto-approve", environ=LATENCY)
    assert again.returncode == 0, again.stdout + again.stderr
    h.assert_converged(tmp_path, counts)

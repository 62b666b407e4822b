"""Apply survives SIGKILL at any point: the next apply converges with no duplicate, no orphan.

Kill points are requests, not moments: the sandbox (served on loopback behind a gate) holds
the apply at its n-th write request, before or after carrying it out, and the apply is killed
there, so every kill point is sure to interrupt it (a kill timed by the clock may come after
the apply has finished and test nothing).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistplan.sandbox import Faults
from tests.reliability import harness as h

SHAPE = {"files": 20, "stores": 10, "assistants": 20}  # 50 resources
LATENCY = Faults(latency_ms=4)  # keeps several requests in flight when the apply is stopped
POINTS = 20


@pytest.fixture(scope="module")
def writes_of_a_full_apply(tmp_path_factory: pytest.TempPathFactory) -> int:
    root = tmp_path_factory.mktemp("measure")
    h.generate(root, **SHAPE)
    with h.gated_sandbox(root, LATENCY) as (gate, url):
        gate.stop_at(None)  # count only
        done = h.run(root, "apply", "--auto-approve", base_url=url)
        assert done.returncode == 0, done.stderr
        return gate.counted


@pytest.mark.parametrize("point", range(POINTS))
def test_kill_at_any_point_then_apply_converges(
    point: int, tmp_path: Path, writes_of_a_full_apply: int
) -> None:
    rng = random.Random(1000 + point)
    stop_at = rng.randint(1, writes_of_a_full_apply)
    answered = rng.random() < 0.5  # the write was carried out, but the apply never hears so
    counts = h.generate(tmp_path, **SHAPE)
    with h.gated_sandbox(tmp_path, LATENCY) as (gate, url):
        gate.stop_at(stop_at, answered=answered)
        h.kill_held_apply(tmp_path, gate, url, f"the apply made fewer than {stop_at} writes")
        if (tmp_path / ".assistplan" / "state.json").exists():
            h.state(tmp_path)  # never corrupt: parses whatever the moment of the kill
        h.force_unlock_if_locked(tmp_path, url)
        again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert again.returncode == 0, again.stdout + again.stderr
        h.assert_converged(tmp_path, counts, url)

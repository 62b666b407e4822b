"""Under injected 500s, 429s and latency, apply converges with every object created once."""

from __future__ import annotations

from pathlib import Path

from tests.reliability import harness as h


def test_apply_of_100_resources_converges_under_500s_and_429s(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, files=40, stores=20, assistants=40)
    faulty = h.env(
        ASSISTPLAN_SANDBOX_ERROR_RATE="0.1",
        ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE="0.1",
        ASSISTPLAN_SANDBOX_SEED="7",
        ASSISTPLAN_SANDBOX_LATENCY_MS="2",
        # One attempt in 5 fails: with the default budget (6 retries) one of the ~140 requests
        # failing 7 times running (0.2^7 each) stopped the apply about once in 500 runs. That case
        # is the next test's; here every request gets through, so the apply must converge.
        ASSISTPLAN_MAX_RETRIES="20",
    )
    done = h.run(tmp_path, "apply", "--auto-approve", "--parallelism", "8", environ=faulty)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    h.assert_converged(tmp_path, counts)


def test_a_request_that_fails_for_good_stops_cleanly_and_says_how_to_continue(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, files=6, stores=2, assistants=4)
    broken = h.env(ASSISTPLAN_SANDBOX_ERROR_RATE="1", ASSISTPLAN_MAX_RETRIES="1")
    failed = h.run(tmp_path, "apply", "--auto-approve", environ=broken)
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert "HTTP 500" in failed.stderr
    good = h.run(tmp_path, "apply", "--auto-approve")
    assert good.returncode == 0, good.stderr
    h.assert_converged(tmp_path, counts)


def test_half_done_apply_keeps_what_succeeded(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, files=10, stores=4, assistants=8)
    # Seeded faults; the first seed whose run gets past planning and fails part way through apply.
    for seed in range(20):
        flaky = h.env(
            ASSISTPLAN_SANDBOX_ERROR_RATE="0.15",
            ASSISTPLAN_SANDBOX_SEED=str(seed),
            ASSISTPLAN_MAX_RETRIES="0",
        )
        first = h.run(tmp_path, "apply", "--auto-approve", environ=flaky)
        if "apply stopped" in first.stderr:
            break
    else:
        raise AssertionError("no seed made apply stop part way")
    assert first.returncode == 1
    assert "State was saved for everything that succeeded" in first.stderr
    assert "`assistplan --sandbox apply` to continue" in first.stderr
    recorded = {a: rs["remote_id"] for a, rs in h.state(tmp_path)["resources"].items() if rs["remote_id"]}
    assert recorded
    inv = h.inventory(tmp_path)
    remote = {o["id"] for kind in inv.values() for o in kind}
    assert set(recorded.values()) <= remote  # state never names an object that does not exist
    good = h.run(tmp_path, "apply", "--auto-approve")
    assert good.returncode == 0, good.stderr
    h.assert_converged(tmp_path, counts)
    after = {a: rs["remote_id"] for a, rs in h.state(tmp_path)["resources"].items()}
    assert all(after[a] == rid for a, rid in recorded.items())  # nothing that succeeded was redone

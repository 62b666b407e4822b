"""Two applies at once never both write; apply refuses to act on an object changed since its plan."""

from __future__ import annotations

import warnings
from pathlib import Path

from tests.reliability import harness as h


def test_a_second_apply_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    """The first apply is held at its first request (the lock in hand) while the second runs: the
    overlap is made, not hoped for."""
    counts = h.generate(tmp_path, files=10, stores=4, assistants=10)
    with h.gated_sandbox(tmp_path) as (gate, url):
        gate.stop_at(1, any_request=True)
        first = h.start(tmp_path, "apply", "--auto-approve", base_url=url)
        try:
            assert gate.stopped.wait(120)
            second = h.run(tmp_path, "apply", "--auto-approve", base_url=url, timeout=120)
        finally:
            gate.release(drop=False)
            out1, err1 = first.communicate(timeout=300)
        assert first.returncode == 0, out1 + err1
        assert second.returncode == 1, second.stdout + second.stderr
        loser = second.stderr
        assert "is locked by another run" in loser and "operation apply" in loser and "who " in loser
        assert f"(pid {first.pid})" in loser and "force-unlock" in loser
        h.assert_converged(tmp_path, counts, url)


def test_lock_timeout_serialises_two_applies(tmp_path: Path) -> None:
    """The second apply says it waits for the first (held at its first request meanwhile), then
    finds the first's work done."""
    counts = h.generate(tmp_path, files=6, stores=2, assistants=6)
    with h.gated_sandbox(tmp_path) as (gate, url):
        gate.stop_at(1, any_request=True)
        args = ("apply", "--auto-approve", "--lock-timeout", "2m")
        first = h.start(tmp_path, *args, base_url=url)
        second = None
        try:
            assert gate.stopped.wait(120)
            second = h.start(tmp_path, *args, base_url=url)
            assert second.stderr is not None
            said = second.stderr.readline()  # blocks until the second says something
            assert said.startswith("Waiting up to 120s for the state lock, held by another run: "), said
            assert "operation apply, who " in said and f"(pid {first.pid})" in said
        finally:
            gate.release(drop=False)
            results = [p.communicate(timeout=300) for p in (first, second) if p is not None]
        assert [first.returncode, second.returncode] == [0, 0], results
        assert "No changes." not in results[0][0] and "No changes." in results[1][0]  # saw the first's work
        h.assert_converged(tmp_path, counts, url)


def test_saved_plan_refuses_an_object_changed_since_the_plan(tmp_path: Path) -> None:
    h.generate(tmp_path, files=2, stores=1, assistants=2)
    assert h.run(tmp_path, "apply", "--auto-approve").returncode == 0
    (tmp_path / "assistants.yaml").write_text(
        (tmp_path / "assistants.yaml").read_text().replace("Assistant number 0.", "Assistant zero.")
    )
    assert h.run(tmp_path, "plan", "--out", "tfplan").returncode == 0
    a0 = h.state(tmp_path)["resources"]["assistant.a0"]["remote_id"]
    client = h.sdk(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client.beta.assistants.update(a0, instructions="changed by a colleague")
    r = h.run(tmp_path, "apply", "tfplan")
    assert r.returncode == 1
    assert "assistant.a0 changed (instructions) since the plan was made" in r.stderr
    assert "re-run `assistplan --sandbox plan`" in r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert client.beta.assistants.retrieve(a0).instructions == "changed by a colleague"

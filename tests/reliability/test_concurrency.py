"""Two applies at once never both write; apply refuses to act on an object changed since its plan."""

from __future__ import annotations

import warnings
from pathlib import Path

from tests.reliability import harness as h


def test_two_concurrent_applies_one_waits_or_fails_with_the_holder(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, files=10, stores=4, assistants=10)
    slow = h.env(ASSISTPLAN_SANDBOX_LATENCY_MS="20")
    first = h.start(tmp_path, "apply", "--auto-approve", environ=slow)
    second = h.start(tmp_path, "apply", "--auto-approve", environ=slow)
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 1], (out1, err1, out2, err2)
    loser = err1 if first.returncode else err2
    assert "is locked by another run" in loser and "operation apply" in loser and "who " in loser
    assert "force-unlock" in loser
    h.assert_converged(tmp_path, counts)


def test_lock_timeout_serialises_two_applies(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, files=6, stores=2, assistants=6)
    slow = h.env(ASSISTPLAN_SANDBOX_LATENCY_MS="10")
    procs = [
        h.start(tmp_path, "apply", "--auto-approve", "--lock-timeout", "2m", environ=slow) for _ in range(2)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert sum("No changes." in out for out, _ in results) == 1  # the second saw the first's work
    h.assert_converged(tmp_path, counts)


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
    assert "re-run `assistplan plan`" in r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert client.beta.assistants.retrieve(a0).instructions == "changed by a colleague"

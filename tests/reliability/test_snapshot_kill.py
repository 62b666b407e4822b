"""An apply killed before it reverts an edited release snapshot leaves the snapshot in state as
released (apply saves the refreshed state first: a snapshot's frozen record must survive that),
so the next apply still puts it back, and then the plan is a no-op."""

from __future__ import annotations

import warnings
from pathlib import Path

from tests.reliability import harness as h

SNAP = "assistant.bot@pilot.v1"
CONFIG = """\
version: 1
assistants:
  bot:
    model: gpt-4.1
    instructions: I am bot.
  helper:
    model: gpt-4.1
    instructions: I help.
experiments:
  pilot: {assistant: bot, releases: [1], published: 1}
"""


def test_a_kill_before_the_revert_leaves_the_snapshot_as_released(tmp_path: Path) -> None:
    (tmp_path / "assistants.yaml").write_text(CONFIG)
    with h.gated_sandbox(tmp_path) as (gate, url):
        first = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert first.returncode == 0, first.stderr
        frozen = h.state(tmp_path)["resources"][SNAP]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            h.sdk(tmp_path).beta.assistants.update(frozen["remote_id"], instructions="edited by hand")
        gate.stop_at(1)  # the revert's request: held, then the apply is killed
        h.kill_held_apply(tmp_path, gate, url, "the apply made no write")
        assert h.state(tmp_path)["resources"][SNAP] == frozen
        h.force_unlock_if_locked(tmp_path, url)
        again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert again.returncode == 0, again.stdout + again.stderr
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            snap = h.sdk(tmp_path).beta.assistants.retrieve(frozen["remote_id"])
        assert snap.instructions == "I am bot."
        assert h.run(tmp_path, "plan", "--detailed-exitcode", base_url=url).returncode == 0

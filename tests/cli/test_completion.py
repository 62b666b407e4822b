"""Shell completion through click: the script, command names, and addresses from config and state."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.conftest import EXE, Project, copy_example


def complete(words: str, cwd: Path, shell: str = "bash") -> list[str]:
    env = {
        **os.environ,
        "_ASSISTPLAN_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    r = subprocess.run([str(EXE)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return [line.split(",", 1)[1] for line in r.stdout.splitlines() if line]


def test_bash_source_prints_a_completion_script(tmp_path: Path) -> None:
    env = {**os.environ, "_ASSISTPLAN_COMPLETE": "bash_source"}
    r = subprocess.run([str(EXE)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert (
        "_assistplan_completion()" in r.stdout and "complete -o nosort -F _assistplan_completion" in r.stdout
    )
    zsh = subprocess.run(
        [str(EXE)], env={**os.environ, "_ASSISTPLAN_COMPLETE": "zsh_source"}, capture_output=True, text=True
    )
    assert "#compdef assistplan" in zsh.stdout


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert complete("assistplan pl", tmp_path) == ["plan"]
    assert set(complete("assistplan s", tmp_path)) >= {"sandbox", "show", "state", "status"}
    assert "--detailed-exitcode" in complete("assistplan plan --d", tmp_path)


def test_addresses_complete_from_the_config_and_the_state(tmp_path: Path) -> None:
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    assert complete("assistplan plan --target assistant.", root) == ["assistant.hr-bot"]
    assert complete("assistplan plan --replace f", root) == ["file.handbook", "file.leave-policy"]
    # -C and -c are honoured; so is what only the state still knows.
    Project(root).ok("apply", "--auto-approve")
    (root / "assistants.yaml").write_text(
        (root / "assistants.yaml").read_text().replace("hr-bot:", "hr-bot2:", 1)
    )
    got = complete(f"assistplan -C {root} apply --target assistant.", tmp_path)
    assert got == ["assistant.hr-bot", "assistant.hr-bot2"]
    # A broken config completes nothing, silently.
    (root / "assistants.yaml").write_text("version: [\n")
    assert complete(f"assistplan -C {root} plan --target ", tmp_path) == []


def test_environments_complete_and_addresses_follow_the_environment(tmp_path: Path) -> None:
    root = tmp_path / "support-envs"
    copy_example("support-envs", root)
    assert complete("assistplan --env ", root) == ["staging", "prod"]
    assert complete(f"assistplan -C {root} --env p", tmp_path) == ["prod"]
    # Addresses come from the environment's merged config: production has no debugger.
    assert "assistant.debugger" in complete("assistplan --env staging plan --target assistant.", root)
    assert "assistant.debugger" not in complete("assistplan --env prod plan --target assistant.", root)
    # A config being edited: the overlay files next to it still name the environments.
    (root / "assistants.yaml").write_text("version: [\n")
    (root / "assistants.qa.yaml").write_text("{}\n")
    assert complete("assistplan --env ", root) == ["prod", "qa"]

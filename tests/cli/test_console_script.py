"""The installed `assistplan` command as a user runs it: a real process, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import EXE, copy_example


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # show any warning that leaks past our filters
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_demo_flow_in_a_real_process(tmp_path: Path) -> None:
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    assert _run("--sandbox", "validate", cwd=root).returncode == 0
    plan = _run("--sandbox", "plan", "--detailed-exitcode", cwd=root)
    assert plan.returncode == 2, plan.stderr
    applied = _run("--sandbox", "apply", "--auto-approve", cwd=root)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Resources: 4 added" in applied.stdout
    again = _run("--sandbox", "plan", "--detailed-exitcode", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
    for proc in (plan, applied, again):
        assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_user_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "assistants.yaml").write_text("version: 1\nassistants:\n  bot: {modle: gpt-4o}\n")
    r = _run("--sandbox", "plan", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "assistants.yaml:3:9: unknown key 'modle'" in r.stderr
    assert _run("--sandbox", "apply", "missing.plan", cwd=tmp_path).returncode == 1
    usage = _run("plan", "--no-such-flag", cwd=tmp_path)
    assert usage.returncode == 1 and "No such option" in usage.stderr


def test_demo_ends_saying_how_to_run_assistplan_and_the_lines_work(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    example = tmp_path / "hr-bot"
    copy_example("hr-bot", example)
    # The installed environment as it is (the test command has just made it): no reinstall here.
    env = {**os.environ, "ASSISTPLAN_FRESH_ENV": "", "NO_COLOR": "1"}
    demo = subprocess.run(
        ["bash", str(root / "scripts" / "demo.sh"), str(example)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    tail = demo.stdout[demo.stdout.index("Done. To run assistplan yourself") :].splitlines()
    assert tail == [
        "Done. To run assistplan yourself, activate its virtualenv once per shell:",
        f"  source {root}/.venv/bin/activate",
        f"  assistplan -C {example} --sandbox plan",
        f"or call it by path: {root}/.venv/bin/assistplan --help",
        f"or install it into an environment of your own: pip install {root}/",
    ]
    # What the user types next works, from where they are.
    shell = subprocess.run(
        ["bash", "-c", f"{tail[1]} && {tail[2]} --detailed-exitcode"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "No changes." in shell.stdout
    by_path = subprocess.run(
        tail[3].split(": ", 1)[1].split(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert by_path.returncode == 0 and "Usage: assistplan" in by_path.stdout
    readme = (root / "README.md").read_text()
    setup = readme.index("bash scripts/test.sh")
    assert readme.index("source .venv/bin/activate", setup) < readme.index("## The config")


GC_PROBE = """
import gc, importlib, pkgutil, sys
import assistplan
before = gc.get_threshold()
for module in pkgutil.walk_packages(assistplan.__path__, "assistplan."):
    importlib.import_module(module.name)
print(gc.get_threshold() == before, gc.get_freeze_count())
from assistplan.cli.heap import GC_THRESHOLDS
from assistplan.cli.main import main
sys.argv = ["assistplan", "--version"]
try:
    main()
except SystemExit:
    pass
print(gc.get_threshold() == GC_THRESHOLDS, gc.get_freeze_count() > 0)
"""


def test_only_the_console_script_tunes_the_garbage_collector(tmp_path: Path) -> None:
    """Importing any module of the library leaves the process's collector alone (an application
    may import it); the `assistplan` entry point raises the thresholds and freezes at its end."""
    probe = subprocess.run(
        [sys.executable, "-c", GC_PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert lines[0] == "True 0"  # no module changed the thresholds or froze anything on import
    assert lines[-1] == "True True"  # main() did both

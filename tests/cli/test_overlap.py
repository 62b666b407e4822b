"""A big config loads in a forked child while the console script imports the engine
(cli/overlap.py): same config, same errors, same output; and loading here whenever the child
cannot help. Each case runs in a process of its own, as the console script does."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistplan.cli.main import cli
from assistplan.cli.overlap import BIG_CONFIG
from assistplan.errors import ConfigError
from tests.e2e.conftest import EXE

# `load_beside` in a fresh one-shot process; LOAD is the body of load(), which may use `pid`
# (the process that started) and returns what the child sends back.
SCRIPT = """
import json, os, sys
from pathlib import Path
from assistplan.cli import heap
from assistplan.cli.overlap import load_beside
from assistplan.errors import AssistplanError, ConfigError, Diagnostic

heap.one_shot_process()
{setup}
pid = os.getpid()
ran = []
def load():
{load}
try:
    got = load_beside(load, lambda: ran.append(os.getpid()), Path(sys.argv[1]))
    print(json.dumps({{"loaded_by_child": got != pid, "meanwhile": ran == [pid]}}))
except ConfigError as exc:
    print(json.dumps({{"error": [str(d) for d in exc.diagnostics], "meanwhile": ran == [pid]}}))
except AssistplanError as exc:
    print(json.dumps({{"refused": [type(exc).__name__, exc.render()], "meanwhile": ran == [pid]}}))
"""


def _beside(tmp_path: Path, load_body: str, size: int = BIG_CONFIG, setup: str = "") -> dict[str, object]:
    config = tmp_path / "assistants.yaml"
    config.write_bytes(b"#" * size)
    script = SCRIPT.format(load=textwrap.indent(textwrap.dedent(load_body), "    "), setup=setup)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(config)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_big_config_is_loaded_by_a_child_while_this_process_imports(tmp_path: Path) -> None:
    assert _beside(tmp_path, "return os.getpid()") == {"loaded_by_child": True, "meanwhile": True}


@pytest.mark.parametrize(
    ("size", "setup"),
    [
        (BIG_CONFIG - 1, ""),  # a small config: a fork and a pickle would cost more
        (
            BIG_CONFIG,
            "import threading; threading.Thread(target=threading.Event().wait, daemon=True).start()",
        ),
        (
            BIG_CONFIG,
            "def refuse(): raise BlockingIOError(11, 'Resource temporarily unavailable')\nos.fork = refuse",
        ),
    ],
    ids=["small config", "other threads", "fork refused"],
)
def test_otherwise_the_config_is_loaded_here_before_anything_is_imported(
    tmp_path: Path, size: int, setup: str
) -> None:
    got = _beside(tmp_path, "return os.getpid()", size=size, setup=setup)
    assert got == {"loaded_by_child": False, "meanwhile": False}


def test_another_refusal_of_the_child_is_raised_here_with_its_message(tmp_path: Path) -> None:
    load = """
    if os.getpid() == pid:
        raise AssertionError("loaded here")
    from assistplan.config.overlay import UnknownEnvironment
    raise UnknownEnvironment("no environment 'prdo' in assistants.yaml")
    """
    got = _beside(tmp_path, load)
    assert got == {
        "refused": ["UnknownEnvironment", "no environment 'prdo' in assistants.yaml"],
        "meanwhile": True,
    }


def test_a_config_error_found_by_the_child_is_raised_here(tmp_path: Path) -> None:
    load = """
    if os.getpid() == pid:
        raise AssertionError("loaded here")
    raise ConfigError([Diagnostic("assistants.yaml", 3, 9, "unknown key 'modle'")])
    """
    got = _beside(tmp_path, load)
    assert got == {"error": ["assistants.yaml:3:9: unknown key 'modle'"], "meanwhile": True}


@pytest.mark.parametrize(
    "failure",
    ["raise RuntimeError('a bug')", "os._exit(3)", "return lambda: None"],  # dies, or sends nothing usable
    ids=["raises", "dies", "cannot pickle"],
)
def test_a_child_that_cannot_answer_leaves_the_loading_to_this_process(tmp_path: Path, failure: str) -> None:
    load = f"""
    if os.getpid() == pid:
        return pid
    {failure}
    """
    assert _beside(tmp_path, load) == {"loaded_by_child": False, "meanwhile": True}


def _big_config(root: Path, extra: str = "") -> None:
    """A config over BIG_CONFIG: many files, one assistant using a store of some of them."""
    docs = root / "docs"
    docs.mkdir()
    lines = ["version: 1", "files:"]
    n = 0
    while sum(map(len, lines)) < BIG_CONFIG + 1024:
        (docs / f"f{n}.txt").write_text(f"document {n}\n")
        lines.append(f"  f{n}: {{path: docs/f{n}.txt, purpose: assistants}}  # a file the bot can search")
        n += 1
    lines += ["vector_stores:", "  kb: {name: kb, files: [f0, f1]}"]
    lines += ["assistants:", "  bot: {model: gpt-4.1, name: bot, tools: [{type: file_search}],"]
    lines += ["        tool_resources: {file_search: {vector_stores: [kb]}}}", extra]
    (root / "assistants.yaml").write_text("\n".join(lines) + "\n")


def _in_process(root: Path, *args: str) -> tuple[int, str]:
    """The same command through run_cli in this process (which never forks)."""
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["-C", str(root), "--sandbox", "--no-color", *args], obj=None)
    return result.exit_code, result.output


def test_the_command_on_a_big_config_says_what_it_says_loaded_here(tmp_path: Path) -> None:
    _big_config(tmp_path)
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    proc = subprocess.run(
        [str(EXE), "-C", str(tmp_path), "--sandbox", "--no-color", "plan", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    forked = json.loads(proc.stdout)
    code, out = _in_process(tmp_path, "plan", "--json")
    here = json.loads(out[out.index("{") :])
    assert forked.pop("lineage") and here.pop("lineage")  # a new state's: each plan draws its own
    assert code == 0 and forked == here
    assert len(forked["resource_changes"]) > 1000


def test_a_config_error_in_a_big_config_reads_as_it_does_loaded_here(tmp_path: Path) -> None:
    _big_config(tmp_path, extra="  helper: {modle: gpt-4o}")
    proc = subprocess.run(
        [str(EXE), "-C", str(tmp_path), "--sandbox", "--no-color", "plan"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    with pytest.raises(ConfigError) as here:
        from assistplan.config.loader import load_config

        load_config(tmp_path / "assistants.yaml")  # named by its path here, by its name in the command
    assert proc.stderr.splitlines() == [str(d).replace(f"{tmp_path}/", "") for d in here.value.diagnostics]
    assert "unknown key 'modle'" in proc.stderr


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(
    ("example", "env"),
    [(e.name, None) for e in sorted(EXAMPLES.iterdir()) if (e / "assistants.yaml").exists()]
    + [("support-envs", "prod")],
)
def test_every_kind_of_config_comes_back_from_the_child_whole(example: str, env: str | None) -> None:
    """What the child sends is the config pickled: a config using every feature (pipelines,
    experiments, releases, overlays, instructions files, targets) must come back equal."""
    from assistplan.config.loader import load_config

    cfg = load_config(EXAMPLES / example / "assistants.yaml", allow_dangling=True, env=env)
    assert pickle.loads(pickle.dumps(cfg, protocol=pickle.HIGHEST_PROTOCOL)) == cfg

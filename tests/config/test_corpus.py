"""Every broken config in the corpus yields exactly its expected diagnostics, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistplan.config import load_config
from assistplan.errors import ConfigError

from .corpus import CASES, Case


def _write(root: Path, case: Case) -> Path:
    config = root / "assistants.yaml"
    data = case.config if isinstance(case.config, bytes) else case.config.encode("utf-8")
    config.write_bytes(data)
    for rel, content in case.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if case.setup is not None:
        case.setup(root)
    return config


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.lstat().st_mtime for p in root.rglob("*")}


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_config(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    root.mkdir()
    _write(root, case)
    before = _snapshot(root)
    monkeypatch.chdir(root)
    try:
        load_config("assistants.yaml")
    except ConfigError as e:
        got = [str(d) for d in e.diagnostics]
    else:
        pytest.fail("the config loaded without error")
    # Nothing written next to the config (no state, no cache).
    assert _snapshot(root) == before
    assert not (root / ".assistplan").exists()
    assert len(got) == len(case.expect), "\n".join(got)
    for line, (want, have) in enumerate(zip(case.expect, got, strict=True)):
        position, _, message = want.partition(": ")
        assert have.startswith(f"assistants.yaml:{position}: "), f"#{line}: {have!r} vs {want!r}"
        assert message in have, f"#{line}: {have!r} vs {want!r}"


def test_diagnostics_are_sorted_and_name_the_file_as_given(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "several_problems")
    config = _write(tmp_path, case)
    with pytest.raises(ConfigError) as info:
        load_config(config)
    positions = [(d.line, d.col) for d in info.value.diagnostics]
    assert positions == sorted(positions)
    assert all(d.file == str(config) for d in info.value.diagnostics)
    assert str(info.value).splitlines()[0].startswith(f"{config}:2:1: unknown key")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_unreadable_instructions_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "p.md").write_text("x", encoding="utf-8")
    (tmp_path / "p.md").chmod(0)
    # Root reads files whatever their mode (and CI runs as root): deny this one the way the OS would.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, m, **kw: False if Path(p).name == "p.md" else real_access(p, m)
    )
    config = tmp_path / "assistants.yaml"
    config.write_text("version: 1\nassistants:\n  a:\n    model: m\n    instructions_file: p.md\n")
    with pytest.raises(ConfigError, match="permission denied"):
        load_config(config)


# The corpus loaded by a PyYAML without libyaml (as some installs are): a child process where
# `yaml._yaml` cannot be imported, so the loader falls back to PyYAML's own parser by itself.
_WITHOUT_LIBYAML = """
import json, sys, tempfile
from pathlib import Path
sys.modules["yaml._yaml"] = None
import yaml
assert not yaml.__with_libyaml__
from assistplan.config import load_config
from assistplan.errors import ConfigError
from tests.config.corpus import CASES
from tests.config.test_corpus import _write
out = {}
for case in CASES:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            load_config(_write(Path(tmp), case))
        except ConfigError as e:
            out[case.name] = [[d.line, d.col] for d in e.diagnostics]
        else:
            out[case.name] = None
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def positions_without_libyaml() -> dict[str, list[list[int]] | None]:
    root = Path(__file__).resolve().parents[2]  # `python -c` imports `tests` from its cwd
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_LIBYAML], capture_output=True, text=True, cwd=root, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pure_python_parser_gives_the_same_positions(
    case: Case, positions_without_libyaml: dict[str, list[list[int]] | None]
) -> None:
    # Without libyaml the loader falls back to PyYAML's own parser; only YAML syntax wording differs.
    want = [[int(n) for n in w.partition(": ")[0].split(":")] for w in case.expect]
    assert positions_without_libyaml[case.name] == want

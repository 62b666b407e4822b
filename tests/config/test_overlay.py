"""config/overlay.py: JSON Merge Patch (RFC 7386) over positioned documents, and the environment's
state settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistplan.config import load_config
from assistplan.config.model import Pos
from assistplan.config.overlay import apply_overlay, overlay_environments, overlay_path
from assistplan.config.yaml_positions import parse_yaml
from assistplan.errors import ConfigError


def merged(original: Any, patch: Any) -> tuple[Any, list[str]]:
    base = parse_yaml(json.dumps(original))
    result = apply_overlay(base, parse_yaml(json.dumps(patch)), "o.yaml")
    return base.data, [m for _, m in result.problems]


# RFC 7386, Appendix A, for every case whose target is a mapping (a config is one).
@pytest.mark.parametrize(
    ("original", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ],
)
def test_rfc_7386_examples(original: Any, patch: Any, result: Any) -> None:
    assert merged(original, patch) == (result, [])


@pytest.mark.parametrize(
    ("original", "patch", "result", "nothing"),
    [
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}, "a.c"),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}, "a.bb.ccc"),
    ],
)
def test_a_null_that_removes_nothing_is_reported(
    original: Any, patch: Any, result: Any, nothing: str
) -> None:
    data, problems = merged(original, patch)
    assert data == result  # the RFC's result...
    key = nothing.rsplit(".", 1)[-1]
    assert problems == [f"{nothing}: null removes nothing: the base config has no '{key}' here"]


def test_lists_replace_whole_and_order_is_kept() -> None:
    data, _ = merged(
        {"x": 1, "tools": [{"type": "a"}, {"type": "b"}], "y": 2}, {"tools": [{"type": "c"}], "z": 3}
    )
    assert data == {"x": 1, "tools": [{"type": "c"}], "y": 2, "z": 3}
    assert list(data) == ["x", "tools", "y", "z"]


def test_every_merged_value_knows_its_file_and_position() -> None:
    base = parse_yaml(
        "version: 1\nassistants:\n  bot:\n    name: Bot\n    model: m\n    metadata: {a: b, c: d}\n"
    )
    patch = parse_yaml("assistants:\n  bot:\n    model: big\n    metadata: {c: null}\n  new: {model: x}\n")
    result = apply_overlay(base, patch, "assistants.prod.yaml")
    assert result.problems == []
    assert base.data["assistants"] == {
        "bot": {"name": "Bot", "model": "big", "metadata": {"a": "b"}},
        "new": {"model": "x"},
    }
    assert base.pos(("assistants", "bot", "name")) == Pos(4, 11)  # untouched: the base's
    assert base.key_pos(("assistants", "bot")) == Pos(3, 3)  # written by both: the base's
    assert base.pos(("assistants", "bot", "model")) == Pos(3, 12, "assistants.prod.yaml")
    assert base.key_pos(("assistants", "new")) == Pos(5, 3, "assistants.prod.yaml")
    assert base.pos(("assistants", "new", "model")) == Pos(5, 16, "assistants.prod.yaml")
    assert ("assistants", "bot", "metadata", "c") not in base.positions  # removed with its value
    assert result.removed == {("assistants", "bot", "metadata", "c"): Pos(4, 16, "assistants.prod.yaml")}


def test_empty_values_and_environments_in_an_overlay_are_errors() -> None:
    base = parse_yaml("environments: [a]\nx: {y: 1}\n")
    result = apply_overlay(base, parse_yaml("environments: [b]\nx:\n  y:\n"), "o.yaml")
    assert [(p, m.split(";")[0]) for p, m in result.problems] == [
        (Pos(1, 1, "o.yaml"), "environments are declared in the base config, not in an overlay"),
        (Pos(3, 3, "o.yaml"), "x.y: empty value"),
    ]
    assert base.data == {"environments": ["a"], "x": {"y": 1}}
    not_a_map = apply_overlay(parse_yaml("x: 1\n"), parse_yaml("- 1\n"), "o.yaml")
    assert "an overlay must be a mapping" in not_a_map.problems[0][1]


def write(root: Path, base: str, overlay: str | None = None) -> Path:
    (root / "assistants.yaml").write_text("version: 1\nenvironments: [staging, prod]\n" + base)
    if overlay is not None:
        (root / "assistants.prod.yaml").write_text(overlay)
    return root / "assistants.yaml"


@pytest.mark.parametrize(
    ("base", "overlay", "workspace"),
    [
        ("state: {backend: postgres}\n", None, "prod"),
        ("state: {backend: postgres, workspace: hr}\n", None, "hr/prod"),
        ("state: {backend: postgres, workspace: hr}\n", "state: {workspace: hr-live}\n", "hr-live"),
    ],
)
def test_each_environment_has_its_own_postgres_workspace(
    tmp_path: Path, base: str, overlay: str | None, workspace: str
) -> None:
    cfg = load_config(write(tmp_path, base, overlay), env="prod")
    assert (cfg.state.backend, cfg.state.workspace) == ("postgres", workspace)
    plain = load_config(tmp_path / "assistants.yaml").state.workspace  # without --env: as before
    assert plain == ("hr" if "workspace: hr" in base else "default")


def test_the_default_workspace_written_out_is_the_default_and_ambiguous_with_an_environment(
    tmp_path: Path,
) -> None:
    written = write(tmp_path, "state: {backend: postgres, workspace: default}\n")
    (tmp_path / "unset").mkdir()
    unset = write(tmp_path / "unset", "state: {backend: postgres}\n")
    assert load_config(written).state == load_config(unset).state  # without --env: the same workspace
    with pytest.raises(ConfigError) as refused:
        load_config(written, env="prod")
    (d,) = refused.value.diagnostics
    assert (Path(d.file).name, d.line, d.col) == ("assistants.yaml", 3, 39)
    assert d.message.startswith("state.workspace: 'default' is the default workspace's name; with --env prod")
    assert "leave it out (workspace prod)" in d.message and "in assistants.prod.yaml" in d.message
    # An overlay that names the environment's workspace says exactly which: no ambiguity.
    (tmp_path / "assistants.prod.yaml").write_text("state: {workspace: default}\n")
    assert load_config(written, env="prod").state.workspace == "default"
    with pytest.raises(ConfigError, match="with --env staging"):
        load_config(written, env="staging")


def test_each_environment_has_its_own_local_state(tmp_path: Path) -> None:
    config = write(tmp_path, "")
    assert load_config(config).state_path == tmp_path / ".assistplan" / "state.json"
    assert load_config(config, env="staging").state_path == tmp_path / ".assistplan/env/staging/state.json"
    write(tmp_path, "state: {path: st/main.json}\n", "state: {path: live.json}\n")
    (tmp_path / "st").mkdir()
    assert load_config(config, env="staging").state_path == tmp_path / "st/env/staging/main.json"
    assert load_config(config, env="prod").state_path == tmp_path / "live.json"  # exactly what it names


def test_overlay_files_name_the_environments(tmp_path: Path) -> None:
    config = write(tmp_path, "", "{}\n")
    (tmp_path / "assistants.Bad Name.yaml").write_text("{}\n")
    (tmp_path / "other.qa.yaml").write_text("{}\n")
    assert overlay_path(config, "prod") == tmp_path / "assistants.prod.yaml"
    assert overlay_environments(config) == ["prod"]
    # An empty overlay (comments only) changes nothing.
    (tmp_path / "assistants.prod.yaml").write_text("# nothing differs yet\n")
    assert load_config(config, env="prod").environment == "prod"

"""Mutated configs never escape as anything but ConfigError, and whatever the YAML parser or the
shipped JSON Schema (checked whole, by jsonschema) rejects, the loader rejects too (seeded, so
failures reproduce)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from assistplan.config import load_config
from assistplan.config.schema import load_schema
from assistplan.errors import ConfigError

from .test_load import DESIGN_EXAMPLE

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2.5,
    "",
    "x",
    "../x",
    "/abs",
    [],
    [1],
    {},
    {"type": "x"},
    {"a": [None]},
]


SCHEMA = Draft202012Validator(load_schema())


def _invalid(text: str) -> bool:
    """The oracle: YAML that does not parse, or a document the schema rejects."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, UnicodeError):
        return True
    return not SCHEMA.is_valid(data)


def _load(root: Path, text: str) -> bool:
    """True when load_config rejected the text (with located diagnostics)."""
    path = root / "assistants.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        load_config(path)
    except ConfigError as e:
        assert e.diagnostics
        assert all(d.line >= 1 and d.col >= 1 and d.message for d in e.diagnostics)
        return True
    return False


def _check(root: Path, text: str) -> bool:
    """Load `text`; whatever the oracle rejects must be rejected. Returns the oracle's verdict."""
    invalid = _invalid(text)
    rejected = _load(root, text)
    assert rejected or not invalid, f"accepted a config the YAML parser or the schema rejects:\n{text}"
    return invalid


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _nodes(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _nodes(v, (*path, i))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/handbook.pdf").write_bytes(b"%PDF")
    return tmp_path


def test_the_example_is_valid_to_the_oracle_and_the_loader(project: Path) -> None:
    assert not _invalid(DESIGN_EXAMPLE) and not _load(project, DESIGN_EXAMPLE)


def test_replaced_values(project: Path) -> None:
    rng = random.Random(7)
    base = yaml.safe_load(DESIGN_EXAMPLE)
    paths = _nodes(base)
    invalid = 0
    for _ in range(400):
        data = yaml.safe_load(DESIGN_EXAMPLE)
        for path in rng.sample(paths, 2):
            try:
                data = _replace(data, path, rng.choice(ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                pass  # an earlier replacement removed the parent
        invalid += _check(project, yaml.safe_dump(data, sort_keys=False))
    assert invalid >= 300  # the mutations mostly break the config: the check above has work to do


def test_mangled_text(project: Path) -> None:
    rng = random.Random(11)
    alphabet = list("{}[]:,-&*!|>'\"#%@`?\n\t ") + ["<<: ", "*a", "&a ", "\x00", "\udcff", "é"]
    invalid = 0
    for _ in range(400):
        text = list(DESIGN_EXAMPLE)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            if rng.random() < 0.5:
                del text[at]
            else:
                text.insert(at, rng.choice(alphabet))
        invalid += _check(project, "".join(text))
    assert invalid >= 250

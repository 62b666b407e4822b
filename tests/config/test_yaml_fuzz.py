"""The positioned YAML builder (config/yaml_positions.py, whose common events are handled inline
for speed) against PyYAML's own safe loader on random documents: the same data wherever our
rules agree with it (no duplicate keys, no timestamps, string keys), and every recorded position
on the text of the node it names. Seeded, so a failure reproduces."""

from __future__ import annotations

import random
from typing import Any

import yaml

from assistplan.config.yaml_positions import Document, YamlFatal, parse_yaml

ATOMS = [
    "a", "b c", "''", '""', "'q x'", '"d\\te"', "1", "-7", "0.25", "1e3", "0x1F", "true", "False",
    "null", "~", "yes", ".inf", "-.nan", "x:y", "'#not a comment'", "[]", "{}", "*A",
    "*M", "!!str 5", "!!int '12'", "!!float 2", "!!null ''",
]  # fmt: skip
KEYS = ["a", "b", "c", "x y", "k1", "'q k'", '"dq"', "<<"]


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def flow(self, depth: int) -> str:
        r = self.rng.random()
        if depth > 3 or r < 0.45:
            return self.rng.choice(ATOMS)
        if r < 0.75:
            keys = self.rng.sample(KEYS, self.rng.randint(0, 3))
            items = [f"{k}: {'*M' if k == '<<' else self.flow(depth + 1)}" for k in keys]
            return "{" + ", ".join(items) + "}"
        return "[" + ", ".join(self.flow(depth + 1) for _ in range(self.rng.randint(0, 3))) + "]"

    def block(self, depth: int, indent: int) -> list[str]:
        out = []
        for key in self.rng.sample(KEYS[:-1], self.rng.randint(1, 4)):
            pad = " " * indent
            r = self.rng.random()
            if depth < 3 and r < 0.3:
                out += [f"{pad}{key}:", *self.block(depth + 1, indent + 2)]
            elif depth < 3 and r < 0.5:
                out.append(f"{pad}{key}:")
                out += [f"{pad}  - {self.flow(depth + 1)}" for _ in range(self.rng.randint(1, 3))]
            else:
                out.append(f"{pad}{key}: {self.flow(depth)}")
        return out

    def document(self) -> str:
        anchors = "m0: &M {k: 1, j: [2]}\nv0: &A v\n"  # aliases below have something to name
        return anchors + "\n".join(self.block(0, 0)) + "\n"


def _walk(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, data)]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _walk(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _walk(v, (*path, i))
    return out


def _at(lines: list[str], pos: tuple[int, ...]) -> str:
    line, col = pos[0], pos[1]
    return lines[line - 1][col - 1 :]


def _check_positions(text: str, doc: Document) -> None:
    lines = text.splitlines()
    for path, pos in doc.key_positions.items():
        key = path[-1]
        assert isinstance(key, str)
        source = _at(lines, pos)
        assert source.startswith((key, f"'{key}'", f'"{key}"')), (path, pos, source)
    for path, value in _walk(doc.data):
        if path and path in doc.positions and isinstance(value, str) and value.isalnum():
            source = _at(lines, doc.positions[path])
            assert value in source.split(",")[0] or source.startswith(("*", "&", "!")), (path, source)


def test_random_documents_read_as_pyyaml_reads_them_with_positions_on_their_nodes() -> None:
    gen = _Gen(2026)
    compared = 0
    for _ in range(1500):
        text = gen.document()
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            try:
                parse_yaml(text)
            except YamlFatal:
                continue
            raise AssertionError(f"PyYAML refuses, we accept:\n{text}") from None
        doc = parse_yaml(text)
        _check_positions(text, doc)
        if doc.problems:  # our own rules (e.g. a merge of a non-mapping): reported, not compared
            continue
        assert doc.data == expected, text
        compared += 1
    assert compared > 1000  # most documents were compared, not skipped

"""The schema file: valid 2020-12, shipped in the package, linked from schema/, and the fast
yes/no check (jsonschema-rs) agrees with jsonschema."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from assistplan.config import load_schema
from assistplan.config.schema import _parts
from assistplan.config.schema_fast import compile_check
from assistplan.config.yaml_positions import YamlFatal, parse_yaml

from .corpus import CASES
from .test_load import DESIGN_EXAMPLE

REPO = Path(__file__).resolve().parents[2]
PACKAGE_COPY = REPO / "src/assistplan/config/assistplan.schema.json"
# JSON Schema objects, free node params, and Foundry's own tools (passed through as written)
FREE_FORM = {"parameters", "params", "schema", "foundryTool"}


def test_schema_is_valid_2020_12() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/assistplan.schema.json")
    assert schema == json.loads(PACKAGE_COPY.read_text(encoding="utf-8"))


def test_root_schema_is_a_relative_symlink_to_the_package_copy() -> None:
    link = REPO / "schema/assistplan.schema.json"
    assert link.is_symlink()
    assert not os.path.isabs(os.readlink(link))
    assert link.resolve() == PACKAGE_COPY.resolve()


def _objects(node: Any, key: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append((key, node))
        for k, v in node.items():
            found += _objects(v, k)
    elif isinstance(node, list):
        for v in node:
            found += _objects(v, key)
    return found


def test_objects_are_closed_except_free_form_ones() -> None:
    for key, obj in _objects(load_schema()):
        if key in FREE_FORM:
            assert obj["additionalProperties"] is True, key
        else:
            assert "additionalProperties" in obj, key
            assert obj["additionalProperties"] is not True, key


def test_resource_definitions_have_titles_and_descriptions() -> None:
    schema = load_schema()
    for section in ("files", "vector_stores", "assistants", "pipelines", "experiments"):
        assert schema["properties"][section]["description"]
    for name in ("file", "vectorStore", "assistant", "pipeline", "node", "experiment", "tool"):
        assert schema["$defs"][name]["title"]


def _instances() -> list[Any]:
    """Parsed corpus configs plus hand-made variants: valid and invalid, of every shape."""
    out: list[Any] = []
    for case in CASES:
        if isinstance(case.config, str):
            try:
                out.append(parse_yaml(case.config).data)
            except YamlFatal:
                pass
    out.append(parse_yaml(DESIGN_EXAMPLE).data)
    bot = {"model": "m"}
    variants: list[dict[str, Any]] = [
        {"tools": [{"type": "code_interpreter"}, {"type": "file_search"}]},
        {
            "tools": [
                {"type": "function", "function": {"name": "x", "parameters": {"any": [1, {"deep": None}]}}}
            ]
        },
        {"response_format": {"type": "text"}},
        {"response_format": {"type": "text", "json_schema": {"name": "x"}}},
        {"temperature": True},
        {"temperature": 2.0},
        {"top_p": 1},
        {"metadata": {str(i): "v" for i in range(15)}},
        {"name": None},
        {"tool_resources": {"file_search": {"vector_stores": []}}},
        # enums of strings (checked by a set lookup): other strings, and values of other types
        {"reasoning_effort": "low"},
        {"reasoning_effort": "lowest"},
        {"reasoning_effort": 1},
        {"reasoning_effort": True},
        {"reasoning_effort": ["low"]},
        {"reasoning_effort": None},
        {"tools": [{"type": "mcp"}]},
        {"tools": [{"type": "mcp"}, {"type": "mcp "}]},
        {"tools": [{"type": 0}]},
        {"tools": [{}]},
    ]
    out += [{"version": 1, "assistants": {"a": {**bot, **v}}} for v in variants]
    out += [
        {"version": 1, "files": {"f": {"path": "a.txt", "purpose": purpose}}}
        for purpose in ("assistants", "Assistants", 1, False, None, [])
    ]
    out += [
        {"version": 1.0},
        {"version": True},
        {"version": 1, "experiments": {"e": {"releases": [1.0, True]}}},
    ]
    return out


@pytest.mark.parametrize("index", range(len(_instances())))
def test_fast_check_agrees_with_jsonschema(index: int) -> None:
    schema = load_schema()
    instance = _instances()[index]
    check = compile_check(schema)
    assert check is not None
    assert check(instance) == Draft202012Validator(schema).is_valid(instance)


def test_fast_checks_of_the_parts_agree_with_jsonschema() -> None:
    """What the loader runs: the top level with sections open, then each entry on its own."""
    top, sections = _parts()
    seen = {True: 0, False: 0}
    for instance in _instances():
        units = [(top, instance)]
        if isinstance(instance, dict):
            units += [
                (part, entry)
                for section, part in sections.items()
                if isinstance(instance.get(section), dict)
                for entry in instance[section].values()
            ]
        for part, value in units:
            assert part.fast is not None
            valid = Draft202012Validator(part.schema).is_valid(value)
            assert part.fast(value) == valid, value
            seen[valid] += 1
    assert seen[True] and seen[False]


DEFS: dict[str, Any] = {"$defs": {}}


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        # Rust's \S matches U+001F (a separator Python counts as space): re decides, as jsonschema
        ({"type": "string", "pattern": "^https?://\\S+$"}, "https://a\x1fb"),
        # ... and its \s matches U+FEFF, Python's does not
        ({"propertyNames": {"pattern": "^\\s$"}}, {"\ufeff": 1}),
        # not JSON-shaped: YAML's non-string keys
        ({"type": "object", "properties": {"1": {"type": "string"}}, "additionalProperties": False}, {1: 2}),
    ],
)
def test_fast_check_is_never_laxer_than_jsonschema(schema: dict[str, Any], instance: Any) -> None:
    check = compile_check({**schema, **DEFS})
    assert check is not None
    assert not Draft202012Validator(schema).is_valid(instance)
    assert not check(instance)


@pytest.mark.parametrize(
    "schema",
    [
        {"multipleOf": 0.1},  # jsonschema-rs takes 0.3, jsonschema does not
        {"type": "string", "format": "email"},
        {"patternProperties": {"^a": {"type": "string"}}},
        {"anyOf": [{"$ref": "#/$defs/missing"}]},
        {"$ref": "https://example.com/schema.json"},
        {"properties": {"a": {"$dynamicRef": "#node"}}},
        {"$schema": "http://json-schema.org/draft-04/schema#"},
        {"unknownKeyword": 1},
        {"pattern": "(?<=a"},  # a regex jsonschema-rs rejects
    ],
)
def test_a_schema_it_cannot_vouch_for_gets_no_fast_check(schema: dict[str, Any]) -> None:
    assert compile_check({**schema, **DEFS}) is None

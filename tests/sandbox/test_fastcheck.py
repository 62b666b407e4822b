"""The yes/no check of request bodies (jsonschema-rs) agrees with jsonschema, on valid bodies and on
every one-step mutation of them (a value replaced, a key removed or added, at every depth)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from assistplan.sandbox.fastcheck import compile_check
from assistplan.sandbox.validate import _schemas, _validator

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
FUNCTION = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look it up.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        "strict": True,
    },
}
ASSISTANT = {
    "model": "gpt-4.1",
    "name": "Helper",
    "description": "Helps.",
    "instructions": "Answer briefly.",
    "tools": [
        {"type": "code_interpreter"},
        {
            "type": "file_search",
            "file_search": {"max_num_results": 5, "ranking_options": {"score_threshold": 0.5}},
        },
        FUNCTION,
    ],
    "tool_resources": {
        "code_interpreter": {"file_ids": ["file-a"]},
        "file_search": {"vector_store_ids": ["vs_a"]},
    },
    "metadata": {"team": "docs"},
    "temperature": 0.2,
    "top_p": 1,
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": SCHEMA, "strict": True},
    },
    "reasoning_effort": "low",
}
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
BODIES: dict[str, list[Any]] = {
    "CreateAssistantRequest": [
        ASSISTANT,
        {"model": "gpt-4o", "response_format": "auto", "tools": []},
        {
            "model": "gpt-4o",
            "tool_resources": {
                "file_search": {"vector_stores": [{"file_ids": ["file-a"], "chunking_strategy": STATIC}]}
            },
        },
    ],
    "ModifyAssistantRequest": [{**ASSISTANT, "response_format": {"type": "json_object"}}, {}],
    "CreateVectorStoreRequest": [
        {
            "name": "docs",
            "file_ids": ["file-a", "file-b"],
            "expires_after": {"anchor": "last_active_at", "days": 7},
            "chunking_strategy": STATIC,
            "metadata": {"k": "v"},
        },
        {"chunking_strategy": {"type": "auto"}},
    ],
    "UpdateVectorStoreRequest": [{"name": "docs", "expires_after": None, "metadata": None}],
    "CreateVectorStoreFileRequest": [
        {"file_id": "file-a", "chunking_strategy": STATIC, "attributes": {"a": "b", "n": 1.5, "ok": True}}
    ],
    "CreateVectorStoreFileBatchRequest": [
        {"file_ids": ["file-a", "file-b"], "attributes": {"a": "b"}, "chunking_strategy": {"type": "auto"}},
        {"files": [{"file_id": "file-a", "chunking_strategy": STATIC, "attributes": {"x": 2}}]},
    ],
    "UpdateVectorStoreFileAttributesRequest": [{"attributes": {"a": "b"}}],
    "CreateUploadRequest": [
        {
            "filename": "a.md",
            "purpose": "assistants",
            "bytes": 10,
            "mime_type": "text/markdown",
            "expires_after": {"anchor": "created_at", "seconds": 3600},
        }
    ],
    "CompleteUploadRequest": [{"part_ids": ["part_a", "part_b"], "md5": "0" * 32}],
    "AddUploadPartRequest": [{"data": "<binary>"}],
    "CreateFileRequest": [
        {
            "file": "<binary>",
            "purpose": "assistants",
            "expires_after": {"anchor": "created_at", "seconds": 3600},
        }
    ],
}
# Bodies no single mutation of the ones above reaches (``oneOf`` with both branches met).
ALSO: dict[str, list[Any]] = {
    "CreateAssistantRequest": [
        {
            "model": "gpt-4o",
            "tool_resources": {"file_search": {"vector_store_ids": ["vs_a"], "vector_stores": [{}]}},
        }
    ],
}
REPLACEMENTS: list[Any] = [
    None,
    True,
    0,
    -1,
    1.0,
    2.5,
    10**7,
    "",
    "x",
    "x" * 600,
    [],
    ["x"],
    {},
    {"type": "x"},
]


def mutations(body: Any) -> Iterator[Any]:
    """``body`` with one change: each value replaced, each key dropped, an unknown key added."""
    yield body
    for path in _paths(body):
        for value in REPLACEMENTS:
            yield _changed(body, path, lambda _old, v=value: v)
        parent = _at(body, path[:-1]) if path else None
        if isinstance(parent, dict):
            yield _changed(body, path[:-1], lambda old, k=path[-1]: {n: v for n, v in old.items() if n != k})
    for path in [[], *_paths(body)]:
        if isinstance(_at(body, path), dict):
            yield _changed(body, path, lambda old: {**old, "unknown_key": 1})


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[list[Any]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    out = []
    for key, child in items:
        out.append([*prefix, key])
        out += _paths(child, (*prefix, key))
    return out


def _at(node: Any, path: list[Any]) -> Any:
    for key in path:
        node = node[key]
    return node


def _changed(body: Any, path: list[Any], change: Any) -> Any:
    if not path:
        return change(copy.deepcopy(body))
    out = copy.deepcopy(body)
    parent = _at(out, path[:-1])
    parent[path[-1]] = change(parent[path[-1]])
    return out


@pytest.mark.parametrize("name", sorted(BODIES))
def test_the_fast_check_says_yes_exactly_when_jsonschema_finds_no_error(name: str) -> None:
    passes = compile_check(_schemas(), name)
    assert passes is not None, f"{name} uses a keyword the fast check does not handle"
    seen = {True: 0, False: 0}
    for seed in BODIES[name]:
        assert passes(seed), seed
        for body in mutations(seed):
            valid = next(iter(_validator(name).iter_errors(body)), None) is None
            assert passes(body) == valid, body
            seen[valid] += 1
    for body in ALSO.get(name, []):
        assert passes(body) == (next(iter(_validator(name).iter_errors(body)), None) is None), body
    assert seen[True] and seen[False]  # the mutations reach both answers


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "dependentRequired": {"a": ["b"]}},
        {"multipleOf": 0.1},  # jsonschema-rs takes 0.3, jsonschema does not
        {"type": "string", "format": "email"},
        {"patternProperties": {"^a": {"type": "string"}}},
        {"properties": {"a": {"$ref": "#/components/schemas/Missing"}}},
        {"$ref": "https://example.com/schema.json"},
        {"items": {"$ref": "#/$defs/x"}},
        {"pattern": "(?<=a"},  # a regex jsonschema-rs rejects
    ],
)
def test_a_schema_it_cannot_vouch_for_compiles_to_nothing(schema: dict[str, Any]) -> None:
    assert compile_check({"Odd": schema}, "Odd") is None
    refers = {"Outer": {"properties": {"inner": {"$ref": "#/components/schemas/Odd"}}}, "Odd": schema}
    assert compile_check(refers, "Outer") is None


def test_a_pattern_means_what_it_means_to_jsonschema() -> None:
    # Rust's \S matches U+001F, which Python's re counts as space: re decides, as jsonschema does
    schemas = {"Url": {"type": "object", "properties": {"url": {"type": "string", "pattern": "^\\S+$"}}}}
    passes = compile_check(schemas, "Url")
    assert passes is not None
    validator = Draft202012Validator({"$ref": "#/components/schemas/Url", "components": {"schemas": schemas}})
    for url in ("https://a", "https://a\x1fb", "https://a b", "https://a\ud800", 1):
        assert passes({"url": url}) == validator.is_valid({"url": url}), url

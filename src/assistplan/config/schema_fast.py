"""The fast yes/no check of a config: the schema compiled by jsonschema-rs (Rust).

jsonschema takes ~0.2 ms per resource, too slow for 10,000-resource configs; jsonschema-rs
answers "valid?" about 20x faster. A yes is final. A no hands the config to jsonschema, which
stays the only one that finds and words errors, so this check may be stricter than jsonschema
but never laxer. Where the two could disagree, it keeps jsonschema's meaning or steps aside:

- `pattern` is searched with Python's `re`, as jsonschema does: Rust's regex dialect differs
  (its `\\S` matches U+001F, Python's does not);
- a schema with a keyword outside `_KEYWORDS` (`multipleOf`: Rust's decimal arithmetic accepts
  0.3 as a multiple of 0.1, jsonschema does not; `format`, `$dynamicRef`, `patternProperties`,
  unknown ones...), a `$ref` other than `#/$defs/NAME`, or that jsonschema-rs cannot compile,
  gets no fast check (None): jsonschema checks every config;
- a value that is not JSON-shaped (YAML's non-string keys) makes jsonschema-rs raise: a no.
  Instances are what the YAML parser builds (no tuples, which jsonschema-rs takes as arrays).

sandbox/fastcheck.py does the same for request bodies (the sandbox imports nothing from the
engine): a fix to one of these rules belongs in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples", "deprecated"})
_KEYWORDS = frozenset(
    {"type", "enum", "const", "required", "minLength", "maxLength", "pattern", "minimum", "maximum"}
    | {"minItems", "maxItems", "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not"}
    | {"if", "then", "else", "$ref", "$defs", "items", "properties", "additionalProperties"}
    | {"propertyNames"}
)
_ONE_SCHEMA = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else")
_DEFS_REF = re.compile(r"#/\$defs/([A-Za-z0-9_]+)")
_DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _PythonPattern:
    """`pattern` as jsonschema checks it: `re.search`, on strings only."""

    def __init__(self, parent: dict[str, Any], value: str, path: list[str | int]) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and self.search(instance) is None:
            raise ValueError("does not match")


def _trusted(schema: dict[str, Any]) -> bool:
    """Whether every subschema reachable from the root `schema` uses only `_KEYWORDS`."""
    defs = schema.get("$defs", {})
    extra = {k: v for k, v in schema.items() if k in ("$schema", "$id")}
    if extra.get("$schema", _DRAFT) != _DRAFT or not isinstance(extra.get("$id", ""), str):
        return False
    todo: list[Any] = [{k: v for k, v in schema.items() if k not in extra}]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict) or not _KEYWORDS.issuperset(node.keys() - _ANNOTATIONS):
            return False
        ref = node.get("$ref")
        if ref is not None:
            match = _DEFS_REF.fullmatch(ref) if isinstance(ref, str) else None
            if match is None or match[1] not in defs:
                return False
            if ref not in seen:
                seen.add(ref)
                todo.append(defs[match[1]])
        todo += [node[k] for k in _ONE_SCHEMA if k in node]
        todo += [sub for k in ("allOf", "anyOf", "oneOf") for sub in node.get(k, ())]
        todo += list(node.get("properties", {}).values())
    return True


def compile_check(schema: dict[str, Any]) -> Check | None:
    """The yes/no check of `schema` (its `$ref`s point into its `$defs`), or None where
    jsonschema-rs could be laxer than jsonschema or cannot compile it."""
    if not _trusted(schema):
        return None
    try:
        import jsonschema_rs
    except ImportError:  # no wheel for this platform: jsonschema checks everything, only slower
        return None
    try:
        validator = jsonschema_rs.Draft202012Validator(
            schema, validate_formats=False, offline=True, keywords={"pattern": _PythonPattern}
        )
    except (ValueError, re.error):  # its ValidationError: a schema (or regex) it does not take
        return None
    except TypeError:  # a release that renamed an option: step aside rather than fail the load
        return None
    is_valid = validator.is_valid

    def check(instance: Any) -> bool:
        try:
            return is_valid(instance)
        except (ValueError, TypeError):  # not JSON-shaped (a non-string key, a lone surrogate)
            return False

    return check

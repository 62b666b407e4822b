"""A yes/no answer to "is this request body valid?": the request schemas compiled by jsonschema-rs.

jsonschema takes 0.1-0.3 ms per body, a third of the sandbox's CPU in a large apply;
jsonschema-rs (Rust) answers "valid?" in microseconds. A yes is final; a no hands the body to
jsonschema, which stays the only one that finds and words the error. So this may be stricter
than jsonschema, never laxer. Where the two could disagree, it keeps jsonschema's meaning or
steps aside (a test checks the two agree on many bodies):

- ``pattern`` is searched with Python's ``re``, as jsonschema does (Rust's regex dialect differs);
- a schema reaching a keyword outside ``_KEYWORDS`` (``multipleOf``, whose decimal arithmetic
  differs; ``format``, ``patternProperties``, ``$dynamicRef``...), a ``$ref`` other than
  ``#/components/schemas/NAME``, or one jsonschema-rs cannot compile gets no check (None);
- a body that is not JSON-shaped (a lone surrogate) makes jsonschema-rs raise: a no.

The config loader's check (config/schema_fast.py) is built from the same pieces (`reachable`,
`check_of`): they live here because the sandbox imports nothing from the rest of assistplan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_KEYWORDS = frozenset(
    {"type", "enum", "const", "required", "minLength", "maxLength", "pattern", "minimum", "maximum"}
    | {"minItems", "maxItems", "minProperties", "maxProperties", "allOf", "anyOf", "oneOf", "not"}
    | {"if", "then", "else", "$ref", "items", "properties", "additionalProperties", "propertyNames"}
)
_SUBSCHEMA = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else")
_REF = re.compile(r"#/components/schemas/([A-Za-z0-9_.-]+)")


class _PythonPattern:
    """``pattern`` as jsonschema checks it: ``re.search``, on strings only."""

    def __init__(self, parent: dict[str, Any], value: str, path: list[str | int]) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and self.search(instance) is None:
            raise ValueError("does not match")


def reachable(
    root: Any, defs: Mapping[str, Any], ref: re.Pattern[str], ignored: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """The definitions (of `defs`, named by `$ref`s that `ref` matches in full) that `root`
    reaches, or None if a subschema it reaches uses a keyword outside `_KEYWORDS` and `ignored`
    or another `$ref`: a schema this check cannot vouch for."""
    found: dict[str, Any] = {}
    todo: list[Any] = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict) or not _KEYWORDS.issuperset(node.keys() - ignored):
            return None
        if "$ref" in node:
            match = ref.fullmatch(node["$ref"]) if isinstance(node["$ref"], str) else None
            if match is None or match[1] not in defs:
                return None
            if match[1] not in found:
                found[match[1]] = defs[match[1]]
                todo.append(defs[match[1]])
        todo += [node[key] for key in _SUBSCHEMA if key in node]
        todo += [sub for key in ("allOf", "anyOf", "oneOf") for sub in node.get(key, ())]
        todo += list(node.get("properties", {}).values())
    return found


def check_of(document: dict[str, Any]) -> Check | None:
    """jsonschema-rs's yes/no check of `document` (a schema `reachable` vouched for), or None
    where it cannot compile it."""
    try:
        import jsonschema_rs
    except ImportError:  # no wheel for this platform: jsonschema checks everything, only slower
        return None
    try:
        validator = jsonschema_rs.Draft202012Validator(
            document, validate_formats=False, offline=True, keywords={"pattern": _PythonPattern}
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


def compile_check(schemas: Mapping[str, Any], name: str) -> Check | None:
    """The yes/no check of ``schemas[name]`` (refs: ``#/components/schemas/...``), or None
    where jsonschema-rs could be laxer than jsonschema or cannot compile it."""
    reach = reachable(schemas[name], schemas, _REF)
    if reach is None:
        return None
    used = {name: schemas[name], **reach}
    return check_of({"$ref": f"#/components/schemas/{name}", "components": {"schemas": used}})

"""A yes/no answer to "is this request body valid?", compiled from the request schemas.

jsonschema takes 0.1-0.3 ms per body (most of it walking its own machinery, ``$ref`` lookups
included), a third of the sandbox's CPU in a large apply. The rewritten schemas are compiled
here, once per schema, into closures that only say whether a body passes. A yes is final; a no
hands the body to jsonschema, which stays the only one that finds and words the error. So this
may be stricter than jsonschema, never laxer: a schema with a keyword not handled here compiles
to nothing (jsonschema checks every body), and a test checks the two agree on many bodies.
(The engine has a checker like it for configs; the sandbox imports nothing from the engine.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]
_REF_PREFIX = "#/components/schemas/"


class _Unsupported(Exception):
    pass


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


_IS_TYPE: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _number,
    "integer": lambda x: _number(x) and (isinstance(x, int) or x.is_integer()),
}


def _same(a: Any, b: Any) -> bool:
    """Equality as JSON Schema's ``enum``/``const`` see it: true is not 1, but 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _number(a) and _number(b):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _every(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    return lambda x: all(check(x) for check in checks)


def _when(kind: type, test: Callable[[Any], bool]) -> Check:
    """A keyword that constrains only values of one JSON type (others pass it)."""
    return lambda x: not isinstance(x, kind) or test(x)


class _Compiler:
    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas
        self.refs: dict[str, Check] = {}

    def ref(self, target: str) -> Check:
        if not target.startswith(_REF_PREFIX):
            raise _Unsupported(target)
        if target not in self.refs:
            compiled: list[Check] = []
            self.refs[target] = lambda x: compiled[0](x)  # a schema may refer to itself
            compiled.append(self.compile(self.schemas[target.removeprefix(_REF_PREFIX)]))
        return self.refs[target]

    def compile(self, schema: Any) -> Check:
        if isinstance(schema, bool):
            return lambda x: schema
        compiled = (self.keyword(key, value, schema) for key, value in schema.items())
        checks = [check for check in compiled if check is not None]
        return _every(checks) if checks else (lambda x: True)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> Check | None:
        if key == "$ref":
            return self.ref(value)
        if key == "type":
            tests = [_IS_TYPE[t] for t in ([value] if isinstance(value, str) else value)]
            return tests[0] if len(tests) == 1 else (lambda x: any(t(x) for t in tests))
        if key == "enum":
            return lambda x: any(_same(x, v) for v in value)
        if key == "const":
            return lambda x: _same(x, value)
        if key == "required":
            return _when(dict, lambda x: all(name in x for name in value))
        if key == "properties":
            return self.properties(schema)
        if key == "additionalProperties":
            return None if "properties" in schema else self.properties(schema)
        if key == "items":
            item = self.compile(value)
            return _when(list, lambda x: all(item(i) for i in x))
        if key in ("maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties"):
            kind = {"Items": list, "Length": str, "Properties": dict}[key[3:]]
            limit = value
            if key.startswith("max"):
                return _when(kind, lambda x: len(x) <= limit)
            return _when(kind, lambda x: len(x) >= limit)
        if key in ("minimum", "maximum"):
            low = key == "minimum"
            return lambda x: not _number(x) or (x >= value if low else x <= value)
        if key == "pattern":
            rx = re.compile(value)
            return _when(str, lambda x: rx.search(x) is not None)
        if key == "propertyNames":
            name = self.compile(value)
            return _when(dict, lambda x: all(name(k) for k in x))
        if key in ("anyOf", "allOf", "oneOf"):
            branches = [self.compile(s) for s in value]
            if key == "anyOf":
                return lambda x: any(b(x) for b in branches)
            if key == "allOf":
                return lambda x: all(b(x) for b in branches)
            return lambda x: sum(1 for b in branches if b(x)) == 1
        if key == "if":
            test = self.compile(value)
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            return lambda x: then(x) if test(x) else otherwise(x)
        if key in ("then", "else"):
            return None  # checked with "if" (alone, they mean nothing)
        raise _Unsupported(key)

    def properties(self, schema: dict[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise _Unsupported("patternProperties")
        known = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        other = None if extra is True else self.compile(extra)

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, value in x.items():
                prop = known.get(name)
                if prop is not None:
                    if not prop(value):
                        return False
                elif other is not None and not other(value):
                    return False
            return True

        return check


def compile_check(schemas: Mapping[str, Any], name: str) -> Check | None:
    """The yes/no check of ``schemas[name]`` (refs: ``#/components/schemas/...``), or None when
    it uses a keyword not handled here."""
    try:
        return _Compiler(schemas).ref(_REF_PREFIX + name)
    except _Unsupported:
        return None

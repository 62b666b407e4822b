"""The fast yes/no check of a config: the schema compiled by jsonschema-rs (Rust).

jsonschema takes ~0.2 ms per resource, too slow for 10,000-resource configs; jsonschema-rs
answers "valid?" about 20x faster. A yes is final. A no hands the config to jsonschema, which
stays the only one that finds and words errors, so this check may be stricter than jsonschema
but never laxer. Where the two could disagree, it keeps jsonschema's meaning or steps aside:

- `pattern` is searched with Python's `re`, as jsonschema does: Rust's regex dialect differs
  (its `\\S` matches U+001F, Python's does not);
- a schema with a keyword outside the trusted ones (`multipleOf`: Rust's decimal arithmetic accepts
  0.3 as a multiple of 0.1, jsonschema does not; `format`, `$dynamicRef`, `patternProperties`,
  unknown ones...), a `$ref` other than `#/$defs/NAME`, or that jsonschema-rs cannot compile,
  gets no fast check (None): jsonschema checks every config;
- a value that is not JSON-shaped (YAML's non-string keys) makes jsonschema-rs raise: a no.
  Instances are what the YAML parser builds (no tuples, which jsonschema-rs takes as arrays).

The walk that vouches for a schema and the compiled check are the sandbox's (sandbox/fastcheck.py,
which checks request bodies the same way): the sandbox imports nothing from the rest of
assistplan, so the one copy lives there.
"""

from __future__ import annotations

import re
from typing import Any

from assistplan.sandbox.fastcheck import Check, check_of, reachable

_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples", "deprecated"})
_DEFS_REF = re.compile(r"#/\$defs/([A-Za-z0-9_]+)")
_DRAFT = "https://json-schema.org/draft/2020-12/schema"

__all__ = ["Check", "compile_check"]


def compile_check(schema: dict[str, Any]) -> Check | None:
    """The yes/no check of `schema` (its `$ref`s point into its `$defs`), or None where
    jsonschema-rs could be laxer than jsonschema or cannot compile it."""
    meta = {k: v for k, v in schema.items() if k in ("$schema", "$id")}
    if meta.get("$schema", _DRAFT) != _DRAFT or not isinstance(meta.get("$id", ""), str):
        return None
    root = {k: v for k, v in schema.items() if k not in meta}
    # `$defs` is where references point (and, nested, is never reached); annotations check nothing.
    if reachable(root, schema.get("$defs", {}), _DEFS_REF, _ANNOTATIONS | {"$defs"}) is None:
        return None
    return check_of(schema)

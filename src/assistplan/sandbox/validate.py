"""Request validation: the official request schemas, plus the limits the spec only describes.

The schemas come from the bundled copy of ``openapi-subset.json`` (byte-identical to the one in
``openai-contract/``), plus ``openapi-uploads.json``: the Uploads operations and their schemas as
the full spec there has them (the subset predates them; a test keeps the two equal). Three
mechanical rewrites are applied when loading them:

* OpenAPI 3.0's ``nullable: true`` (used by ``UpdateVectorStoreRequest``, a 3.1 document, see
  CONTRACT.md "More spec quirks" 1) becomes ``anyOf: [..., {type: null}]``.
* A ``oneOf`` whose branches are objects tagged by a ``type`` enum (tools, chunking strategies)
  becomes a tag check plus one ``if``/``then`` per tag, so an error names the exact field at fault.
* Annotations (descriptions, examples, ``x-*``) are dropped.

What the schemas do not enforce is checked by hand afterwards (:func:`check_request`):
metadata limits, function-name pattern, chunk overlap, ``file_ids`` xor ``files`` in batches.
Every failure becomes an :class:`ApiError` worded like OpenAI's, with ``param`` naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, cast

from .errors import ApiError, invalid
from .fastcheck import Check, compile_check

if TYPE_CHECKING:  # loaded by the first request that carries a body: a sandbox that only reads never needs it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SPEC_FILE = "openapi-subset.json"
UPLOADS_SPEC_FILE = "openapi-uploads.json"
_SPEC_URI = "urn:assistplan:sandbox:openapi-subset"
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "default", "format", "deprecated", "discriminator"}
)
_LITERAL_KEYS = frozenset({"required", "enum", "type", "const"})
_FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
METADATA_MAX_KEYS = 16
METADATA_MAX_KEY_LENGTH = 64
METADATA_MAX_VALUE_LENGTH = 512


@cache
def spec() -> dict[str, Any]:
    """The bundled official OpenAPI subset, parsed, with the Uploads schemas added."""
    doc = json.loads(files(__package__).joinpath(SPEC_FILE).read_text(encoding="utf-8"))
    uploads = json.loads(files(__package__).joinpath(UPLOADS_SPEC_FILE).read_text(encoding="utf-8"))
    for name, schema in uploads["components"]["schemas"].items():
        doc["components"]["schemas"].setdefault(name, schema)
    return doc


class _Rewriter:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def _target(self, schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref", "")
        return self.schemas[ref.rsplit("/", 1)[-1]] if ref else schema

    def _tagged_union(self, branches: list[Any]) -> dict[str, Any] | None:
        tags = []
        for branch in branches:
            if not isinstance(branch, dict):
                return None
            tag = self._target(branch).get("properties", {}).get("type", {}).get("enum", [])
            if len(tag) != 1:
                return None
            tags.append(tag[0])
        return {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": tags}},
            "allOf": [
                {
                    "if": {"required": ["type"], "properties": {"type": {"const": tag}}},
                    "then": self.schema(branch),
                }
                for tag, branch in zip(tags, branches, strict=True)
            ],
        }

    def schema(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        nullable = bool(node.get("nullable"))
        all_of = node.get("allOf")
        if all_of and {"nullable": True} in all_of:
            nullable = True
            node = {**node, "allOf": [b for b in all_of if b != {"nullable": True}]}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _ANNOTATIONS or key.startswith("x-") or key == "nullable":
                continue
            if key in ("properties", "patternProperties"):
                out[key] = {name: self.schema(sub) for name, sub in value.items()}
            elif key in _LITERAL_KEYS:
                out[key] = value
            else:
                out[key] = self.schema(value)
        union = self._tagged_union(node["oneOf"]) if "oneOf" in node else None
        if union is not None:
            del out["oneOf"]
            out = {**out, **union}
        return {"anyOf": [out, {"type": "null"}]} if nullable else out


@cache
def _schemas() -> dict[str, Any]:
    """Every component schema, rewritten as the module docstring says."""
    raw = spec()["components"]["schemas"]
    rewriter = _Rewriter(raw)
    return {name: rewriter.schema(s) for name, s in raw.items()}


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = {"components": {"schemas": _schemas()}}
    return Registry().with_resource(
        _SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )


@cache
def _passes(schema_name: str) -> Check | None:
    return compile_check(_schemas(), schema_name)


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    ref = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(ref, registry=_registry())


def param_path(parts: Iterable[Any]) -> str:
    """``['tools', 0, 'function', 'name']`` -> ``tools[0].function.name``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    type(None): "null",
}
_SCHEMA_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a decimal",
    "null": "null",
}


def _quote_list(values: list[Any]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _branch_requirements(err: ValidationError) -> list[str] | None:
    branches = cast(Any, err.validator_value)
    if not all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        return None
    return [name for b in branches for name in b["required"]]


def _wanted_types(err: ValidationError) -> list[str]:
    """The accepted JSON types when the value's type is what is wrong (also across anyOf/oneOf)."""
    value = cast(Any, err.validator_value)  # the stubs allow `Unset`; a raised error has it
    if err.validator == "type":
        return [value] if isinstance(value, str) else list(value)
    if err.validator not in ("anyOf", "oneOf") or not err.context:
        return []
    by_branch: dict[Any, list[str]] = {i: [] for i in range(len(value))}
    for e in err.context:
        if not e.relative_path:
            by_branch[e.relative_schema_path[0]] += _wanted_types(e)
    if not all(by_branch.values()):
        return []
    wanted: list[str] = []
    for types in by_branch.values():
        wanted += [t for t in types if t not in wanted]
    return wanted


def _api_error(err: ValidationError) -> ApiError:
    path = list(err.absolute_path)
    param = param_path(path) or None
    shown = param or "body"
    kind, limit, value = err.validator, cast(Any, err.validator_value), cast(Any, err.instance)
    if "propertyNames" in err.absolute_schema_path and kind == "maxLength":
        return invalid(
            f"Invalid '{shown}': key too long. Expected a key with maximum length {limit}, "
            f"but got a key with length {len(value)} instead.",
            param=param,
            code="string_above_max_length",
        )
    if kind == "required":
        missing = next(name for name in limit if name not in value)
        name = param_path([*path, missing])
        return invalid(
            f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    if kind == "additionalProperties":
        known = cast(dict[str, Any], err.schema).get("properties", {})
        extra = next(name for name in value if name not in known)
        name = param_path([*path, extra])
        return invalid(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
    wanted = _wanted_types(err)
    if wanted:
        expected = " or ".join(_SCHEMA_TYPE_NAMES[t] for t in wanted)
        got = _JSON_TYPE_NAMES.get(type(value), "a value")
        return invalid(
            f"Invalid type for '{shown}': expected {expected}, but got {got} instead.",
            param=param,
            code="invalid_type",
        )
    if kind in ("enum", "const"):
        allowed = limit if kind == "enum" else [limit]
        return invalid(
            f"Invalid value: '{_short(value)}'. Supported values are: {_quote_list(allowed)}.",
            param=param,
            code="invalid_value",
        )
    if kind in ("maxLength", "minLength"):
        above = kind == "maxLength"
        return invalid(
            f"Invalid '{shown}': string too {'long' if above else 'short'}. Expected a string with "
            f"{'maximum' if above else 'minimum'} length {limit}, "
            f"but got a string with length {len(value)} instead.",
            param=param,
            code=f"string_{'above_max' if above else 'below_min'}_length",
        )
    if kind in ("maxItems", "minItems"):
        if kind == "minItems" and not value:
            return invalid(
                f"Invalid '{shown}': empty array. Expected an array with minimum length {limit}, "
                "but got an empty array instead.",
                param=param,
                code="empty_array",
            )
        above = kind == "maxItems"
        return invalid(
            f"Invalid '{shown}': array too {'long' if above else 'short'}. Expected an array with "
            f"{'maximum' if above else 'minimum'} length {limit}, "
            f"but got an array with length {len(value)} instead.",
            param=param,
            code=f"array_{'above_max' if above else 'below_min'}_length",
        )
    if kind == "maxProperties":
        return invalid(
            f"Invalid '{shown}': too many properties. Expected an object with at most {limit} properties, "
            f"but got an object with {len(value)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        number = "integer" if isinstance(value, int) else "decimal"
        below = kind in ("minimum", "exclusiveMinimum")
        relation = (">" if below else "<") + ("=" if kind in ("minimum", "maximum") else "")
        return invalid(
            f"Invalid '{shown}': {number} {'below minimum' if below else 'above maximum'} value. "
            f"Expected a value {relation} {limit}, but got {value} instead.",
            param=param,
            code=f"{number}_{'below_min' if below else 'above_max'}_value",
        )
    if kind in ("oneOf", "anyOf"):
        names = _branch_requirements(err)
        if names is not None and kind == "anyOf":
            choices = " or ".join(f"'{param_path([*path, n])}'" for n in names)
            return invalid(
                f"Missing required parameter: one of {choices}.",
                param=param,
                code="missing_required_parameter",
            )
        if names is not None:
            choices = " or ".join(f"'{n}'" for n in names)
            return invalid(
                f"Invalid '{shown}': exactly one of {choices} must be provided.",
                param=param,
                code="invalid_value",
            )
    return invalid(
        f"Invalid value for '{shown}': {_short(value)} is not an accepted value.",
        param=param,
        code="invalid_value",
    )


def validate_schema(schema_name: str, body: Any) -> None:
    """Raise an :class:`ApiError` for the most relevant way ``body`` breaks the named schema."""
    passes = _passes(schema_name)
    if passes is not None and passes(body):
        return  # valid for sure; jsonschema would only find no error, ten times slower
    from jsonschema.exceptions import best_match

    err = best_match(_validator(schema_name).iter_errors(body))
    if err is not None:
        raise _api_error(err)


# --- limits the schemas leave to their descriptions -------------------------------------------


def check_metadata(metadata: Any, param: str = "metadata") -> None:
    if not isinstance(metadata, dict):
        return
    if len(metadata) > METADATA_MAX_KEYS:
        raise invalid(
            f"Invalid '{param}': too many properties. Expected an object with at most {METADATA_MAX_KEYS} "
            f"properties, but got an object with {len(metadata)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise invalid(
                f"Invalid '{param}': key too long. Expected a key with maximum length "
                f"{METADATA_MAX_KEY_LENGTH}, but got a key with length {len(key)} instead.",
                param=param,
                code="string_above_max_length",
            )
        if isinstance(value, str) and len(value) > METADATA_MAX_VALUE_LENGTH:
            name = f"{param}.{key}"
            raise invalid(
                f"Invalid '{name}': string too long. Expected a string with maximum length "
                f"{METADATA_MAX_VALUE_LENGTH}, but got a string with length {len(value)} instead.",
                param=name,
                code="string_above_max_length",
            )


def check_chunking_strategy(strategy: Any, param: str = "chunking_strategy") -> None:
    if not isinstance(strategy, dict) or strategy.get("type") != "static":
        return
    static = strategy["static"]
    size, overlap = static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]
    name = f"{param}.static.chunk_overlap_tokens"
    if overlap < 0:
        raise invalid(
            f"Invalid '{name}': integer below minimum value. Expected a value >= 0, "
            f"but got {overlap} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if overlap > size // 2:
        raise invalid(
            f"Invalid '{name}': the overlap must not exceed half of max_chunk_size_tokens "
            f"({size // 2}), but got {overlap} instead.",
            param=name,
            code="integer_above_max_value",
        )


def _check_tools(tools: Any) -> None:
    for i, tool in enumerate(tools or ()):
        if tool.get("type") != "function":
            continue
        name = tool["function"]["name"]
        param = f"tools[{i}].function.name"
        if len(name) > 64:
            raise invalid(
                f"Invalid '{param}': string too long. Expected a string with maximum length 64, "
                f"but got a string with length {len(name)} instead.",
                param=param,
                code="string_above_max_length",
            )
        if not _FUNCTION_NAME.match(name):
            raise invalid(
                f"Invalid '{param}': string does not match pattern. Expected a string that matches the "
                "pattern '^[a-zA-Z0-9_-]+$'.",
                param=param,
                code="invalid_value",
            )


def _check_assistant(body: dict[str, Any], *, create: bool) -> None:
    check_metadata(body.get("metadata"))
    _check_tools(body.get("tools"))
    file_search = ((body.get("tool_resources") or {}).get("file_search")) or {}
    helpers = file_search.get("vector_stores")
    if helpers is not None and not create:
        name = "tool_resources.file_search.vector_stores"
        raise invalid(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
    for i, helper in enumerate(helpers or ()):
        check_metadata(helper.get("metadata"), f"tool_resources.file_search.vector_stores[{i}].metadata")
        check_chunking_strategy(
            helper.get("chunking_strategy"),
            f"tool_resources.file_search.vector_stores[{i}].chunking_strategy",
        )


def _check_batch(body: dict[str, Any]) -> None:
    if "file_ids" in body and "files" in body:
        raise invalid(
            "Invalid request: 'file_ids' and 'files' are mutually exclusive; provide only one of them.",
            param="files",
            code="invalid_value",
        )
    check_chunking_strategy(body.get("chunking_strategy"))
    for i, item in enumerate(body.get("files") or ()):
        check_chunking_strategy(item.get("chunking_strategy"), f"files[{i}].chunking_strategy")


def check_request(schema_name: str, body: Any) -> dict[str, Any]:
    """Validate a JSON request body for the named request schema and return it."""
    if not isinstance(body, dict):
        got = _JSON_TYPE_NAMES.get(type(body), "a value")
        raise invalid(
            f"Invalid type for body: expected an object, but got {got} instead.", code="invalid_type"
        )
    validate_schema(schema_name, body)
    if schema_name in ("CreateAssistantRequest", "ModifyAssistantRequest"):
        _check_assistant(body, create=schema_name == "CreateAssistantRequest")
    elif schema_name in ("CreateVectorStoreRequest", "UpdateVectorStoreRequest"):
        check_metadata(body.get("metadata"))
        check_chunking_strategy(body.get("chunking_strategy"))
    elif schema_name == "CreateVectorStoreFileRequest":
        check_chunking_strategy(body.get("chunking_strategy"))
    elif schema_name == "CreateVectorStoreFileBatchRequest":
        _check_batch(body)
    return body

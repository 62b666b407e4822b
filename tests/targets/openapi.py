"""The official `CreateResponse` schema (../shared/openai-contract/openapi-full.yaml, beside the
clone in CI) as a jsonschema validator: what a published definition must satisfy."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parents[3] / "shared" / "openai-contract" / "openapi-full.yaml"
REF = "#/components/schemas/CreateResponse"


@functools.cache
def _spec() -> dict[str, Any]:
    assert SPEC.is_file(), f"the official OpenAPI spec is expected beside the clone: {SPEC}"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader


@functools.cache
def validator(schema: str) -> Draft202012Validator:
    """Validates against `components/schemas/SCHEMA`; the spec's `$ref`s resolve inside its components."""
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": _spec()["components"]}
    )


def create_response() -> Draft202012Validator:
    """Validates a `POST /v1/responses` body."""
    return validator(REF.rsplit("/", 1)[1])


def create_response_parameters() -> set[str]:
    """Every top-level parameter `CreateResponse` declares (through its allOf parts)."""
    schemas = _spec()["components"]["schemas"]
    out: set[str] = set()

    def walk(schema: dict[str, Any]) -> None:
        if "$ref" in schema:
            walk(schemas[schema["$ref"].rsplit("/", 1)[1]])
        out.update(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            walk(part)

    walk(schemas["CreateResponse"])
    return out


def errors(body: dict[str, Any]) -> list[str]:
    """What is wrong with `body` as a `CreateResponse` (empty when it is valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in create_response().iter_errors(body)
    ]

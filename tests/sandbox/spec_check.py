"""Validate recorded exchanges against the official OpenAPI subset in ``../shared/openai-contract``,
plus the Uploads operations taken from the full spec there (the subset predates them).

Where the spec itself is wrong, a named :class:`Allowance` (citing CONTRACT.md) explains the one
schema error it forgives; any error no allowance explains fails the test.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .helpers import Exchange

CONTRACT_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "openai-contract"
SPEC_YAML = CONTRACT_DIR / "openapi-subset.yaml"
FULL_YAML = CONTRACT_DIR / "openapi-full.yaml"
UPLOAD_PATHS = tuple(
    "/uploads" + tail for tail in ("", "/{upload_id}/parts", "/{upload_id}/complete", "/{upload_id}/cancel")
)
BUNDLED_UPLOADS = Path(__file__).resolve().parents[2] / "src/assistplan/sandbox/openapi-uploads.json"
_URI = "urn:test:openapi-subset"


@dataclass(frozen=True)
class Allowance:
    name: str
    reason: str
    applies: Callable[[Exchange, Any, ValidationError], bool]


def _path(err: ValidationError) -> list[Any]:
    return list(err.absolute_path)


RESPONSE_ALLOWANCES = (
    Allowance(
        "empty-page-null-cursors",
        "CONTRACT.md Pagination: the spec types first_id/last_id as strings, but an empty page has no id "
        "to give; OpenAI answers null and the SDK accepts it.",
        lambda ex, body, err: (
            _path(err) in (["first_id"], ["last_id"]) and err.instance is None and body.get("data") == []
        ),
    ),
    Allowance(
        "evals-purpose",
        "CONTRACT.md Files: uploads accept purpose 'evals', but OpenAIFile.purpose's enum lacks it.",
        lambda ex, body, err: _path(err)[-1:] == ["purpose"] and err.instance == "evals",
    ),
)
REQUEST_ALLOWANCES = (
    Allowance(
        "nullable-3.0",
        "CONTRACT.md More spec quirks 1: UpdateVectorStoreRequest uses OpenAPI 3.0's `nullable: true`, "
        "which JSON Schema ignores, so the null name/expires_after the SDK may send look invalid.",
        lambda ex, body, err: (
            ex.path.startswith("/v1/vector_stores/")
            and _path(err)[:1] in (["name"], ["expires_after"])
            and err.instance is None
        ),
    ),
)
# Operations whose 200 body is not JSON although the spec says application/json.
NON_JSON_RESPONSES = {
    ("GET", "/files/{file_id}/content"): "CONTRACT.md Files: the content is the raw bytes "
    "(application/octet-stream); the spec declares an application/json string.",
}


@cache
def spec() -> dict[str, Any]:
    """The subset, with the Uploads operations and their schemas added."""
    doc = yaml.safe_load(SPEC_YAML.read_text(encoding="utf-8"))
    extra = uploads_spec()
    doc["paths"].update(extra["paths"])
    for name, schema in extra["components"]["schemas"].items():
        assert doc["components"]["schemas"].setdefault(name, schema) == schema, name
    return doc


@cache
def uploads_spec() -> dict[str, Any]:
    """`UPLOAD_PATHS` of the full spec and every schema they reference, followed through all nesting."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 3 MB of YAML: libyaml when there is one
    full = yaml.load(FULL_YAML.read_text(encoding="utf-8"), Loader=loader)
    paths = {p: full["paths"][p] for p in UPLOAD_PATHS}
    schemas: dict[str, Any] = {}
    todo = [paths]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in schemas:
                    schemas[name] = full["components"]["schemas"][name]
                    todo.append(schemas[name])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return {
        "openapi": full["openapi"],
        "info": {
            "title": "OpenAI API (subset: uploads)",
            "description": "The Uploads operations of openai/openai-openapi openapi.yaml (see SOURCE.md) and "
            "every schema they reference, unchanged; made by `python -m tests.sandbox.spec_check`.",
            "version": full["info"]["version"],
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def bundled_uploads_text() -> str:
    """The sandbox's copy of `uploads_spec()`, as it is written to `BUNDLED_UPLOADS`."""
    return json.dumps(uploads_spec(), indent=1, ensure_ascii=False) + "\n"


@cache
def _registry() -> Registry:
    resource = Resource.from_contents({"components": spec()["components"]}, default_specification=DRAFT202012)
    return Registry().with_resource(_URI, resource)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    ref = schema["$ref"].replace("#/", f"{_URI}#/", 1)
    return Draft202012Validator({"$ref": ref}, registry=_registry())


@cache
def _operations() -> list[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
    out = []
    for template, item in spec()["paths"].items():
        pattern = re.compile("^/v1" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method, operation in item.items():
            if method in ("get", "post", "delete"):
                out.append((method.upper(), pattern, template, operation))
    return out


def operation_of(exchange: Exchange) -> tuple[str, dict[str, Any]]:
    """The spec's path template and operation object for a recorded request."""
    for method, pattern, template, operation in _operations():
        if method == exchange.method and pattern.match(exchange.path):
            return template, operation
    raise AssertionError(f"no operation in the spec for {exchange.method} {exchange.path}")


@dataclass
class Report:
    """What was checked: per operation id, responses validated; per allowance, times used."""

    validated: Counter[str]
    allowances: Counter[str]


def _unexplained(
    exchange: Exchange,
    body: Any,
    schema: dict[str, Any],
    allowances: tuple[Allowance, ...],
    used: Counter[str],
) -> list[str]:
    problems = []
    for err in _validator(schema).iter_errors(body):
        allowance = next((a for a in allowances if a.applies(exchange, body, err)), None)
        if allowance is None:
            problems.append(f"{exchange.method} {exchange.path} -> {list(err.absolute_path)}: {err.message}")
        else:
            used[allowance.name] += 1
    return problems


def check_exchanges(exchanges: list[Exchange]) -> Report:
    """Validate every response (and every JSON request body) against the spec; fail on the unexplained."""
    report = Report(Counter(), Counter())
    problems: list[str] = []
    error_schema = {"$ref": "#/components/schemas/ErrorResponse"}
    for exchange in exchanges:
        template, operation = operation_of(exchange)
        op_id = operation["operationId"]
        if exchange.request_content_type.startswith("application/json") and exchange.request_body:
            request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            problems += _unexplained(
                exchange, exchange.json_request(), request_schema, REQUEST_ALLOWANCES, report.allowances
            )
        if exchange.status != 200:
            problems += _unexplained(exchange, exchange.json(), error_schema, (), report.allowances)
            report.validated[f"{op_id} (error {exchange.status})"] += 1
            continue
        if (exchange.method, template) in NON_JSON_RESPONSES:
            assert exchange.content_type == "application/octet-stream", exchange.content_type
            report.allowances["non-json-content"] += 1
            report.validated[op_id] += 1
            continue
        assert exchange.content_type.startswith("application/json"), (op_id, exchange.content_type)
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        problems += _unexplained(exchange, exchange.json(), schema, RESPONSE_ALLOWANCES, report.allowances)
        report.validated[op_id] += 1
    assert not problems, "responses the spec does not allow:\n" + "\n".join(problems)
    return report


def all_operation_ids() -> set[str]:
    return {operation["operationId"] for _, _, _, operation in _operations()}


if __name__ == "__main__":
    BUNDLED_UPLOADS.write_text(bundled_uploads_text(), encoding="utf-8")
    print(f"wrote {BUNDLED_UPLOADS}")

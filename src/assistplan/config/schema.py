"""JSON Schema validation of a parsed config, with jsonschema errors turned into readable findings.

`assistplan.schema.json` is the one definition of the language. Validation is split per
resource: the top level is checked with every section's entries left open, then each entry
against its own definition. A yes/no check compiled by jsonschema-rs (schema_fast) runs first;
jsonschema only runs on what failed it, to find and word the errors.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from assistplan.config.messages import TYPE_NAMES, Finding, hint, join_or, kind_of, short, where
from assistplan.config.schema_fast import Check, compile_check

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "assistplan.schema.json"
NAME_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$"
NAME_RULE = (
    "use lowercase letters, digits, '_' and '-', starting with a letter or digit, at most 64 characters"
)
_PATTERN_RULES = {
    NAME_PATTERN: NAME_RULE,
    "^[a-zA-Z0-9_-]{1,64}$": "use letters, digits, '_' and '-', at most 64 characters",
    "^https?://\\S+$": "must be an http:// or https:// URL",
    "^[A-Za-z0-9][A-Za-z0-9-]*$": "use letters, digits and '-', starting with a letter or digit",
    "^[A-Za-z0-9][A-Za-z0-9._-]*$": "use letters, digits, '.', '_' and '-', e.g. v1 or 2025-05-15-preview",
}
_NOUNS = {"tools": "tools", "files": "files", "vector_stores": "vector stores", "nodes": "nodes"}

Path_ = tuple[str | int, ...]


@functools.cache
def load_schema() -> dict[str, Any]:
    """The schema document shipped in the package."""
    text = resources.files("assistplan.config").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


class _Part:
    """One validation unit: a (sub)schema with its fast check and, built on first need (a config
    the fast check refuses), its jsonschema validator: a valid config never imports jsonschema."""

    def __init__(self, root: dict[str, Any], schema: dict[str, Any]):
        self.schema = {**schema, "$defs": root["$defs"]}
        self._validator: Draft202012Validator | None = None
        self.fast: Check | None = compile_check(self.schema)

    def errors(self, instance: Any) -> list[ValidationError]:
        if self.fast is not None and self.fast(instance):
            return []
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(self.schema)
        return list(self._validator.iter_errors(instance))


@functools.cache
def _parts() -> tuple[_Part, dict[str, _Part]]:
    root = load_schema()
    shallow = json.loads(json.dumps(root))
    sections: dict[str, _Part] = {}
    for key, prop in shallow["properties"].items():
        entry = prop.get("additionalProperties") if isinstance(prop, dict) else None
        if isinstance(entry, dict) and "$ref" in entry:
            sections[key] = _Part(root, {"$ref": entry["$ref"]})
            prop["additionalProperties"] = True  # entries are checked one by one below
    return _Part(root, shallow), sections


def schema_findings(data: Any) -> list[Finding]:
    """Every schema violation in `data`, as readable findings at document paths."""
    top, sections = _parts()
    findings = _describe_all(top.errors(data), ())
    if isinstance(data, dict):
        for section, part in sections.items():
            entries = data.get(section)
            if isinstance(entries, dict):
                for name, entry in entries.items():
                    findings += _describe_all(part.errors(entry), (section, name))
    return findings


def _describe_all(errors: Iterable[ValidationError], prefix: Path_) -> list[Finding]:
    errors = list(errors)
    # A value of the wrong type also fails its other keywords (const, enum...): keep the type error.
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    out: list[Finding] = []
    for e in errors:
        if e.validator != "type" and tuple(e.absolute_path) in typed and not _on_key(e):
            continue
        out += _describe(e, prefix)
    return out


def _on_key(e: ValidationError) -> bool:
    # propertyNames checks the keys of the mapping at e.path; the key is e.instance.
    return "propertyNames" in e.relative_schema_path or "propertyNames" in e.schema_path


def _label(path: Path_) -> str:
    return f"{where(path)}: " if path else ""


def _in(path: Path_) -> str:
    return f"in {where(path)}" if path else "at the top level"


def _describe(e: ValidationError, prefix: Path_) -> list[Finding]:
    path = prefix + tuple(e.absolute_path)
    # The stubs type these as possibly `Unset`; a raised ValidationError always has them.
    kw, value, inst, label = e.validator, cast(Any, e.validator_value), cast(Any, e.instance), _label(path)
    if _on_key(e):
        return [_describe_key(e, path)]
    if kw == "additionalProperties" and value is False:
        allowed = list(cast(dict[str, Any], e.schema).get("properties", {}))
        return [
            Finding((*path, k), f"unknown key {short(k)} {_in(path)}{hint(str(k), allowed)}", at_key=True)
            for k in inst
            if k not in allowed
        ]
    if kw == "required":
        missing = [k for k in value if k not in inst]
        extra = " (add 'version: 1' at the top of the file)" if not path and "version" in missing else ""
        return [Finding(path, f"{label}missing required key '{k}'{extra}") for k in missing]
    if kw == "type":
        names = [value] if isinstance(value, str) else list(value)
        return [
            Finding(path, f"{label}expected {join_or([TYPE_NAMES[n] for n in names])}, got {kind_of(inst)}")
        ]
    if kw == "const":
        return [Finding(path, f"{label}must be {short(value)} (got {short(inst)})")]
    if kw == "enum":
        tail = hint(inst, [str(v) for v in value], list_all=False) if isinstance(inst, str) else ""
        choices = ", ".join(str(v) for v in value)
        return [Finding(path, f"{label}must be one of {choices} (got {short(inst)}){tail}")]
    if kw == "pattern":
        rule = _PATTERN_RULES.get(value, f"must match {value}")
        return [Finding(path, f"{label}invalid value {short(inst)}: {rule}")]
    if kw == "minLength":
        need = "must not be empty" if value == 1 else f"must be at least {value} characters"
        return [Finding(path, f"{label}{need}")]
    if kw == "maxLength":
        return [Finding(path, f"{label}too long: {len(inst)} characters (at most {value})")]
    if kw == "maxItems":
        noun = _NOUNS.get(str(path[-1]) if path else "", "items")
        return [Finding(path, f"{label}too many {noun}: {len(inst)} (at most {value})")]
    if kw == "minItems":
        return [Finding(path, f"{label}needs at least {value} item{'s' if value != 1 else ''}")]
    if kw == "maxProperties":
        note = "; the API allows 16 and assistplan reserves one" if path and path[-1] == "metadata" else ""
        return [Finding(path, f"{label}too many keys: {len(inst)} (at most {value}{note})")]
    if kw in ("minimum", "maximum"):
        bound = "at least" if kw == "minimum" else "at most"
        return [Finding(path, f"{label}must be {bound} {value} (got {short(inst)})")]
    if kw in ("oneOf", "anyOf"):
        return _describe_one_of(e, path, prefix)
    return [Finding(path, f"{label}{e.message[:200]}")]


def _describe_key(e: ValidationError, path: Path_) -> Finding:
    key, kw, value = cast(Any, e.instance), e.validator, cast(Any, e.validator_value)
    at: Path_ = (*path, key)
    if kw == "pattern":
        rule = _PATTERN_RULES.get(value, f"must match {value}")
        return Finding(at, f"invalid name {short(key)} {_in(path)}: {rule}", at_key=True)
    if kw == "maxLength":
        return Finding(
            at, f"key {short(key)} {_in(path)} is too long: {len(key)} characters (at most {value})", True
        )
    if kw == "minLength":
        return Finding(at, f"empty key {_in(path)}", at_key=True)
    return Finding(at, f"invalid key {short(key)} {_in(path)}: {e.message[:200]}", at_key=True)


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = load_schema()["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _discriminators(branch: Any) -> list[str]:
    """The `type` values (`const`, or an `enum`) that select an object branch (tools, formats...)."""
    kind = _resolve(branch).get("properties", {}).get("type", {})
    const = kind.get("const")
    if isinstance(const, str):
        return [const]
    return [v for v in kind.get("enum", ()) if isinstance(v, str)]


def _shown(branch: Any) -> str:
    """How a message names the `type` values of a branch: its one value, or a family by its title."""
    values = _discriminators(branch)
    return values[0] if len(values) == 1 else f"a {_resolve(branch).get('title', 'other')}'s type"


def _alternatives(branches: list[Any]) -> str:
    consts, tagged, kinds = [], [], []
    for raw in branches:
        branch, disc = _resolve(raw), _discriminators(raw)
        if disc:
            tagged.append(_shown(raw))
        elif "const" in branch:
            consts.append(short(branch["const"]))
        elif isinstance(branch.get("type"), str):
            kinds.append(TYPE_NAMES[branch["type"]])
    parts = consts + ([f"a mapping with type {join_or(tagged)}"] if tagged else []) + kinds
    return join_or(parts)


def _describe_one_of(e: ValidationError, path: Path_, prefix: Path_) -> list[Finding]:
    branches, inst, label = list(cast(Any, e.validator_value)), cast(Any, e.instance), _label(path)
    if not e.context:
        return [Finding(path, f"{label}matches more than one of: {_alternatives(branches)}")]
    by_branch: dict[int, list[ValidationError]] = {i: [] for i in range(len(branches))}
    for sub in e.context:
        by_branch[int(sub.relative_schema_path[0])].append(sub)
    discs = [_discriminators(b) for b in branches]
    names = [d for ds in discs for d in ds]
    shown = [_shown(b) for b, ds in zip(branches, discs, strict=True) if ds]
    if isinstance(inst, dict) and names:
        if "type" not in inst:
            return [Finding(path, f"{label}missing required key 'type' (one of: {', '.join(shown)})")]
        kind = inst["type"]
        if kind in names:
            return _describe_all(by_branch[next(i for i, ds in enumerate(discs) if kind in ds)], prefix)
        tail = hint(kind, names, list_all=False) if isinstance(kind, str) else ""
        tail = tail or f" (expected one of: {', '.join(shown)})"
        return [Finding((*path, "type"), f"{_label((*path, 'type'))}unknown type {short(kind)}{tail}")]
    # Not discriminated by `type`: keep the branches whose JSON type fits the value.
    fits = [
        i
        for i, errs in by_branch.items()
        if not any(s.validator == "type" and not s.relative_path for s in errs)
    ]
    if not fits:
        return [Finding(path, f"{label}expected {_alternatives(branches)}, got {kind_of(inst)}")]
    best = min(fits, key=lambda i: len(by_branch[i]))
    errs = by_branch[best]
    if len(branches) > 1 and all(not s.relative_path and s.validator in ("const", "enum") for s in errs):
        return [Finding(path, f"{label}invalid value {short(inst)}: expected {_alternatives(branches)}")]
    return _describe_all(errs, prefix)

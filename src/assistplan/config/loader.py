"""`load_config`: read, parse, validate and build an assistants.yaml, or raise ConfigError.

Steps: read bytes (bounded, UTF-8) -> YAML with positions (yaml_positions) -> with `--env`, the
environment's overlay merged in (overlay) -> JSON Schema (schema) -> semantic checks and the
files the config names (checks) -> frozen model (build).
Every problem found on the way is reported together, as FILE:LINE:COL diagnostics.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

from assistplan.config.build import build_config
from assistplan.config.checks import run_checks
from assistplan.config.messages import Finding, kind_of
from assistplan.config.model import Config, DanglingRef, Pos
from assistplan.config.overlay import (
    ENVIRONMENTS_KEY,
    Merge,
    UnknownEnvironment,
    apply_overlay,
    check_selected,
    overlay_path,
    with_environment,
    workspace_problems,
)
from assistplan.config.schema import schema_findings
from assistplan.config.yaml_positions import Document, YamlFatal, parse_yaml
from assistplan.errors import ConfigError, Diagnostic

MAX_CONFIG_BYTES = 64 * 1024 * 1024


def load_config(path: Path | str, *, allow_dangling: bool = False, env: str | None = None) -> Config:
    """Load and validate the config at `path`. Raises ConfigError with every problem found.

    With `allow_dangling`, references from pipelines/experiments to undeclared assistants or
    pipelines are returned in `Config.dangling` for the planner to judge against state.
    With `env`, the environment must be declared in the config (else UnknownEnvironment, before
    anything else is read) and its overlay, when present, is merged in before validation.
    """
    shown = str(path)
    config_path = Path(path).absolute()
    raw = _read(config_path, shown)
    doc = _parse(raw, shown)
    if doc.data is None and not doc.problems:
        raise _fail(
            shown, Pos(1, 1), "the config is empty (it holds no YAML document); start with 'version: 1'"
        )
    if not isinstance(doc.data, dict):
        got = kind_of(doc.data)
        raise _fail(
            shown, doc.pos(()), f"the config must be a mapping of sections (version, files, ...), got {got}"
        )
    digest = hashlib.sha256(raw)
    diagnostics: list[Diagnostic] = []
    merged = Merge()
    overlay_state: Any = None
    if env is not None:
        _select(doc, env, shown)
        digest.update(b"\0environment\0" + env.encode())
        ov_path, ov_shown = overlay_path(config_path, env), str(overlay_path(Path(shown), env))
        if ov_path.exists():
            ov_raw = _read(ov_path, ov_shown, empty_ok=True)
            overlay = _parse(ov_raw, ov_shown)
            digest.update(b"\0overlay\0" + ov_raw)
            merged = apply_overlay(doc, overlay, ov_shown)
            diagnostics += [_at(ov_shown, p, m) for p, m in overlay.problems]
            overlay_state = overlay.data.get("state") if isinstance(overlay.data, dict) else None

    findings = schema_findings(doc.data)
    base = config_path.parent.resolve()
    checked = run_checks(doc, base, findings, merged.removed)
    diagnostics += [_at(shown, p, m) for p, m in doc.problems + merged.problems]
    if env is not None:
        ov_name = overlay_path(Path(shown), env).name
        conflicts = workspace_problems(doc.data, overlay_state, env, ov_name)
        diagnostics += [_at(shown, doc.pos(p), m) for p, m in conflicts]
    diagnostics += [_diagnostic(shown, doc, f) for f in findings + checked.findings]
    dangling = [DanglingRef(c, t, _diagnostic(shown, doc, f)) for f, c, t in checked.dangling]
    if diagnostics or (dangling and not allow_dangling):
        diagnostics += [d.diagnostic for d in dangling]
        raise ConfigError(list(dict.fromkeys(diagnostics)))

    for name in sorted(checked.instructions):
        rel = doc.data["assistants"][name]["instructions_file"]
        digest.update(b"\0instructions_file\0" + rel.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(checked.instructions[name][1]).digest())
    config = build_config(doc, checked, config_path, digest.hexdigest())
    if env is not None:
        config = with_environment(config, env, overlay_state, merged.removed)
    return dataclasses.replace(config, dangling=tuple(dangling)) if dangling else config


def _select(doc: Document, env: str, shown: str) -> None:
    """Refuse an undeclared environment; when the base config has problems of its own (say, a
    misspelt `environments` key), they are reported with the refusal."""
    try:
        check_selected(doc.data, env, shown)
    except UnknownEnvironment as exc:
        findings = schema_findings(doc.data)
        if not findings and not doc.problems:
            raise
        diagnostics = [_at(shown, p, m) for p, m in doc.problems]
        diagnostics += [_diagnostic(shown, doc, f) for f in findings]
        diagnostics.append(_at(shown, doc.pos((ENVIRONMENTS_KEY,)), f"--env: {exc}"))
        raise ConfigError(diagnostics) from None


def _parse(raw: bytes, shown: str) -> Document:
    text = _decode(raw, shown)
    try:
        return parse_yaml(text)
    except YamlFatal as e:
        raise _fail(shown, e.pos, e.message) from None


def _fail(shown: str, pos: Pos, message: str) -> ConfigError:
    return ConfigError([Diagnostic(shown, pos.line, pos.col, message)])


def _read(config_path: Path, shown: str, empty_ok: bool = False) -> bytes:
    whole = Pos(0, 0)  # about the file itself: no line or column to point at
    try:
        with config_path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise _fail(shown, whole, f"config file not found (looked for {config_path})") from None
    except IsADirectoryError:
        raise _fail(shown, whole, "is a directory, not a config file") from None
    except OSError as e:
        raise _fail(shown, whole, f"cannot read the config: {e.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise _fail(shown, whole, f"the config file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB")
    if not raw and not empty_ok:
        raise _fail(shown, Pos(1, 1), "the config file is empty (0 bytes); start with 'version: 1'")
    return raw


def _decode(raw: bytes, shown: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        # Reported at 1:1 (the file as a whole); the offending byte's place is in the message.
        prefix = raw[: e.start].decode("utf-8", errors="replace")
        line = prefix.count("\n") + 1
        col = len(prefix) - (prefix.rfind("\n") + 1) + 1
        message = f"the config is not valid UTF-8 text (invalid byte at line {line}, column {col})"
        raise _fail(shown, Pos(1, 1), message) from None
    return text.removeprefix("\ufeff")


def _at(shown: str, pos: Pos, message: str) -> Diagnostic:
    """A diagnostic at `pos`, in the file `pos` names (an overlay) or else in `shown`."""
    return Diagnostic(pos.file or shown, pos.line, pos.col, message)


def _diagnostic(shown: str, doc: Document, finding: Finding) -> Diagnostic:
    pos = doc.key_pos(finding.path) if finding.at_key else doc.pos(finding.path)
    return _at(shown, pos, finding.message)

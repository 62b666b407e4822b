"""Saved plans (`plan --out FILE`, `apply FILE`): the frozen plan plus what proves it is still current.

A saved plan applies only to the state it was made from (lineage + serial, or "no state at
all"), the same environment, the same endpoint and the same config (digest); anything else is a
StalePlanError.
The file holds no secret: attributes, ids and the refreshed prior state only.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistplan.errors import Command, PlanError, StalePlanError, command
from assistplan.plan.model import PLAN_FORMAT_VERSION, Plan, ResourceChange
from assistplan.secrets import redact_stored
from assistplan.state.model import State

if TYPE_CHECKING:
    from assistplan.config.model import Config
    from assistplan.plan.desired import Desired

MAGIC = "assistplan-plan"


def save(plan: Plan, path: Path) -> None:
    doc: dict[str, Any] = {
        "kind": MAGIC,
        "format_version": PLAN_FORMAT_VERSION,
        "lineage": plan.lineage,
        "serial": plan.serial,
        "prior_exists": plan.prior_exists,
        "endpoint": plan.endpoint,
        "environment": plan.environment,
        "config_digest": plan.config_digest,
        "refresh_only": plan.refresh_only,
        "changes": [c.to_file() for c in plan.changes],
        "drift": [c.to_file() for c in plan.drift],
        "errors": list(plan.errors),
        "warnings": list(plan.warnings),
        "prior_state": plan.prior_state,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(redact_stored(json.dumps(doc, indent=1)) + "\n")
    os.replace(tmp, path)


def _remake(path: Path) -> tuple[str | Command, ...]:
    """How to make a current plan and apply it (the message's end)."""
    return (
        "make a new one: `",
        command("plan", "--out", str(path)),
        "`, then `",
        command("apply", str(path)),
        "`",
    )


def load(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        if isinstance(exc, json.JSONDecodeError) and _looks_like_config(path, text):
            raise PlanError(
                f"{path} looks like a config, not a saved plan: `apply FILE` takes a plan saved by "
                "`plan --out FILE`. To apply this config, name it with -c: `",
                command("-c", str(path), "apply"),
                "`",
            ) from None
        raise PlanError(f"{path}: not a readable assistplan plan file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != MAGIC:
        raise PlanError(f"{path}: not an assistplan plan file")
    version = doc.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        hint: tuple[str | Command, ...] = ()
        if isinstance(version, int) and version < PLAN_FORMAT_VERSION:
            hint = ": it was saved by an older assistplan; ", *_remake(path)
        raise PlanError(f"{path}: plan format {version} is not supported by this assistplan", *hint)
    try:
        return Plan(
            lineage=doc["lineage"],
            serial=int(doc["serial"]),
            prior_exists=bool(doc["prior_exists"]),
            endpoint=doc["endpoint"],
            config_digest=doc["config_digest"],
            refresh_only=bool(doc.get("refresh_only")),
            changes=tuple(ResourceChange.from_file(c) for c in doc["changes"]),
            drift=tuple(ResourceChange.from_file(c) for c in doc.get("drift", [])),
            errors=tuple(doc.get("errors", [])),
            prior_state=doc["prior_state"],
            environment=doc.get("environment"),
            warnings=tuple(doc.get("warnings", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanError(f"{path}: corrupt plan file ({exc})") from None


def _looks_like_config(path: Path, text: str) -> bool:
    return path.suffix in (".yaml", ".yml") or text.lstrip().startswith(("version:", "#"))


def check_environment(plan: Plan, environment: str | None) -> None:
    """A plan made for one environment (`--env`) is refused for another (checked before locking)."""
    if plan.environment != environment:
        made, here = (
            f"environment {e}" if e else "the default state (no --env)"
            for e in (plan.environment, environment)
        )
        hint = f"apply it with --env {plan.environment}" if plan.environment else "apply it without --env"
        raise StalePlanError(f"saved plan is for {made}, not {here}: {hint}")


def plan_digest(config: Config, working: dict[str, Desired]) -> str:
    """What a saved plan was made from: the config (and instructions files) and every local file's bytes."""
    h = hashlib.sha256(config.digest.encode())
    for addr in sorted(working):
        sha = working[addr].attrs.get("sha256") if working[addr].type == "file" else None
        if sha:
            h.update(f"\0{addr}\0{sha}".encode())
    return h.hexdigest()


def check_applicable(
    plan: Plan, state: State, endpoint: str, config: Config, parallelism: int, path: Path
) -> None:
    """Before `apply FILE` (under the lock): StalePlanError unless the plan is current for `state`
    (serial 0: none yet) and `config`; PlanError if it carries errors."""
    from assistplan.plan.desired import build_desired  # loaded by apply, not by `show FILE`

    digest = plan_digest(config, build_desired(config, parallelism))
    check_current(plan, state if state.serial > 0 else None, endpoint, digest, config.environment, path)
    if plan.errored:
        raise PlanError("the saved plan has errors and cannot be applied")


def check_current(
    plan: Plan,
    stored: State | None,
    endpoint: str,
    config_digest: str,
    environment: str | None = None,
    path: Path = Path("PLANFILE"),
) -> None:
    """Raise StalePlanError unless the plan was made from exactly this state, endpoint, environment
    and config. `path`: the saved plan's file, for the hint that makes it again."""
    check_environment(plan, environment)
    remake = _remake(path)
    if plan.endpoint != endpoint:
        raise StalePlanError(f"saved plan is for endpoint {plan.endpoint}, not {endpoint}")
    if not plan.prior_exists:
        if stored is not None:
            raise StalePlanError(
                "saved plan is stale: it was made when no state existed, and state has been written since "
                f"(serial {stored.serial}); ",
                *remake,
            )
    elif stored is None:
        raise StalePlanError("saved plan is stale: the state it was made from no longer exists")
    elif stored.lineage != plan.lineage:
        raise StalePlanError(
            f"saved plan does not match the state: it was made for lineage {plan.lineage}, "
            f"the state has lineage {stored.lineage}"
        )
    elif stored.serial != plan.serial:
        raise StalePlanError(
            f"saved plan is stale: made at state serial {plan.serial}, the state is now at serial "
            f"{stored.serial}; ",
            *remake,
        )
    if plan.config_digest != config_digest:
        raise StalePlanError(
            "saved plan is stale: the configuration or a file it names changed since it was made; ", *remake
        )

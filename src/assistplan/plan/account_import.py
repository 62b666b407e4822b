"""`import --all`: every unmanaged assistant and vector store of an account (and the files they
use) declared in a new config, and imported into that config's state as they are.

No object is changed remotely. Objects another state on the same endpoint manages (the config's
own, or the one next to the new config), or has let go of, are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistplan.config import load_config
from assistplan.config.model import DEFAULT_TARGET, Config
from assistplan.errors import AssistplanError, ConfigError, StateError
from assistplan.plan import onboard
from assistplan.plan.desired import build_desired
from assistplan.plan.importer import Imported
from assistplan.plan.intents import deposed_ids
from assistplan.plan.surgery import record_import
from assistplan.remote.api import Remote
from assistplan.remote.client import Endpoint
from assistplan.state import LocalBackend, StateManager, normalize_endpoint
from assistplan.state.base import Backend
from assistplan.state.model import State
from assistplan.targets import TARGETS, open_target


@dataclass
class AccountImport:
    found: onboard.Scan
    generated: onboard.Generated
    imported: list[Imported]  # empty when there was nothing to import (and nothing was written)
    state_rel: str | None  # the new config's own state (from its folder), when the default is taken

    @property
    def declared(self) -> bool:
        return declares_definitions(self.found)


def declares_definitions(found: onboard.Scan) -> bool:
    """The assistants are declarations the next apply realises (a target without objects)."""
    return not TARGETS[found.target].remote and bool(found.assistants)


def new_config(out: Path, existing: Config | None) -> Config:
    """Where the new config will stand, on the endpoint (and target) the existing config names."""
    return Config(
        path=out.absolute(),
        digest="",
        base_url=existing.base_url if existing else None,
        target=existing.target if existing else DEFAULT_TARGET,
        project_endpoint=existing.project_endpoint if existing else None,
        api_version=existing.api_version if existing else None,
        agent_prefix=existing.agent_prefix if existing else "",
    )


def import_account(
    out: Path,
    existing: Config | None,
    target: Config,
    endpoint: Endpoint,
    theirs: Backend | None,
    remote: Callable[[Config], Remote],
    *,
    parallelism: int,
    timeout: float,
    import_command: str,
    on_scanned: Callable[[onboard.Scan], None],
) -> AccountImport:
    """Write `out` and its state; the caller says what was done.

    `target`: `new_config(out, existing)`; `theirs`: the existing config's state backend;
    `remote(config)`: the new config's remote; `import_command`: how to import one object with
    the new config (for when what was written does not validate); `on_scanned` hears what the
    scan found before anything is written."""
    default = LocalBackend(target.dir / ".assistplan" / "state.json")
    default_doc = default.read()
    stored = (theirs.read() if theirs else None, default_doc)
    known = [s for s in stored if s is not None and _on(s, endpoint)]
    # The state next to FILE may already be another config's: then FILE keeps a state of its own.
    shared = bool(default_doc and default_doc.resources) or (
        isinstance(theirs, LocalBackend) and theirs.path.resolve() == default.path.resolve()
    )
    state_rel = f".assistplan/{out.stem}.state.json" if shared else None
    state_path = target.dir / state_rel if state_rel else default.path
    manager = StateManager(LocalBackend(state_path), endpoint.name)
    with manager.locked("import", timeout):
        st = manager.load()
        if st.resources:
            raise StateError(
                f"{state_path} already manages {len(st.resources)} object(s), but {out} does not exist: "
                "write the new config elsewhere"
            )
        # Deposed objects (replaced, not yet deleted) are a state's too, marker and all.
        managed = {rs.remote_id for k in known for rs in k.resources.values() if rs.remote_id}
        managed |= {d for k in known for d in deposed_ids(k)}
        released = {i for k in known for i in k.forgotten}
        api = remote(target)
        configured = open_target(target.target, api, target) if target.target != DEFAULT_TARGET else None
        found = onboard.scan(api, managed, released, parallelism, configured)
        gen = onboard.generate(
            found,
            header=_header(endpoint, declares_definitions(found), found.target),
            base_url=target.base_url,
            state_path=state_rel,
            settings=_settings(existing),
        )
        on_scanned(found)
        result = AccountImport(found, gen, [], state_rel)
        if not gen.imports:
            return result
        _write_new(out, gen.text)
        try:
            cfg = load_config(out)
        except ConfigError as exc:
            raise AssistplanError(
                f"{out} was written but does not validate, so nothing was imported; fix it, then import "
                f"each object with `{import_command}`:\n{exc}"
            ) from None
        result.imported = onboard.entries(found, gen, build_desired(cfg, parallelism), st.lineage)
        for item in result.imported:
            record_import(st, item.resource)
        manager.persist(st)
    return result


def _header(endpoint: Endpoint, declared: bool, target: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    what = (
        "# Files and vector stores below were imported into state as they are; the assistants are\n"
        f"# declarations that the next apply realises as {target} definitions.\n"
        if declared
        else "# Every object below was imported into state as it is: review, edit and commit this file.\n"
    )
    return (
        f"# Written by `assistplan import --all` from {endpoint.name} on {stamp}.\n{what}"
        "# Files are declared by id (the API does not let their content be downloaded).\n"
    )


def _settings(config: Config | None) -> dict[str, str]:
    """The provider settings besides target and base_url that FILE keeps (an Azure project...)."""
    if config is None:
        return {}
    given = {
        "project_endpoint": config.project_endpoint,
        "api_version": config.api_version,
        "agent_prefix": config.agent_prefix,
    }
    return {k: v for k, v in given.items() if v}


def _on(st: State, endpoint: Endpoint) -> bool:
    """Does `st` describe objects on `endpoint`?"""
    return st.endpoint is None or normalize_endpoint(st.endpoint) == endpoint.name


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)

"""`open_backend`: pick a state backend by kind: "local" (a file) or "postgres" (a database)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from assistplan.errors import StateError
from assistplan.state.base import Backend
from assistplan.state.local import LocalBackend

if TYPE_CHECKING:
    from assistplan.config.model import Config

__all__ = ["DEFAULT_WORKSPACE", "PG_DSN_ENV", "config_backend", "open_backend"]

DEFAULT_WORKSPACE = "default"
PG_DSN_ENV = "ASSISTPLAN_PG_DSN"
# An environment's workspace is `WORKSPACE/ENV` (config/overlay.py).
_WORKSPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(/[a-z0-9][a-z0-9_-]{0,63})?")


def config_backend(config: Config) -> Backend:
    """The backend a loaded config names (`state:`; default: `.assistplan/state.json` beside it; an
    environment's own, see config/overlay.py)."""
    st = config.state
    return open_backend(st.backend, path=config.state_path, workspace=st.workspace)


def open_backend(
    kind: str,
    *,
    path: Path | None = None,
    workspace: str = DEFAULT_WORKSPACE,
    environ: Mapping[str, str] | None = None,
) -> Backend:
    """The backend of `kind`.

    local: `path` is the state file of the default workspace (required); workspace `W` lives in
    `<dir of path>/workspaces/W/<name of path>`, as Terraform's `terraform.tfstate.d/W/`.

    postgres: the DSN comes from `ASSISTPLAN_PG_DSN` in `environ` (default: the process
    environment), never from the config; `workspace` names the row set, so several configs can
    share one database. `path` is ignored. Nothing connects until the first operation.
    """
    if not _WORKSPACE_RE.fullmatch(workspace):
        raise StateError(
            f"invalid workspace name {workspace!r}: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit (at most 64 characters), then optionally '/ENVIRONMENT'"
        )
    if kind == "local":
        if path is None:
            raise StateError("the local state backend needs a state file path")
        path = Path(path)
        if workspace != DEFAULT_WORKSPACE:
            path = path.parent / "workspaces" / workspace / path.name
        return LocalBackend(path)
    if kind == "postgres":
        dsn = (os.environ if environ is None else environ).get(PG_DSN_ENV, "").strip()
        if not dsn:
            raise StateError(
                f"the postgres state backend needs {PG_DSN_ENV}: set it to a PostgreSQL connection string "
                "(e.g. postgresql://USER@HOST/DB; give the password with PGPASSWORD or ~/.pgpass)"
            )
        from assistplan.state.postgres import PostgresBackend

        return PostgresBackend(dsn, workspace)
    raise StateError(f"unknown state backend {kind!r}")

"""`open_backend`: pick a state backend by kind. Only "local" exists so far."""

from __future__ import annotations

import re
from pathlib import Path

from assistplan.errors import StateError
from assistplan.state.base import Backend
from assistplan.state.local import LocalBackend

__all__ = ["DEFAULT_WORKSPACE", "open_backend"]

DEFAULT_WORKSPACE = "default"
_WORKSPACE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def open_backend(kind: str, *, path: Path | None = None, workspace: str = DEFAULT_WORKSPACE) -> Backend:
    """The backend of `kind`.

    local: `path` is the state file of the default workspace (required); workspace `W` lives in
    `<dir of path>/workspaces/W/<name of path>`, as Terraform's `terraform.tfstate.d/W/`.
    """
    if not _WORKSPACE_RE.fullmatch(workspace):
        raise StateError(
            f"invalid workspace name {workspace!r}: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit (at most 64 characters)"
        )
    if kind == "local":
        if path is None:
            raise StateError("the local state backend needs a state file path")
        path = Path(path)
        if workspace != DEFAULT_WORKSPACE:
            path = path.parent / "workspaces" / workspace / path.name
        return LocalBackend(path)
    raise StateError(f"unknown state backend {kind!r}")

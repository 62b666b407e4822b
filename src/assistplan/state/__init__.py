"""State: the document (`model`), where it is stored (`base.Backend`, `local`, `postgres`), how the
engine loads, persists and locks it (`manager.StateManager`), and `state pull`/`push` (`transfer`)."""

from assistplan.state.base import Backend, LockInfo
from assistplan.state.durations import parse_duration
from assistplan.state.factory import DEFAULT_WORKSPACE, PG_DSN_ENV, open_backend
from assistplan.state.local import LocalBackend
from assistplan.state.manager import StateManager, normalize_endpoint
from assistplan.state.model import FORMAT_VERSION, ResourceState, State
from assistplan.state.postgres import PostgresBackend
from assistplan.state.transfer import pull, push

__all__ = [
    "DEFAULT_WORKSPACE",
    "FORMAT_VERSION",
    "Backend",
    "LocalBackend",
    "LockInfo",
    "PG_DSN_ENV",
    "PostgresBackend",
    "ResourceState",
    "State",
    "StateManager",
    "normalize_endpoint",
    "open_backend",
    "parse_duration",
    "pull",
    "push",
]

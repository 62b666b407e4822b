"""State: the document (`model`), where it is stored (`base.Backend`, `local`), and how the engine
loads, persists and locks it (`manager.StateManager`)."""

from assistplan.state.base import Backend, LockInfo
from assistplan.state.durations import parse_duration
from assistplan.state.factory import DEFAULT_WORKSPACE, open_backend
from assistplan.state.local import LocalBackend
from assistplan.state.manager import StateManager, normalize_endpoint
from assistplan.state.model import FORMAT_VERSION, ResourceState, State

__all__ = [
    "DEFAULT_WORKSPACE",
    "FORMAT_VERSION",
    "Backend",
    "LocalBackend",
    "LockInfo",
    "ResourceState",
    "State",
    "StateManager",
    "normalize_endpoint",
    "open_backend",
    "parse_duration",
]

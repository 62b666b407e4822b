"""Fault injection knobs (DESIGN.md section 7) and the per-app injector that applies them."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from .defaults import DROPPABLE

RETIRABLE = frozenset({"assistants"})

ENV_LATENCY_MS = "ASSISTPLAN_SANDBOX_LATENCY_MS"
ENV_ERROR_RATE = "ASSISTPLAN_SANDBOX_ERROR_RATE"
ENV_RATE_LIMIT_RATE = "ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE"
ENV_SEED = "ASSISTPLAN_SANDBOX_SEED"
ENV_RETIRED = "ASSISTPLAN_SANDBOX_RETIRED"
ENV_DROP_RESPONSES = "ASSISTPLAN_SANDBOX_DROP_RESPONSES"
ENV_GATEWAY_ERRORS = "ASSISTPLAN_SANDBOX_GATEWAY_ERRORS"
_ROUTES = ", ".join(DROPPABLE)

Fault = Literal["server_error", "rate_limit"]


def _parse_retired(value: str | Iterable[str]) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(item.strip() for item in items if item.strip())


def _parse_routes(value: str | Iterable[str]) -> frozenset[str]:
    """``"POST /v1/files, POST /v1/uploads"`` -> the two routes, spaces normalised."""
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(" ".join(item.split()) for item in items if item.strip())


class ResponseDropped(ConnectionError):
    """The operation ran, and its answer is never sent: the client sees the connection go away."""


@dataclass(frozen=True)
class Faults:
    """What the sandbox does wrong on purpose.

    ``latency_ms`` is slept on every ``/v1`` request; ``error_rate`` and ``rate_limit_rate``
    are the shares of requests answered 500 and 429 (together at most 1); ``seed`` makes
    that sequence reproducible; ``retired`` names API families that answer 404, as OpenAI's
    switched-off routes do (only ``"assistants"``); on the routes in ``drop_responses`` (as
    ``/_sandbox/stats`` names them, e.g. ``"POST /v1/uploads/{upload_id}/complete"``) the
    operation is carried out and then the connection is closed without an answer, so the
    client cannot tell whether it happened (its retries are dropped the same way); on the routes
    in ``gateway_errors`` the operation is carried out and answered ``502 Bad Gateway``, as a
    gateway whose upstream answer was lost answers (its retries too).
    """

    latency_ms: float = 0
    error_rate: float = 0
    rate_limit_rate: float = 0
    seed: int | None = None
    retired: frozenset[str] = frozenset()
    drop_responses: frozenset[str] = frozenset()
    gateway_errors: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """The faults in effect (`GET /_sandbox/faults`), sets as sorted lists."""
        return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in asdict(self).items()}

    def __post_init__(self) -> None:
        object.__setattr__(self, "retired", _parse_retired(self.retired))
        object.__setattr__(self, "drop_responses", _parse_routes(self.drop_responses))
        object.__setattr__(self, "gateway_errors", _parse_routes(self.gateway_errors))
        for routes, what in (
            (self.drop_responses, "drop the responses"),
            (self.gateway_errors, "answer 502"),
        ):
            unknown_routes = routes - set(DROPPABLE)
            if unknown_routes:
                shown = ", ".join(repr(r) for r in sorted(unknown_routes))
                raise ValueError(f"cannot {what} of {shown}: one of {_ROUTES}")
        if not self.latency_ms >= 0:
            raise ValueError(f"latency_ms must be a number >= 0, got {self.latency_ms!r}")
        for name in ("error_rate", "rate_limit_rate"):
            rate = getattr(self, name)
            if not 0 <= rate <= 1:
                raise ValueError(f"{name} must be a number between 0 and 1, got {rate!r}")
        if self.error_rate + self.rate_limit_rate > 1:
            raise ValueError("error_rate + rate_limit_rate must not exceed 1")
        unknown = self.retired - RETIRABLE
        if unknown:
            shown, allowed = ", ".join(sorted(unknown)), ", ".join(sorted(RETIRABLE))
            raise ValueError(f"cannot retire {shown}: only {allowed} can be retired")

    @property
    def waits(self) -> bool:
        """Whether a request can be kept waiting: injected latency, or answers (500, 429) that
        the client retries after a pause. Without, requests only ever wait for the CPU."""
        return self.latency_ms > 0 or self.error_rate > 0 or self.rate_limit_rate > 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Faults:
        """Read the ``ASSISTPLAN_SANDBOX_*`` variables; an override that is not None wins."""
        env = os.environ if env is None else env
        names = {f.name for f in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise TypeError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, var, parse, expected in (
            ("latency_ms", ENV_LATENCY_MS, float, "a number of milliseconds >= 0"),
            ("error_rate", ENV_ERROR_RATE, float, "a number between 0 and 1"),
            ("rate_limit_rate", ENV_RATE_LIMIT_RATE, float, "a number between 0 and 1"),
            ("seed", ENV_SEED, int, "an integer"),
            ("retired", ENV_RETIRED, _parse_retired, "a comma-separated list of: assistants"),
            ("drop_responses", ENV_DROP_RESPONSES, _parse_routes, "a comma-separated list of: " + _ROUTES),
            ("gateway_errors", ENV_GATEWAY_ERRORS, _parse_routes, "a comma-separated list of: " + _ROUTES),
        ):
            raw = env.get(var, "").strip()
            if not raw:
                continue
            try:
                values[name] = parse(raw)
                cls(**{name: values[name]})
            except ValueError:
                raise ValueError(f"{var} must be {expected}, got {raw!r}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class FaultInjector:
    """Applies one :class:`Faults` to a stream of requests; thread-safe. ``sleep`` waits out the
    latency (tests pass one that observes it)."""

    def __init__(self, faults: Faults, sleep: Callable[[float], None] = time.sleep) -> None:
        self.faults = faults
        self._sleep = sleep
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()

    def delay(self) -> None:
        """Sleep the injected latency; call it outside any lock so requests overlap."""
        if self.faults.latency_ms > 0:
            self._sleep(self.faults.latency_ms / 1000)

    def roll(self) -> Fault | None:
        """Decide, with one draw per request, whether this request fails and how."""
        f = self.faults
        if not (f.error_rate or f.rate_limit_rate):
            return None
        with self._lock:
            draw = self._rng.random()
        if draw < f.error_rate:
            return "server_error"
        if draw < f.error_rate + f.rate_limit_rate:
            return "rate_limit"
        return None

    def drops(self, route: str) -> bool:
        """Whether the answer to a request on ``route`` ("METHOD /v1/template") is to be dropped."""
        return route in self.faults.drop_responses

    def bad_gateway(self, route: str) -> bool:
        """Whether a request on ``route`` carried out is answered 502 all the same."""
        return route in self.faults.gateway_errors

    def is_retired(self, path: str) -> bool:
        """A retired family answers 404 under /v1 and, as a project's classic agents, under a project."""
        parts = path.split("/")
        root = 2 if parts[1:2] == ["v1"] else 4 if parts[1:3] == ["api", "projects"] else None
        return root is not None and len(parts) > root and parts[root] in self.faults.retired

"""What every command needs, built from the global options: config, endpoint, state, remote.

Each piece is imported when a command first asks for it: `validate` never loads the SDK, and
only commands that talk to the API pay for it (see tests/cli/test_startup.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistplan.errors import AssistplanError, ConfigError

if TYPE_CHECKING:
    from assistplan.config.model import Config
    from assistplan.remote.api import Remote
    from assistplan.remote.client import Endpoint
    from assistplan.state.base import Backend
    from assistplan.state.manager import StateManager


@dataclass
class Options:
    """The global options (`assistplan [-C DIR] [-c FILE] [--sandbox] [--base-url URL] [--no-color]`)."""

    directory: Path | None = None
    config_file: str = "assistants.yaml"
    sandbox: bool = False
    base_url: str | None = None
    color: bool | None = None
    _config: Config | None = field(default=None, repr=False)

    def config_path(self) -> Path:
        return Path(self.config_file)

    def config(self, *, strict: bool = False) -> Config:
        """The loaded config. Not `strict`: references to removed assistants/pipelines are left to
        the plan, which knows from state whether they name live consumers (the guard)."""
        if self._config is None:
            from assistplan.config.loader import load_config
            from assistplan.plan.guard import held

            cfg = load_config(self.config_path(), allow_dangling=not strict)
            if cfg.dangling:
                # Judge what we can before any lock or sandbox is touched: with no state at all,
                # every dangling reference is simply unknown.
                stored = self.backend(cfg).read()
                known = set(stored.resources) if stored else set()
                unknown = [r.diagnostic for r in cfg.dangling if not held(r.target, known)]
                if unknown:
                    raise ConfigError(unknown)
            self._config = cfg
        return self._config

    def endpoint(self, config: Config) -> Endpoint:
        from assistplan.remote.client import resolve_endpoint

        return resolve_endpoint(
            sandbox=self.sandbox,
            base_url=self.base_url,
            config_base_url=config.base_url,
            config_dir=config.dir,
        )

    def backend(self, config: Config) -> Backend:
        from assistplan.state.factory import config_backend

        return config_backend(config)

    def manager(self, config: Config) -> StateManager:
        from assistplan.state.manager import StateManager

        return StateManager(self.backend(config), self.endpoint(config).name, on_lock_wait=_say_waiting)

    def remote(self, config: Config, parallelism: int) -> Remote:
        from assistplan.remote.api import Remote
        from assistplan.remote.client import make_openai

        ep = self.endpoint(config)
        client = make_openai(ep, pool_size=max(parallelism, 10))
        return Remote(client, ep.name, parallelism=parallelism, secret=os.environ.get("OPENAI_API_KEY"))


def _say_waiting(holder: str, timeout: float) -> None:
    import click

    click.echo(f"Waiting up to {timeout:g}s for the state lock, held by another run: {holder}", err=True)


def parse_lock_timeout(text: str) -> float:
    from assistplan.state.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise AssistplanError(f"--lock-timeout: {exc}") from None

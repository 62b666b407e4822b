"""What every command needs, built from the global options: config, endpoint, state, remote."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from assistplan.config import load_config
from assistplan.config.model import Config
from assistplan.errors import AssistplanError, ConfigError
from assistplan.guard import held
from assistplan.remote.api import Remote
from assistplan.remote.client import Endpoint, make_openai, resolve_endpoint
from assistplan.state import StateManager, open_backend, parse_duration
from assistplan.state.base import Backend


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
        return resolve_endpoint(
            sandbox=self.sandbox,
            base_url=self.base_url,
            config_base_url=config.base_url,
            config_dir=config.dir,
        )

    def backend(self, config: Config) -> Backend:
        st = config.state
        path = st.path or (config.dir / ".assistplan" / "state.json")
        return open_backend(st.backend, path=path, workspace=st.workspace)

    def manager(self, config: Config) -> StateManager:
        return StateManager(self.backend(config), self.endpoint(config).name)

    def remote(self, config: Config, parallelism: int) -> Remote:
        ep = self.endpoint(config)
        client = make_openai(ep, pool_size=max(parallelism, 10))
        return Remote(client, ep.name, parallelism=parallelism, secret=os.environ.get("OPENAI_API_KEY"))


def parse_lock_timeout(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise AssistplanError(f"--lock-timeout: {exc}") from None

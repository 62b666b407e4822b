"""What every command needs, built from the global options: config, endpoint, state, remote.

Each piece is imported when a command first asks for it: `validate` never loads the SDK, and
only commands that talk to the API pay for it (see tests/cli/test_startup.py).
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from assistplan.cli import heap
from assistplan.errors import AssistplanError

if TYPE_CHECKING:
    from assistplan.cli.render import Printer
    from assistplan.config.model import Config
    from assistplan.remote.api import Remote
    from assistplan.remote.client import Endpoint
    from assistplan.state.base import Backend
    from assistplan.state.manager import StateManager
    from assistplan.state.model import State


DEFAULT_CONFIG = "assistants.yaml"


@dataclass
class Options:
    """The global options (`assistplan [-C DIR] [-c FILE] [--sandbox] [--base-url URL] [--env NAME]
    [--no-color]`). `env` selects an environment: everything below (config, state) is that
    environment's, and nothing else in the CLI needs to know about environments."""

    directory: Path | None = None
    config_file: str = DEFAULT_CONFIG
    sandbox: bool = False
    base_url: str | None = None
    color: bool | None = None
    env: str | None = None
    _config: Config | None = field(default=None, repr=False)
    _printer: Printer | None = field(default=None, repr=False)
    _told_environments: bool = field(default=False, repr=False)

    def printer(self) -> Printer:
        """The one human output of this run (colour when stdout is a terminal, unless --no-color);
        retries and lock waits are told through it, above a live apply's status line."""
        if self._printer is None:
            import sys

            from assistplan.cli.render import Printer

            color = self.color if self.color is not None else sys.stdout.isatty()
            self._printer = Printer(color, command=self.command)
        return self._printer

    def config_path(self) -> Path:
        return Path(self.config_file)

    def command(self, *args: str) -> str:
        """`assistplan ARGS` with the global options this run was given, ready to paste: a hint
        that names a command must reach the same config, endpoint and state."""
        words = ["assistplan"]
        if self.directory is not None:
            words += ["-C", str(self.directory)]
        if self.config_file != DEFAULT_CONFIG:
            words += ["-c", self.config_file]
        if self.sandbox:
            words.append("--sandbox")
        elif self.base_url:
            url = self.base_url
            if urlsplit(url).password is not None:  # never echo a secret, even one put in the URL
                from assistplan.remote.client import clean_url

                url = clean_url(url)
            words += ["--base-url", url]
        if self.env:
            words += ["--env", self.env]
        return shlex.join([*words, *args])

    def config(self, *, strict: bool = False, planning: bool = False) -> Config:
        """The loaded config. Not `strict`: references to removed assistants/pipelines are left to
        the plan, which knows from state whether they name live consumers (the guard).
        `planning`: the command goes on to plan, so the planner and the SDK are imported while a
        big config loads (cli/overlap.py)."""
        if self._config is None:
            from assistplan.config.loader import load_config
            from assistplan.plan.guard import check_dangling

            self._check_config_exists()
            load = functools.partial(load_config, self.config_path(), allow_dangling=not strict, env=self.env)
            # The config (and the modules imported meanwhile) live as long as the command.
            with heap.building():
                if planning:
                    from assistplan.cli.overlap import load_beside

                    cfg = load_beside(load, self._import_planning, self.config_path())
                else:
                    cfg = load()
            if cfg.dangling:
                # Judge what we can before any lock or sandbox is touched: with no state at all,
                # every dangling reference is simply unknown.
                stored = self.stored(cfg)
                check_dangling(cfg, set(stored.resources) if stored else set())
            self._config = cfg
        return self._config

    def _import_planning(self) -> None:
        """What a command that plans imports anyway: the planner, the SDK (and the in-process
        sandbox, for --sandbox)."""
        import assistplan.plan.planner
        import assistplan.remote.api  # noqa: F401

        if self.sandbox:
            import assistplan.sandbox.app  # noqa: F401

    def _check_config_exists(self) -> None:
        """No config where we looked: say where that was and how to point elsewhere."""
        path = self.config_path()
        if path.is_file():
            return
        found = "a directory, not a file" if path.is_dir() else "nothing"
        raise AssistplanError(
            f"no config at {path.absolute()} (found {found} there). Run assistplan in the folder that "
            "holds your config, or point at it with -C DIR (its folder) or -c FILE (the file)"
        )

    def endpoint(self, config: Config) -> Endpoint:
        from assistplan.remote.client import resolve_endpoint
        from assistplan.targets import TARGETS

        return resolve_endpoint(
            sandbox=self.sandbox,
            base_url=self.base_url,
            config_base_url=config.base_url,
            config_dir=config.dir,
            target=config.target,
            project_agents=TARGETS[config.target].project_agents,
            project_endpoint=config.project_endpoint,
            api_version=config.api_version,
        )

    def backend(self, config: Config) -> Backend:
        from assistplan.state.factory import config_backend

        backend = config_backend(config)
        if config.environments and self.env is None and not self._told_environments:
            self._told_environments = True
            import click

            click.echo(
                f"Note: {self.config_file} declares environments ({', '.join(config.environments)}) and "
                f"no --env was given: this run uses the default state ({backend.describe()}); select "
                "an environment with --env NAME",
                err=True,
            )
        return backend

    def stored(self, config: Config) -> State | None:
        """The stored state, read without a lock; refused when it is another environment's."""
        from assistplan.state.manager import check_environment

        backend = self.backend(config)
        stored = backend.read()
        if stored is not None:
            check_environment(stored, config.environment, backend.describe())
        return stored

    def manager(self, config: Config) -> StateManager:
        from assistplan.state.manager import StateManager

        ep = self.endpoint(config)

        def advice(theirs: str) -> str:
            declared = config.environments
            how = (
                f"run it as one of the config's environments (--env {'|'.join(declared)})"
                if declared
                else f"declare an environment for it (`environments: [NAME]` in {self.config_file}) and "
                "run with --env NAME"
            )
            return (
                f"{self.endpoint_advice(ep, theirs, 'plan')}. To keep a separate state for {ep.name}, "
                f"{how}: each environment has a state of its own"
            )

        return StateManager(
            self.backend(config),
            ep.name,
            on_lock_wait=say_waiting_for_lock,
            environment=config.environment,
            advice=advice,
        )

    def peer_state(self, config: Config, env: str) -> State | None:
        """Another environment's state, read-only (to compare releases); None when it has none."""
        from assistplan.config.loader import load_config

        peer = load_config(self.config_path(), allow_dangling=True, env=env)
        return self.stored(peer)

    def endpoint_advice(self, ours: Endpoint, theirs: str, *command: str) -> str:
        """Where this run's endpoint came from, and the command that runs against `theirs` instead
        (the endpoint a state or saved plan belongs to)."""
        from assistplan.remote.client import base_url_of

        url = base_url_of(theirs, ours)
        if url is None:
            there = dataclasses.replace(self, sandbox=True, base_url=None)
        else:
            there = dataclasses.replace(self, sandbox=False, base_url=url)
        use = there.command(*command)
        return f"this run's endpoint comes from {ours.selected_by}; to use {theirs}: `{use}`"

    def remote(self, config: Config, parallelism: int) -> Remote:
        # The SDK's modules (on first use) and the in-process sandbox's store live as long as the command.
        with heap.building():
            from assistplan.remote.api import connect

            return connect(self.endpoint(config), parallelism=parallelism, on_retry=self.printer().notice)


def say_waiting_for_lock(holder: str, timeout: float) -> None:
    """What a run waiting for the state lock tells its user (on stderr)."""
    import click

    click.echo(f"Waiting up to {timeout:g}s for the state lock, held by another run: {holder}", err=True)


def parse_lock_timeout(text: str) -> float:
    from assistplan.state.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise AssistplanError(f"--lock-timeout: {exc}") from None

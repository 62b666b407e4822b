"""`assistplan validate`: check the config without state, lock or API."""

from __future__ import annotations

import click

from assistplan.cli.common import pass_options, printer
from assistplan.cli.session import Options
from assistplan.errors import ConfigError, Diagnostic


@click.command()
@pass_options
def validate(opts: Options) -> None:
    """Check the config: syntax, schema, references, limits, files.

    Without --env, every declared environment (its overlay merged in) is checked too."""
    cfg = opts.config(strict=True)
    if cfg.environment is None and cfg.environments:
        from assistplan.config.loader import load_config

        problems: list[Diagnostic] = []
        for env in cfg.environments:
            try:
                load_config(opts.config_path(), env=env)  # as the user named it, not absolute
            except ConfigError as exc:
                problems += exc.diagnostics
        if problems:
            raise ConfigError(problems)
    p = printer(opts)
    which = f"of environment {cfg.environment} " if cfg.environment else ""
    envs = f" Environments: {', '.join(cfg.environments)}." if cfg.environments and not which else ""
    p.echo(
        p.style("Success!", fg="green", bold=True)
        + f" The configuration {which}is valid: {len(cfg.files)} file(s), "
        f"{len(cfg.vector_stores)} vector store(s), {len(cfg.assistants)} assistant(s), "
        f"{len(cfg.pipelines)} pipeline(s), {len(cfg.experiments)} experiment(s)." + envs
    )

"""`assistplan validate`: check the config without state, lock or API."""

from __future__ import annotations

import click

from assistplan.cli.common import pass_options, printer
from assistplan.cli.session import Options


@click.command()
@pass_options
def validate(opts: Options) -> None:
    """Check the config: syntax, schema, references, limits, files."""
    cfg = opts.config(strict=True)
    p = printer(opts)
    p.echo(
        p.style("Success!", fg="green", bold=True)
        + f" The configuration is valid: {len(cfg.files)} file(s), "
        f"{len(cfg.vector_stores)} vector store(s), {len(cfg.assistants)} assistant(s), "
        f"{len(cfg.pipelines)} pipeline(s), {len(cfg.experiments)} experiment(s)."
    )

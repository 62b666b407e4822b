"""`assistplan output [--json]`: the remote ids of managed objects, from state alone."""

from __future__ import annotations

import json

import click

from assistplan.cli.common import pass_options
from assistplan.cli.session import Options
from assistplan.secrets import redact


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_options
def output(opts: Options, as_json: bool) -> None:
    """The remote ids of managed objects, for applications to read (from state: no API call,
    so no --sandbox or key is needed)."""
    from assistplan.outputs import outputs
    from assistplan.state.model import State

    cfg = opts.config()
    doc = outputs(opts.stored(cfg) or State())  # as `assistplan.published` reads it
    if as_json:
        env = {"environment": cfg.environment} if cfg.environment else {}
        click.echo(redact(json.dumps({**env, **doc}, indent=2)))
        return
    if cfg.environment:
        click.echo(f"# environment {cfg.environment}")
    for section, items in doc.items():
        for name, value in items.items():
            click.echo(redact(f"{section}.{name} = {json.dumps(value)}"))

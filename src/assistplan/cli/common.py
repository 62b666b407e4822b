"""Shared pieces of the `status`, `import` and `state` commands (they are registered by main.py
and must not import it back)."""

from __future__ import annotations

import click

from assistplan.cli.render import Printer
from assistplan.cli.session import Options

pass_options = click.make_pass_decorator(Options)

lock_timeout_option = click.option(
    "--lock-timeout",
    default="0s",
    show_default=True,
    metavar="DUR",
    help="How long to wait for the state lock (e.g. 30s, 5m).",
)
parallelism_option = click.option(
    "--parallelism",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Concurrent API requests at most.",
)


def printer(opts: Options) -> Printer:
    return opts.printer()

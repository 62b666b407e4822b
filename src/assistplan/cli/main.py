"""The `assistplan` command: global options, and the table of commands, loaded on first use.

Starting must cost what the command needs: `--version`, `--help` and completion load click and
this module; `validate` adds the config loader; only commands that talk to the API load the SDK
and the engine (tests/cli/test_startup.py holds us to it). So commands live in their own
modules, named in `COMMANDS`, and those modules import the engine inside the command bodies.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import click

from assistplan import __version__
from assistplan.cli import heap
from assistplan.cli.errors import run_cli
from assistplan.cli.session import Options
from assistplan.errors import AssistplanError

COMMANDS = {
    "apply": "assistplan.cli.plan_cmd:apply",
    "destroy": "assistplan.cli.plan_cmd:destroy",
    "force-unlock": "assistplan.cli.state_cmd:force_unlock",
    "graph": "assistplan.cli.graph_cmd:graph",
    "import": "assistplan.cli.import_cmd:import_",
    "output": "assistplan.cli.output_cmd:output",
    "plan": "assistplan.cli.plan_cmd:plan",
    "sandbox": "assistplan.cli.sandbox_cmd:sandbox",
    "show": "assistplan.cli.show_cmd:show",
    "state": "assistplan.cli.state_cmd:state",
    "status": "assistplan.cli.status_cmd:status",
    "validate": "assistplan.cli.validate_cmd:validate",
}


class LazyGroup(click.Group):
    """A group whose commands (`COMMANDS`: name -> "module:attribute") import when first used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run as if assistplan was started in DIR.",
)
@click.option(
    "-c", "--config", "config_file", default="assistants.yaml", show_default=True, help="The config file."
)
@click.option(
    "--sandbox", is_flag=True, help="Use the embedded sandbox under .assistplan/sandbox/ (no key needed)."
)
@click.option(
    "--base-url", metavar="URL", help="API base URL (default: provider.base_url, $OPENAI_BASE_URL, OpenAI)."
)
@click.option(
    "--env",
    "env",
    metavar="NAME",
    envvar="ASSISTPLAN_ENV",
    shell_complete=lambda ctx, param, incomplete: _complete_environment(ctx, param, incomplete),
    help="The environment (one of the config's `environments`): its overlay (assistants.NAME.yaml) "
    "and its own state. Also: ASSISTPLAN_ENV.",
)
@click.option("--no-color", is_flag=True, help="Plain output, no colors (also: NO_COLOR set).")
@click.version_option(__version__, prog_name="assistplan")
@click.pass_context
def cli(
    ctx: click.Context,
    directory: Path | None,
    config_file: str,
    sandbox: bool,
    base_url: str | None,
    env: str | None,
    no_color: bool,
) -> None:
    """Terraform for OpenAI assistants: plan and apply assistants.yaml against the API."""
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            raise AssistplanError(f"-C {directory}: {exc.strerror}") from None
    # Filled in place: run_cli holds this object, to print hints with the user's global options.
    opts = ctx.ensure_object(Options)
    opts.directory, opts.config_file, opts.sandbox = directory, config_file, sandbox
    opts.base_url, opts.env = base_url, env or None
    opts.color = False if (no_color or os.environ.get("NO_COLOR")) else None


def _complete_environment(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from assistplan.cli.complete import complete_environment  # the config loader, on first use

    return complete_environment(ctx, param, incomplete)


def main() -> None:
    """The `assistplan` console script: this process runs one command, then ends."""
    heap.one_shot_process()
    try:
        run_cli(cli)
    finally:
        heap.at_exit()

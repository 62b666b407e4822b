"""`show PLANFILE [--json|--markdown]`: a saved plan, read back as `plan` printed it (as `terraform show`).

CI plans once (`plan --out FILE`), then shows that very file: in the log, in the pull-request
comment, in the job summary of the apply. Nothing is refreshed, locked or written.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from assistplan.cli.common import pass_options, printer
from assistplan.cli.markdown import render
from assistplan.cli.session import Options
from assistplan.config.model import Config
from assistplan.errors import AssistplanError
from assistplan.plan import planfile
from assistplan.plan.model import Plan
from assistplan.secrets import redact


def config_key(opts: Options) -> str:
    """The config as the command line named it (`-C DIR` joined with `-c FILE`): what tells one
    config's pull-request comment from another's."""
    path = Path(opts.directory or ".") / opts.config_file
    return path.as_posix().removeprefix("./")


def markdown(opts: Options, plan: Plan, cfg: Config | None) -> str:
    workspace = cfg.state.workspace if cfg else None
    return render(plan, config=config_key(opts), workspace=workspace, command=opts.command)


@click.command()
@click.argument("planfile_path", metavar="PLANFILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object (as `plan --json`).")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the plan as a pull-request comment.")
@pass_options
def show(opts: Options, planfile_path: Path, as_json: bool, as_markdown: bool) -> None:
    """Show a saved plan (from `plan --out FILE`) without contacting the API."""
    if as_json and as_markdown:
        raise click.UsageError("--json and --markdown exclude each other")
    the_plan = planfile.load(planfile_path)
    if as_json:
        click.echo(redact(json.dumps(the_plan.to_json(), indent=2, ensure_ascii=False)))
    elif as_markdown:
        try:
            cfg: Config | None = opts.config()
        except AssistplanError:  # only the workspace in the comment's context line is lost
            cfg = None
        click.echo(redact(markdown(opts, the_plan, cfg)), nl=False)
    else:
        printer(opts).plan(the_plan)

"""`plan`, `apply` and `destroy`: the commands that refresh from the API and run the engine.

The engine and the SDK are imported inside the commands: listing this module in `--help` must
not load them (see cli/main.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistplan.cli import heap
from assistplan.cli.adoption import adoption_warning
from assistplan.cli.common import lock_timeout_option, parallelism_option, pass_options, printer
from assistplan.cli.complete import complete_address
from assistplan.cli.session import Options, parse_lock_timeout
from assistplan.errors import AssistplanError, ConfigError, StalePlanError
from assistplan.secrets import redact

if TYPE_CHECKING:
    from assistplan.cli.render import Printer
    from assistplan.config.model import Config
    from assistplan.plan.model import Plan
    from assistplan.state.base import LockInfo
    from assistplan.state.manager import StateManager
    from assistplan.state.model import State


def _load(manager: StateManager) -> State:
    with heap.building():  # the state lives as long as the command
        return manager.load()


def _make_plan(
    opts: Options,
    cfg: Config,
    state: State,
    *,
    parallelism: int,
    refresh_only: bool = False,
    targets: tuple[str, ...] = (),
    replace: tuple[str, ...] = (),
    destroy: bool = False,
) -> Plan:
    ep = opts.endpoint(cfg)
    remote = opts.remote(cfg, parallelism)  # first: it loads the SDK, which the planner imports too
    from assistplan.plan.environments import for_environment
    from assistplan.plan.planner import make_plan

    with heap.building():  # the refreshed objects and the plan live as long as the command
        the_plan = make_plan(
            cfg,
            state,
            remote,
            endpoint=ep.name,
            prior_exists=state.serial > 0,
            refresh_only=refresh_only,
            targets=targets,
            replace=replace,
            parallelism=parallelism,
            destroy=destroy,
            warn=opts.printer().warn,
            progress=opts.printer().refreshing(ep.name),
        )
    the_plan = for_environment(the_plan, cfg, lambda env: opts.peer_state(cfg, env))
    adopt = adoption_warning(opts, cfg, the_plan)
    return dataclasses.replace(the_plan, warnings=(*the_plan.warnings, adopt)) if adopt else the_plan


@click.command()
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply FILE`."
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown for a pull-request comment.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when none.")
@click.option("--refresh-only", is_flag=True, help="Only show drift; applying it accepts it into state.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDR",
    shell_complete=complete_address,
    help="Limit to ADDR and what it needs.",
)
@click.option(
    "--replace",
    "replace",
    multiple=True,
    metavar="ADDR",
    shell_complete=complete_address,
    help="Force replacing ADDR.",
)
@parallelism_option
@lock_timeout_option
@pass_options
def plan(
    opts: Options,
    out: Path | None,
    as_json: bool,
    markdown: bool,
    detailed_exitcode: bool,
    refresh_only: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    parallelism: int,
    lock_timeout: str,
) -> None:
    """Show what apply would change."""
    from assistplan.plan import planfile

    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    try:
        cfg = opts.config(planning=True)
        manager = opts.manager(cfg)
        with manager.locked("plan", parse_lock_timeout(lock_timeout)):
            state = _load(manager)
            the_plan = _make_plan(
                opts,
                cfg,
                state,
                parallelism=parallelism,
                refresh_only=refresh_only,
                targets=targets,
                replace=replace,
            )
    except AssistplanError as exc:
        if as_json:  # machines reading stdout still get one JSON object saying it failed
            click.echo(redact(json.dumps(failed_plan_json(exc, opts), indent=2, ensure_ascii=False)))
        raise
    p = printer(opts)
    if as_json:
        click.echo(redact(json.dumps(the_plan.to_json(), indent=2, ensure_ascii=False)))
    elif markdown:
        from assistplan.cli.show_cmd import markdown as render_markdown

        click.echo(redact(render_markdown(opts, the_plan, cfg)), nl=False)
    else:
        p.plan(the_plan)
    if the_plan.errored:
        if as_json or markdown:
            p.problems(the_plan)
        raise SystemExit(1)
    if out is not None:
        planfile.save(the_plan, out)
        if not as_json:
            p.echo(
                f"\nSaved the plan to {out}. To apply exactly this plan, run:\n  "
                + opts.command("apply", str(out)),
                err=as_json or markdown,
            )
    if detailed_exitcode and the_plan.has_changes:
        raise SystemExit(2)


def failed_plan_json(exc: AssistplanError, opts: Options) -> dict[str, object]:
    """`plan --json` when no plan could be made (config, state, lock or API error)."""
    from assistplan.plan.model import JSON_FORMAT_VERSION

    if isinstance(exc, ConfigError):
        errors = [str(d) for d in exc.diagnostics]
    else:
        errors = [exc.render(opts.command)]
    return {
        "format_version": JSON_FORMAT_VERSION,
        **({"environment": opts.env} if opts.env else {}),
        "applyable": False,
        "errored": True,
        "errors": [redact(e) for e in errors],
        "resource_changes": [],
        "resource_drift": [],
        "blocked": [],
    }


# What each command asks before changing anything, and says when the answer is not "yes".
CONFIRM = {
    "apply": (
        "Do you want to perform these actions?\n  assistplan will perform the actions described above.",
        "Apply cancelled.",
    ),
    "destroy": (
        "Do you really want to destroy all managed objects?\n  assistplan will destroy every object "
        "this state manages, as shown above. There is no undo.",
        "Destroy cancelled.",
    ),
}


def _confirm(opts: Options, p: Printer, auto_approve: bool, command: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        hint = f"pass --auto-approve ({opts.command(command, '--auto-approve')})"
        if command == "apply":
            hint += (
                f", or save the plan and apply exactly it ({opts.command('plan', '--out', 'FILE')}, then "
                f"{opts.command('apply', 'FILE')})"
            )
        raise AssistplanError(f"{command} asks for confirmation, and there is no terminal to ask on: {hint}")
    question, cancelled = CONFIRM[command]
    try:
        answer = click.prompt(
            f"\n{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value",
            default="",
            show_default=False,
        )
    except click.exceptions.Abort:  # Ctrl-C, or the end of input: no answer is no
        answer = ""
    if answer.strip() != "yes":
        p.echo(f"\n{cancelled} Nothing was changed.", err=True)
        raise SystemExit(1)


def _run_apply(
    opts: Options,
    cfg: Config,
    the_plan: Plan,
    manager: StateManager,
    parallelism: int,
    lock: LockInfo,
    *,
    destroying: bool = False,
) -> None:
    from assistplan.apply.executor import Applier
    from assistplan.cli.interrupt import graceful
    from assistplan.cli.render import in_environment

    p = printer(opts)
    with p.progress(the_plan) as on_event:
        applier = Applier(
            the_plan, cfg, opts.remote(cfg, parallelism), manager, parallelism=parallelism, on_event=on_event
        )
        with graceful(applier, lambda: manager.backend.unlock(lock), p.notice):
            applier.run()
    s = the_plan.summary()
    if the_plan.refresh_only:
        p.echo(p.style("Apply complete!", fg="green", bold=True) + " State updated from the remote objects.")
        return
    if destroying:
        gone = s["delete"] + s["archive"]
        p.echo(
            "\n"
            + p.style("Destroy complete!", fg="green", bold=True)
            + f" Resources: {gone} destroyed{in_environment(the_plan)}."
        )
        return
    p.echo(
        "\n"
        + p.style("Apply complete!", fg="green", bold=True)
        + f" Resources: {s['create']} added, {s['update']} changed, {s['replace']} replaced, "
        f"{s['delete']} destroyed"
        + (f", {s['archive']} archived" if s["archive"] else "")
        + in_environment(the_plan)
        + "."
    )


@click.command()
@click.argument(
    "planfile_path", metavar="[PLANFILE]", required=False, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--refresh-only", is_flag=True, help="Accept drift into state without changing the remote.")
@click.option("--target", "targets", multiple=True, metavar="ADDR", shell_complete=complete_address)
@click.option("--replace", "replace", multiple=True, metavar="ADDR", shell_complete=complete_address)
@parallelism_option
@lock_timeout_option
@pass_options
def apply(
    opts: Options,
    planfile_path: Path | None,
    auto_approve: bool,
    refresh_only: bool,
    targets: tuple[str, ...],
    replace: tuple[str, ...],
    parallelism: int,
    lock_timeout: str,
) -> None:
    """Carry out the plan (a saved PLANFILE exactly, or a fresh one after confirmation)."""
    from assistplan.settings import check_apply_settings

    check_apply_settings()
    cfg = opts.config(planning=True)  # a config error is told before the engine loads
    from assistplan.apply.executor import Applier
    from assistplan.plan import planfile

    manager = opts.manager(cfg)
    p = printer(opts)
    timeout = parse_lock_timeout(lock_timeout)
    if planfile_path is not None:
        the_plan = planfile.load(planfile_path)
        planfile.check_environment(the_plan, cfg.environment)
        ep = opts.endpoint(cfg)
        if the_plan.endpoint != ep.name:
            raise StalePlanError(
                f"{planfile_path} was planned for endpoint {the_plan.endpoint}, not {ep.name}; "
                + opts.endpoint_advice(ep, the_plan.endpoint, "apply", str(planfile_path))
            )
        with manager.locked("apply", timeout) as lock:
            state = _load(manager)
            planfile.check_applicable(the_plan, state, ep.name, cfg, parallelism, planfile_path)
            _run_apply(opts, cfg, the_plan, manager, parallelism, lock)
        return
    with manager.locked("apply", timeout) as lock:
        state = _load(manager)
        the_plan = _make_plan(
            opts,
            cfg,
            state,
            parallelism=parallelism,
            refresh_only=refresh_only,
            targets=targets,
            replace=replace,
        )
        p.plan(the_plan)
        if the_plan.errored:
            raise SystemExit(1)
        if not the_plan.has_changes:
            if the_plan.drift and not refresh_only:
                Applier(the_plan, cfg, opts.remote(cfg, parallelism), manager).run()
            return
        _confirm(opts, p, auto_approve, "apply")
        _run_apply(opts, cfg, the_plan, manager, parallelism, lock)


@click.command()
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@parallelism_option
@lock_timeout_option
@pass_options
def destroy(opts: Options, auto_approve: bool, parallelism: int, lock_timeout: str) -> None:
    """Delete every object this state manages (never anything unmanaged)."""
    from assistplan.settings import check_apply_settings

    check_apply_settings()
    cfg = opts.config(planning=True)
    empty = dataclasses.replace(cfg, files={}, vector_stores={}, assistants={}, pipelines={}, experiments={})
    manager = opts.manager(cfg)
    p = printer(opts)
    with manager.locked("destroy", parse_lock_timeout(lock_timeout)) as lock:
        state = _load(manager)
        the_plan = _make_plan(opts, empty, state, parallelism=parallelism, destroy=True)
        if the_plan.errored:  # a refusal (prevent_destroy) first and alone: nothing is destroyed
            p.problems(the_plan)
            raise SystemExit(1)
        p.plan(the_plan)
        if not the_plan.has_changes:
            return
        _confirm(opts, p, auto_approve, "destroy")
        _run_apply(opts, empty, the_plan, manager, parallelism, lock, destroying=True)

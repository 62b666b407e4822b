"""`assistplan status`: the sync check, one line per managed object plus what differs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from assistplan.cli.common import parallelism_option, pass_options, printer
from assistplan.cli.render import Printer
from assistplan.cli.session import Options
from assistplan.secrets import redact

if TYPE_CHECKING:  # the engine loads when the command runs, not when --help lists it
    from assistplan.plan.status import FieldDiff, StatusReport

MAX_VALUE = 80


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: {resources: [...], summary}.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when anything is drifted or missing (or a release, publish or archive is pending), "
    "0 when all is in sync.",
)
@parallelism_option
@pass_options
def status(opts: Options, as_json: bool, detailed_exitcode: bool, parallelism: int) -> None:
    """Check every managed object against the remote: in sync, drifted, or missing.

    Drifted objects name the changed fields (server defaults and tool order are not changes)
    and, for vector stores and assistants, the files attached remotely but not declared and the
    declared files the remote lacks. Experiments and pipelines follow with their own status
    (working, published, released) and their versions'. Reads only; exit 1 when the remote
    cannot be read.
    """
    from assistplan.plan.status import sync_status

    cfg = opts.config()
    state = opts.manager(cfg).load()
    where = opts.endpoint(cfg).name
    report = sync_status(
        cfg, state, opts.remote(cfg, parallelism), parallelism, printer(opts).refreshing(where)
    )
    if as_json:
        env = {"environment": cfg.environment} if cfg.environment else {}
        click.echo(redact(json.dumps({**env, **report.to_json()}, indent=2, ensure_ascii=False)))
    else:
        render(printer(opts), report, cfg.environment)
    if detailed_exitcode and not report.in_sync:
        raise SystemExit(2)


def render(p: Printer, report: StatusReport, environment: str | None = None) -> None:
    from assistplan.plan.status import DRIFTED, IN_SYNC, MISSING

    mark_of = {
        IN_SYNC: ("✓", "green", "in sync"),
        DRIFTED: ("~", "yellow", "drifted"),
        MISSING: ("✗", "red", "missing"),
    }
    where = f" in environment {environment}" if environment else ""
    if environment:
        p.echo(p.style("Environment:", bold=True) + f" {environment}\n")
    if not report.resources and not report.lifecycle:
        p.echo("Nothing to check: the configuration declares no files, vector stores or assistants.")
        return
    width = max(
        len(a) for a in [*(r.address for r in report.resources), *(e.address for e in report.lifecycle)]
    )
    for r in report.resources:
        mark, color, label = mark_of[r.status]
        head = p.style(f"{mark} {r.address.ljust(width)}", fg=color, bold=r.status != IN_SYNC)
        ident = f"  [{r.remote_id}]" if r.remote_id else ""
        p.echo(f"{head}  {label}{ident}" + (f": {r.note}" if r.note else ""))
        for d in r.diffs:
            p.echo(f"      ~ {_diff_text(d)}")
        for f in r.files_missing_locally:
            p.echo(f"      + {_file(f, report)}: attached remotely, not declared")
        for f in r.files_missing_remotely:
            p.echo(f"      - {_file(f, report)}: declared, not attached remotely")
    for e in report.lifecycle:
        mark, color = ("~", "yellow") if e.pending else ("✓", "green")
        head = p.style(f"{mark} {e.address.ljust(width)}", fg=color, bold=e.pending)
        versions = f" ({', '.join(map(str, e.versions))})" if e.versions else ""
        p.echo(f"{head}  {e.status}{versions}" + (f": {e.note}" if e.note else ""))
    counts = report.counts()
    pending = sum(e.pending for e in report.lifecycle)
    waiting = f"; {pending} experiment(s) or pipeline(s) with changes to apply" if pending else ""
    p.echo(
        "\n"
        + p.style("Status:", bold=True)
        + f" {counts[IN_SYNC]} in sync, {counts[DRIFTED]} drifted, {counts[MISSING]} missing{waiting}{where}."
    )


def _file(ref: str, report: StatusReport) -> str:
    name = report.filenames.get(ref)
    return f"{ref} ({name})" if name else ref


def _short(value: Any) -> str:
    if value is None or value == []:
        return "(not set)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _diff_text(d: FieldDiff) -> str:
    if d.path == "tools" and isinstance(d.config, list) and isinstance(d.remote, list):
        return "tools: " + "; ".join(_tool_changes(d.config, d.remote))
    return f"{d.path}: {_short(d.remote)} remotely, {_short(d.config)} in the configuration"


def _tool_name(tool: dict[str, Any]) -> str:
    if tool.get("type") == "function":
        return f"function {(tool.get('function') or {}).get('name')}"
    return str(tool.get("type"))


def _tool_changes(config: list[dict[str, Any]], remote: list[dict[str, Any]]) -> list[str]:
    ours = {_tool_name(t): t for t in config}
    theirs = {_tool_name(t): t for t in remote}
    out = [f"{n} only remotely" for n in theirs if n not in ours]
    out += [f"{n} only in the configuration" for n in ours if n not in theirs]
    out += [f"{n} differs" for n in ours if n in theirs and ours[n] != theirs[n]]
    return out or ["differ"]

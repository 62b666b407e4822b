"""`assistplan import`: take existing remote objects under management (one, or a whole account)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistplan.addrs import REMOTE_KINDS
from assistplan.cli.common import lock_timeout_option, parallelism_option, pass_options, printer
from assistplan.cli.render import Printer
from assistplan.cli.session import DEFAULT_CONFIG, Options, parse_lock_timeout
from assistplan.errors import AssistplanError, rendered
from assistplan.plan.surgery import record_import

if TYPE_CHECKING:  # the engine loads when the command runs, not when --help lists it
    from assistplan.plan import onboard
    from assistplan.plan.importer import Imported


@click.command("import")
@click.argument("address", required=False, metavar="ADDR")
@click.argument("remote_id", required=False, metavar="REMOTE_ID")
@click.option("--all", "import_all", is_flag=True, help="Onboard every unmanaged assistant and vector store.")
@click.option(
    "--config-out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="With --all: the new config to write (never overwritten).",
)
@parallelism_option
@lock_timeout_option
@pass_options
def import_(
    opts: Options,
    address: str | None,
    remote_id: str | None,
    import_all: bool,
    config_out: Path | None,
    parallelism: int,
    lock_timeout: str,
) -> None:
    """Manage existing remote objects without changing them remotely.

    \b
    import ADDR REMOTE_ID           record REMOTE_ID in state as ADDR, which the config declares
    import --all --config-out FILE  write FILE declaring every assistant and vector store no
                                    assistplan state manages (and the files they use), and
                                    import them all into FILE's state

    The next plan shows only real differences between the remote objects and the config.
    Import files before what uses them. The API does not let a file's content be read back,
    so for a file declared with a `path` your choice of REMOTE_ID is trusted: when it has the
    local file's name, size and purpose it is recorded as holding the local bytes (otherwise
    the next plan replaces it). An address left pending by an interrupted apply can be
    imported: the import takes the place of the interrupted create. --all declares files by
    id (`{id: file-...}`: never uploaded or deleted), since their bytes cannot be read back.
    FILE's provider.target is your config's, else `responses` where the endpoint no longer
    serves the Assistants API (OpenAI): there, assistants are declarations that the next
    apply realises as definitions.
    """
    timeout = parse_lock_timeout(lock_timeout)
    if import_all:
        if address or remote_id:
            raise click.UsageError("import --all takes no ADDR or REMOTE_ID")
        if config_out is None:
            raise click.UsageError("import --all needs --config-out FILE: the config it writes")
        _import_all(opts, config_out, parallelism, timeout)
        return
    if config_out is not None:
        raise click.UsageError("--config-out goes with --all")
    if not (address and remote_id):
        raise click.UsageError("import needs ADDR and REMOTE_ID (or --all --config-out FILE)")
    _import_one(opts, address, remote_id, parallelism, timeout)


def _import_one(opts: Options, address: str, remote_id: str, parallelism: int, timeout: float) -> None:
    from assistplan.plan.desired import build_desired
    from assistplan.plan.importer import read_import

    cfg = opts.config()
    manager = opts.manager(cfg)
    with manager.locked("import", timeout):
        st = manager.load()
        desired = build_desired(cfg, parallelism)
        imported = read_import(opts.remote(cfg, parallelism), st, desired, address, remote_id, cfg.target)
        for item in imported:
            record_import(st, item.resource)
        manager.persist(st)
    p = printer(opts)
    _report(p, imported)
    p.echo(
        p.style("Import successful!", fg="green", bold=True)
        + f" {address} is now managed by assistplan; nothing was changed remotely."
        + f" Run `{opts.command('plan')}` to compare it with the configuration."
    )


def _report(p: Printer, imported: list[Imported]) -> None:
    for item in imported:
        rs = item.resource
        p.echo(p.style(rs.address, bold=True) + f": imported {rs.remote_id}")
    for item in imported:
        for note in item.notes:
            p.echo(f"  note: {note}")


def _import_all(opts: Options, out: Path, parallelism: int, timeout: float) -> None:
    from assistplan.config.model import DEFAULT_TARGET
    from assistplan.plan.account_import import import_account, new_config

    if out.exists():
        raise AssistplanError(
            f"{out} exists: import --all writes a new config and never overwrites one; "
            "choose another --config-out"
        )
    existing = opts.config() if opts.config_path().exists() else None
    target = new_config(out, existing)
    endpoint = opts.endpoint(target)
    theirs = opts.backend(existing) if existing else None
    p = printer(opts)
    written = _for_config(opts, out)  # the commands that act on FILE
    done = import_account(
        out,
        existing,
        target,
        endpoint,
        theirs,
        lambda config: opts.remote(config, parallelism),
        parallelism=parallelism,
        timeout=timeout,
        import_command=written.command("import", "ADDR", "ID"),
        on_scanned=lambda found: _skipped(p, found, written),
    )
    gen = done.generated
    if not gen.imports:
        p.echo(f"Nothing to import: every assistant and vector store on {endpoint.name} is managed.")
        return
    kinds = [a.split(".", 1)[0] for a in gen.imports]
    counts = {k: kinds.count(k) for k in REMOTE_KINDS}
    p.echo(
        f"Wrote {out}: {counts['file']} file(s), {counts['vector_store']} vector store(s), "
        f"{counts['assistant']} assistant(s)."
    )
    _report(p, done.imported)
    for note in gen.notes:
        p.echo(f"  note: {note}")
    if done.state_rel:
        p.echo(
            f"  note: .assistplan/state.json is another config's state; {out} keeps its own: {done.state_rel}"
        )
    if done.found.target != DEFAULT_TARGET:
        where = "README: Where your assistants live"
        p.echo(f"  note: {out} sets `provider: {{target: {done.found.target}}}` ({where})")
    then = (
        f"`{written.command('plan')}` shows the assistants' definitions to create (no API call)"
        if done.declared
        else f"`{written.command('plan')}` shows no changes until you edit it"
    )
    p.echo(
        p.style("Import successful!", fg="green", bold=True)
        + f" {len(done.imported)} object(s) are now managed by assistplan; nothing was changed remotely."
        + f" Review {out}; {then}."
    )


def _for_config(opts: Options, out: Path) -> Options:
    """The global options that reach the config import --all writes (it declares no environment)."""
    default = out.absolute() == (Path.cwd() / DEFAULT_CONFIG).absolute()
    return dataclasses.replace(opts, config_file=DEFAULT_CONFIG if default else str(out), env=None)


def _skipped(p: Printer, found: onboard.Scan, written: Options) -> None:
    if found.assistants_retired:
        p.echo("  note: the endpoint no longer serves the Assistants API: vector stores and files only")

    for why in found.skipped:
        p.echo(f"  skipped: {rendered(why, written.command)}")

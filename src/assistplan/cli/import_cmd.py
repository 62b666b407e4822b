"""`assistplan import`: take existing remote objects under management (one, or a whole account)."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from assistplan.cli.common import lock_timeout_option, parallelism_option, pass_options, printer
from assistplan.cli.render import Printer
from assistplan.cli.session import DEFAULT_CONFIG, Options, parse_lock_timeout
from assistplan.errors import AssistplanError, ConfigError, StateError, rendered
from assistplan.plan.surgery import record_import
from assistplan.state import LocalBackend, StateManager, normalize_endpoint
from assistplan.state.model import State

if TYPE_CHECKING:  # the engine loads when the command runs, not when --help lists it
    from assistplan.config.model import Config
    from assistplan.plan import onboard
    from assistplan.plan.importer import Imported
    from assistplan.remote.client import Endpoint


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
    from assistplan.config import load_config
    from assistplan.config.model import DEFAULT_TARGET, Config
    from assistplan.plan import onboard
    from assistplan.plan.desired import build_desired
    from assistplan.plan.intents import deposed_ids
    from assistplan.targets import TARGETS, open_target

    if out.exists():
        raise AssistplanError(
            f"{out} exists: import --all writes a new config and never overwrites one; "
            "choose another --config-out"
        )
    existing = opts.config() if opts.config_path().exists() else None
    base_url = existing.base_url if existing else None
    settings = _settings(existing)
    target = Config(  # where FILE will stand, on the endpoint the config names
        path=out.absolute(),
        digest="",
        base_url=base_url,
        target=existing.target if existing else DEFAULT_TARGET,
        project_endpoint=existing.project_endpoint if existing else None,
        api_version=existing.api_version if existing else None,
        agent_prefix=existing.agent_prefix if existing else "",
    )
    endpoint = opts.endpoint(target)
    default = LocalBackend(target.dir / ".assistplan" / "state.json")
    theirs = opts.backend(existing) if existing else None
    default_doc = default.read()
    stored = (theirs.read() if theirs else None, default_doc)
    known = [s for s in stored if s is not None and _on(s, endpoint)]
    # The state next to FILE may already be another config's: then FILE keeps a state of its own.
    shared = bool(default_doc and default_doc.resources) or (
        isinstance(theirs, LocalBackend) and theirs.path.resolve() == default.path.resolve()
    )
    state_rel = f".assistplan/{out.stem}.state.json" if shared else None
    state_path = target.dir / state_rel if state_rel else default.path
    manager = StateManager(LocalBackend(state_path), endpoint.name)
    p = printer(opts)
    written = _for_config(opts, out)  # the commands that act on FILE
    with manager.locked("import", timeout):
        st = manager.load()
        if st.resources:
            raise StateError(
                f"{state_path} already manages {len(st.resources)} object(s), but {out} does not exist: "
                "write the new config elsewhere"
            )
        # Deposed objects (replaced, not yet deleted) are a state's too, marker and all.
        managed = {rs.remote_id for k in known for rs in k.resources.values() if rs.remote_id}
        managed |= {d for k in known for d in deposed_ids(k)}
        released = {i for k in known for i in k.forgotten}
        remote = opts.remote(target, parallelism)
        configured = open_target(target.target, remote, target) if target.target != DEFAULT_TARGET else None
        found = onboard.scan(remote, managed, released, parallelism, configured)
        declared = not TARGETS[found.target].remote and bool(found.assistants)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        what = (
            "# Files and vector stores below were imported into state as they are; the assistants are\n"
            f"# declarations that the next apply realises as {found.target} definitions.\n"
            if declared
            else "# Every object below was imported into state as it is: review, edit and commit this file.\n"
        )
        header = (
            f"# Written by `assistplan import --all` from {endpoint.name} on {stamp}.\n{what}"
            "# Files are declared by id (the API does not let their content be downloaded).\n"
        )
        gen = onboard.generate(
            found, header=header, base_url=base_url, state_path=state_rel, settings=settings
        )
        _skipped(p, found, written)
        if not gen.imports:
            p.echo(f"Nothing to import: every assistant and vector store on {endpoint.name} is managed.")
            return
        _write_new(out, gen.text)
        try:
            cfg = load_config(out)
        except ConfigError as exc:
            raise AssistplanError(
                f"{out} was written but does not validate, so nothing was imported; fix it, then import "
                f"each object with `{written.command('import', 'ADDR', 'ID')}`:\n{exc}"
            ) from None
        imported = onboard.entries(found, gen, build_desired(cfg, parallelism), st.lineage)
        for item in imported:
            record_import(st, item.resource)
        manager.persist(st)
    kinds = [a.split(".", 1)[0] for a in gen.imports]
    counts = {k: kinds.count(k) for k in ("file", "vector_store", "assistant")}
    p.echo(
        f"Wrote {out}: {counts['file']} file(s), {counts['vector_store']} vector store(s), "
        f"{counts['assistant']} assistant(s)."
    )
    _report(p, imported)
    for note in gen.notes:
        p.echo(f"  note: {note}")
    if state_rel:
        p.echo(f"  note: .assistplan/state.json is another config's state; {out} keeps its own: {state_rel}")
    if found.target != DEFAULT_TARGET:
        where = "README: Where your assistants live"
        p.echo(f"  note: {out} sets `provider: {{target: {found.target}}}` ({where})")
    then = (
        f"`{written.command('plan')}` shows the assistants' definitions to create (no API call)"
        if declared
        else f"`{written.command('plan')}` shows no changes until you edit it"
    )
    p.echo(
        p.style("Import successful!", fg="green", bold=True)
        + f" {len(imported)} object(s) are now managed by assistplan; nothing was changed remotely."
        + f" Review {out}; {then}."
    )


def _settings(config: Config | None) -> dict[str, str]:
    """The provider settings besides target and base_url that FILE keeps (an Azure project...)."""
    if config is None:
        return {}
    given = {
        "project_endpoint": config.project_endpoint,
        "api_version": config.api_version,
        "agent_prefix": config.agent_prefix,
    }
    return {k: v for k, v in given.items() if v}


def _on(st: State, endpoint: Endpoint) -> bool:
    """Does `st` describe objects on `endpoint`?"""
    return st.endpoint is None or normalize_endpoint(st.endpoint) == endpoint.name


def _for_config(opts: Options, out: Path) -> Options:
    """The global options that reach the config import --all writes (it declares no environment)."""
    default = out.absolute() == (Path.cwd() / DEFAULT_CONFIG).absolute()
    return dataclasses.replace(opts, config_file=DEFAULT_CONFIG if default else str(out), env=None)


def _skipped(p: Printer, found: onboard.Scan, written: Options) -> None:
    if found.assistants_retired:
        p.echo("  note: the endpoint no longer serves the Assistants API: vector stores and files only")

    for why in found.skipped:
        p.echo(f"  skipped: {rendered(why, written.command)}")


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)

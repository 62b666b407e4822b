"""`assistplan state ...`: read and edit the state without touching any remote object."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from assistplan.cli.blocks import value_lines
from assistplan.cli.common import lock_timeout_option, pass_options, printer
from assistplan.cli.session import Options, parse_lock_timeout, say_waiting_for_lock
from assistplan.config.model import Config
from assistplan.errors import AssistplanError
from assistplan.plan.surgery import forget, move, unknown_address
from assistplan.secrets import redact
from assistplan.state.model import ResourceState, State
from assistplan.state.transfer import push

dry_run_option = click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")


@click.group("state")
def state() -> None:
    """Inspect and edit the state: list, show, rm, mv, pull, push.

    `rm` and `mv` change only the state (locked, with a new serial); the remote objects stay as
    they are.
    """


def _stored(opts: Options) -> State:
    return opts.stored(opts.config()) or State()


def _declared(cfg: Config) -> set[str]:
    sections: dict[str, Mapping[str, object]] = {
        "file": cfg.files,
        "vector_store": cfg.vector_stores,
        "assistant": cfg.assistants,
        "pipeline": cfg.pipelines,
        "experiment": cfg.experiments,
    }
    return {f"{kind}.{name}" for kind, names in sections.items() for name in names}


def _matches(address: str, filters: tuple[str, ...]) -> bool:
    """A filter is an address, a kind (`assistant`), or an address whose snapshots/versions match too."""
    return not filters or any(address == f or address.startswith((f"{f}.", f"{f}@")) for f in filters)


@state.command("list")
@click.argument("filters", nargs=-1, metavar="[ADDR|KIND]...")
@click.option("--id", "remote_id", metavar="ID", help="Only the object with this remote id.")
@pass_options
def list_(opts: Options, filters: tuple[str, ...], remote_id: str | None) -> None:
    """The addresses in the state, one per line, sorted (optionally only those matching)."""
    st = _stored(opts)
    for address in sorted(st.resources):
        rs = st.resources[address]
        if _matches(address, filters) and (remote_id is None or rs.remote_id == remote_id):
            click.echo(address)


@state.command("show")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@pass_options
def show(opts: Options, address: str, as_json: bool) -> None:
    """One object as last applied: its remote id and recorded attributes."""
    st = _stored(opts)
    rs = st.get(address)
    if rs is None:
        raise unknown_address(st, address)
    if as_json:
        click.echo(redact(json.dumps({"address": address, **rs.to_json()}, indent=2, ensure_ascii=False)))
        return
    _show(rs)


def _show(rs: ResourceState) -> None:
    name = rs.address.split(".", 1)[1]
    rows: list[tuple[str, object]] = [("id", rs.remote_id)] if rs.remote_id else []
    rows += sorted(rs.attributes.items())
    if rs.depends_on:
        rows.append(("depends_on", sorted(rs.depends_on)))
    if rs.prevent_destroy:
        rows.append(("prevent_destroy", True))
    rows += sorted(rs.extra.items())
    width = max((len(k) for k, _ in rows), default=0)
    click.echo(f"# {rs.address}:")
    click.echo(f'{rs.type} "{name}" {{')
    for key, value in rows:
        # Nested values as blocks, one attribute or element per line, as the plan shows them.
        for line in value_lines("", 1, f"{key.ljust(width)} = ", value):
            click.echo(redact(f"{'    ' * line.depth}{line.text}"))
    click.echo("}")


@state.command("rm")
@click.argument("addresses", nargs=-1, required=True, metavar="ADDR...")
@dry_run_option
@lock_timeout_option
@pass_options
def rm(opts: Options, addresses: tuple[str, ...], dry_run: bool, lock_timeout: str) -> None:
    """Forget objects: they leave the state; the remote objects are not deleted.

    References to them from other entries fall back to their remote ids. If the configuration
    still declares one, the next plan creates a new object for it.
    """
    cfg = opts.config()
    manager = opts.manager(cfg)
    p = printer(opts)
    with manager.locked("state rm", parse_lock_timeout(lock_timeout)):
        st = manager.load()
        removed = forget(st, addresses)
        if not dry_run:
            manager.persist(st)
    verb = "Would remove" if dry_run else "Removed"
    declared = _declared(cfg)
    for rs in removed:
        untouched = f" (the remote object {rs.remote_id} is untouched)" if rs.remote_id else ""
        p.echo(f"{verb} {rs.address}{untouched}")
        deposed = rs.extra.get("deposed") or []
        if deposed:
            p.echo(f"  note: replaced objects it still tracked are no longer tracked: {', '.join(deposed)}")
        if rs.address in declared:
            p.echo(
                f"  note: {opts.config_file} still declares {rs.address}: the next plan creates a new one "
                "(remove it from the configuration to stop managing it, or `import` the object again)"
            )
    if not dry_run:
        p.echo(
            p.style("Success!", fg="green", bold=True)
            + f" Removed {len(removed)} object(s) from the state (serial {st.serial})."
        )


@state.command("mv")
@click.argument("source", metavar="FROM")
@click.argument("dest", metavar="TO")
@dry_run_option
@lock_timeout_option
@pass_options
def mv(opts: Options, source: str, dest: str, dry_run: bool, lock_timeout: str) -> None:
    """Rename an address in the state (after renaming it in the config): nothing is re-created.

    FROM and TO are of the same kind; TO must be free. An assistant or vector store takes its
    release snapshots along. References to FROM in other entries follow.
    """
    cfg = opts.config()
    manager = opts.manager(cfg)
    p = printer(opts)
    with manager.locked("state mv", parse_lock_timeout(lock_timeout)):
        st = manager.load()
        pairs = move(st, source, dest)
        if not dry_run:
            manager.persist(st)
    verb = "Would move" if dry_run else "Moved"
    for old, new in pairs:
        p.echo(f"{verb} {old} to {new}")
    if dest not in _declared(cfg):
        p.echo(
            f"  note: {opts.config_file} does not declare {dest}: rename {source} to {dest} there before "
            f"the next apply, which would otherwise destroy the object"
        )
    if not dry_run:
        p.echo(
            p.style("Success!", fg="green", bold=True)
            + f" Moved {len(pairs)} object(s) (serial {st.serial})."
        )


@state.command("pull")
@pass_options
def pull_cmd(opts: Options) -> None:
    """Print the current state document (JSON) to stdout, e.g. to move it to another backend."""
    stored = opts.stored(opts.config())
    click.echo(stored.dumps() if stored else "", nl=False)


@state.command("push")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--force", is_flag=True, help="Skip the lineage, serial and endpoint checks.")
@lock_timeout_option
@pass_options
def push_cmd(opts: Options, path: Path, force: bool, lock_timeout: str) -> None:
    """Make FILE (a state document; - for stdin) the current state of the configured backend.

    Refused, unless --force, for another lineage, an older serial, the same serial with other
    content, or another endpoint.
    """
    if str(path) == "-":
        text, source = sys.stdin.read(), "stdin"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AssistplanError(f"{path}: no such file") from None
        except UnicodeDecodeError:
            raise AssistplanError(f"{path}: not a state document (not UTF-8 text)") from None
        source = str(path)
    cfg = opts.config()
    backend = opts.backend(cfg)
    timeout = parse_lock_timeout(lock_timeout)
    written = push(
        backend,
        text,
        force=force,
        lock_timeout=timeout,
        source=source,
        environment=cfg.environment,
        on_lock_wait=lambda holder: say_waiting_for_lock(holder, timeout),
    )
    p = printer(opts)
    p.echo(
        p.style("Success!", fg="green", bold=True)
        + f" {backend.describe()} now holds lineage {written.lineage}, serial {written.serial}."
    )


@click.command("force-unlock")
@click.argument("lock_id")
@pass_options
def force_unlock(opts: Options, lock_id: str) -> None:
    """Release a state lock left by a run that died."""
    cfg = opts.config()
    opts.backend(cfg).force_unlock(lock_id)
    click.echo(f"The state lock {lock_id} has been released.")

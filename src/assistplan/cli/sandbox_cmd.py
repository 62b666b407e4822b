"""``assistplan sandbox serve``: the sandbox on loopback (DESIGN.md sections 6 and 7)."""

from __future__ import annotations

from pathlib import Path

import click

from assistplan.sandbox.defaults import DEFAULT_HOST, DEFAULT_PORT, DROPPABLE

DEFAULT_DATA_DIR = Path(".assistplan") / "sandbox"


@click.group(name="sandbox")
def sandbox() -> None:
    """The local OpenAI emulator (assistants, files, vector stores; Azure AI Foundry projects)."""


@sandbox.command(name="serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA_DIR,
    show_default=True,
    help="Directory the sandbox persists its objects in.",
)
@click.option(
    "--token",
    envvar="ASSISTPLAN_SANDBOX_TOKEN",
    default=None,
    help="Accept only 'Authorization: Bearer TOKEN' (default: any bearer token).",
)
@click.option(
    "--latency-ms",
    type=click.FloatRange(min=0),
    default=None,
    help="Delay every request [env ASSISTPLAN_SANDBOX_LATENCY_MS].",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Share of requests answered 500 [env ASSISTPLAN_SANDBOX_ERROR_RATE].",
)
@click.option(
    "--rate-limit-rate",
    type=click.FloatRange(0, 1),
    default=None,
    help="Share of requests answered 429 with retry-after [env ASSISTPLAN_SANDBOX_RATE_LIMIT_RATE].",
)
@click.option(
    "--seed", type=int, default=None, help="Seed for reproducible faults [env ASSISTPLAN_SANDBOX_SEED]."
)
@click.option(
    "--retire",
    type=click.Choice(["assistants"]),
    multiple=True,
    help="Answer 404 on these API paths, as OpenAI does since the sunset [env ASSISTPLAN_SANDBOX_RETIRED].",
)
@click.option(
    "--drop-response",
    "drop_responses",
    type=click.Choice(DROPPABLE),
    multiple=True,
    help="Carry out requests on this route, then close the connection without answering "
    "[env ASSISTPLAN_SANDBOX_DROP_RESPONSES, comma-separated].",
)
@click.option(
    "--gateway-error",
    "gateway_errors",
    type=click.Choice(DROPPABLE),
    multiple=True,
    help="Carry out requests on this route, then answer 502 Bad Gateway "
    "[env ASSISTPLAN_SANDBOX_GATEWAY_ERRORS, comma-separated].",
)
def serve_cmd(
    host: str,
    port: int,
    data_dir: Path,
    token: str | None,
    latency_ms: float | None,
    error_rate: float | None,
    rate_limit_rate: float | None,
    seed: int | None,
    retire: tuple[str, ...],
    drop_responses: tuple[str, ...],
    gateway_errors: tuple[str, ...],
) -> None:
    """Serve the sandbox on HOST:PORT until interrupted (SIGINT/SIGTERM)."""
    import sqlite3

    from assistplan.sandbox import Faults, open_store, serve
    from assistplan.sandbox.app import processing_ms_from_env

    try:
        faults = Faults.from_env(
            latency_ms=latency_ms,
            error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            seed=seed,
            retired=frozenset(retire) if retire else None,
            drop_responses=frozenset(drop_responses) if drop_responses else None,
            gateway_errors=frozenset(gateway_errors) if gateway_errors else None,
        )
        processing_ms_from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        open_store(data_dir)
    except (OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"cannot use {data_dir} as the sandbox's data dir: {exc}") from None
    try:
        serve(host, port, data_dir, faults, token, announce=lambda line: click.echo(line))
    except OSError as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None

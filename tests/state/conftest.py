"""Fixtures for the state tests: one throwaway PostgreSQL server per test session (per xdist worker).

Tests that need PostgreSQL use `pg_server` (or `pg_dsn`) and are marked `@pytest.mark.postgres`.
When PostgreSQL is not installed they FAIL with a message saying how to install it, unless
`ASSISTPLAN_SKIP_PG=1` is set, which turns them into skips (for developers without apt).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .pg_server import PgServer, find_bindir

SKIP_ENV = "ASSISTPLAN_SKIP_PG"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running server (started on first use, stopped at the end of the session)."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: PostgreSQL tests skipped on request")
    bindir = find_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL is not installed (no initdb/pg_ctl found via pg_config, /usr/lib/postgresql/*/bin "
            "or PATH): run `bash scripts/ensure_postgres.sh` (apt-get install postgresql), "
            f"or set {SKIP_ENV}=1 to skip the PostgreSQL tests",
            pytrace=False,
        )
    for attempt in range(3):  # the free port may be taken by someone else before the server binds it
        server = PgServer(bindir)
        try:
            server.start()
            break
        except RuntimeError:
            server.stop()
            if attempt == 2:
                raise
        except BaseException:
            server.stop()
            raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_dsn(pg_server: PgServer) -> str:
    """DSN of the test role over the unix socket; it carries a password."""
    return pg_server.dsn()

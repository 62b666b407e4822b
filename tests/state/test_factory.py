"""open_backend("postgres"): the DSN comes from ASSISTPLAN_PG_DSN; nothing connects until used."""

from __future__ import annotations

import re

import pytest

from assistplan.errors import StateError
from assistplan.state import PG_DSN_ENV, PostgresBackend, open_backend

DSN = "host=db.example.com port=6432 dbname=states user=ci password=hunter2-secret"


def test_postgres_backend_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PG_DSN_ENV, DSN)
    backend = open_backend("postgres", workspace="staging")
    assert isinstance(backend, PostgresBackend) and backend.workspace == "staging"
    assert backend.describe() == "postgres workspace staging (db.example.com:6432/states)"
    assert "hunter2" not in repr(backend)
    assert open_backend("postgres").describe().startswith("postgres workspace default ")


def test_postgres_backend_from_an_explicit_environment() -> None:
    backend = open_backend("postgres", environ={PG_DSN_ENV: "postgresql://ci:pw@pg.internal/assist"})
    assert backend.describe() == "postgres workspace default (pg.internal/assist)"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_postgres_backend_without_dsn_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv(PG_DSN_ENV, raising=False)
    else:
        monkeypatch.setenv(PG_DSN_ENV, value)
    with pytest.raises(StateError, match=re.escape("the postgres state backend needs ASSISTPLAN_PG_DSN")):
        open_backend("postgres", workspace="staging")


def test_postgres_backend_refuses_a_bad_workspace_and_a_bad_dsn() -> None:
    with pytest.raises(StateError, match="invalid workspace name '../x'"):
        open_backend("postgres", workspace="../x", environ={PG_DSN_ENV: DSN})
    with pytest.raises(StateError, match="not a valid PostgreSQL connection string") as caught:
        open_backend("postgres", environ={PG_DSN_ENV: "password=hunter2-secret nonsense"})
    assert "hunter2" not in str(caught.value) and caught.value.__context__ is None


def test_describe_without_host_or_database_uses_libpq_defaults() -> None:
    assert PostgresBackend("user=me", "w").describe() == "postgres workspace w (local socket/me)"
    assert PostgresBackend("", "w").describe() == "postgres workspace w (local socket/default database)"

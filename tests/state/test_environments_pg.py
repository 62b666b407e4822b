"""Environments on PostgreSQL, through the CLI: each environment in its own workspace."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assistplan.state import PostgresBackend
from tests.e2e.conftest import Project, copy_example

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")]


def test_each_environment_keeps_its_state_in_its_own_workspace(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTPLAN_PG_DSN", pg_dsn)
    root = tmp_path / "support-envs"
    copy_example("support-envs", root)
    team = f"t-{uuid.uuid4().hex[:12]}"
    config = root / "assistants.yaml"
    config.write_text(config.read_text() + f"state: {{backend: postgres, workspace: {team}}}\n")
    p = Project(root)
    p.ok("--env", "staging", "apply", "--auto-approve")
    p.ok("--env", "prod", "apply", "--auto-approve")
    staging = PostgresBackend(pg_dsn, f"{team}/staging").read()
    prod = PostgresBackend(pg_dsn, f"{team}/prod").read()
    assert staging is not None and prod is not None
    assert (staging.environment, prod.environment) == ("staging", "prod")
    assert "assistant.debugger" in staging.resources and "assistant.debugger" not in prod.resources
    assert PostgresBackend(pg_dsn, team).read() is None  # the default workspace: untouched
    assert p.run("--env", "prod", "plan", "--detailed-exitcode").code == 0
    # An overlay naming a workspace gets exactly that one.
    (root / "assistants.prod.yaml").write_text(f"state: {{workspace: {team}-live}}\n")
    p.ok("--env", "prod", "apply", "--auto-approve")
    live = PostgresBackend(pg_dsn, f"{team}-live").read()
    assert live is not None and live.environment == "prod" and "assistant.debugger" in live.resources
    assert not (root / ".assistplan" / "env").exists()  # no local state was ever written

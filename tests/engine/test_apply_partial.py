"""An apply that stops part way hands its caller what it did: ApplyError.result."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistplan.apply.executor import Applier
from assistplan.config import load_config
from assistplan.errors import ApplyError
from assistplan.plan.planner import make_plan
from assistplan.remote.api import connect
from assistplan.remote.client import resolve_endpoint
from assistplan.state import LocalBackend, StateManager


def test_an_apply_error_carries_the_state_of_the_steps_that_completed(tmp_path: Path) -> None:
    (tmp_path / "kept.md").write_text("# Kept\n")
    (tmp_path / "gone.md").write_text("# Gone\n")
    (tmp_path / "assistants.yaml").write_text(
        "version: 1\nfiles:\n  kept: {path: kept.md}\n  gone: {path: gone.md}\n"
    )
    config = load_config(tmp_path / "assistants.yaml")
    endpoint = resolve_endpoint(sandbox=True, base_url=None, config_base_url=None, config_dir=tmp_path)
    remote = connect(endpoint, max_retries=0)
    manager = StateManager(LocalBackend(tmp_path / ".assistplan" / "state.json"), endpoint.name)
    with manager.locked("apply", 0):
        plan = make_plan(config, manager.load(), remote, endpoint=endpoint.name, prior_exists=False)
        (tmp_path / "gone.md").unlink()  # its upload fails; the other one goes on
        with pytest.raises(ApplyError) as stopped:
            Applier(plan, config, remote, manager).run()
    result = stopped.value.result
    assert result is not None and (result.applied, result.total) == (1, 2)
    assert result.state.resources["file.kept"].remote_id
    assert "file.gone" not in result.state.resources or not result.state.resources["file.gone"].remote_id
    saved = LocalBackend(tmp_path / ".assistplan" / "state.json").read()
    assert (
        saved is not None
        and saved.resources["file.kept"].remote_id == result.state.resources["file.kept"].remote_id
    )

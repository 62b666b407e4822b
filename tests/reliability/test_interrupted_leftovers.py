"""An apply killed right after a create was carried out (its answer never heard) leaves an object
only its intent knows of. When that address then leaves the config, or everything is destroyed,
the object goes too: found by its marker (assistants, vector stores) or by its upload id (files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reliability import harness as h

CONFIGS = {
    # kind: (config, the write to be killed at: the one that makes the object)
    "assistant": ("assistants:\n  a0: {model: gpt-4.1, instructions: Hi.}\n", 1),
    "vector_store": ("vector_stores:\n  vs0: {name: Store 0}\n", 1),
    "file": ("files:\n  f0: {path: docs/f0.md}\n", 3),  # POST /uploads, a part, then `complete`
}


def killed_after_create(root: Path, kind: str, gate: h.Gate, url: str) -> None:
    """Apply the one-object config of `kind` on `url`, killed once its create is carried out."""
    config, write = CONFIGS[kind]
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "f0.md").write_text("# Document 0\n")
    (root / "assistants.yaml").write_text("version: 1\n" + config)
    gate.stop_at(write, answered=True)
    h.kill_held_apply(root, gate, url, "the apply never made its object")
    (entry,) = h.state(root)["resources"].values()
    assert entry["extra"].get("pending"), "the kill came too late to test"
    assert sum(map(len, h.inventory(root).values())) == 1  # made remotely, its id never recorded
    h.force_unlock_if_locked(root, url)


def assert_nothing_left(root: Path) -> None:
    assert h.inventory(root) == {"assistants": [], "vector_stores": [], "files": []}
    assert h.state(root)["resources"] == {}


@pytest.mark.parametrize("kind", CONFIGS)
def test_a_removed_address_takes_what_its_interrupted_create_made_with_it(tmp_path: Path, kind: str) -> None:
    with h.gated_sandbox(tmp_path) as (gate, url):
        killed_after_create(tmp_path, kind, gate, url)
        (tmp_path / "assistants.yaml").write_text("version: 1\n")
        done = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert done.returncode == 0, done.stdout + done.stderr
    assert_nothing_left(tmp_path)


@pytest.mark.parametrize("kind", CONFIGS)
def test_destroy_takes_what_an_interrupted_create_made(tmp_path: Path, kind: str) -> None:
    with h.gated_sandbox(tmp_path) as (gate, url):
        killed_after_create(tmp_path, kind, gate, url)
        done = h.run(tmp_path, "destroy", "--auto-approve", base_url=url)
        assert done.returncode == 0, done.stdout + done.stderr
    assert_nothing_left(tmp_path)


@pytest.mark.parametrize("kind", ["assistant", "vector_store"])
def test_a_removed_leftover_is_reported_as_what_apply_does_with_it(tmp_path: Path, kind: str) -> None:
    with h.gated_sandbox(tmp_path) as (gate, url):
        killed_after_create(tmp_path, kind, gate, url)
        (made,) = [o["id"] for objs in h.inventory(tmp_path).values() for o in objs]
        (address,) = h.state(tmp_path)["resources"]
        (tmp_path / "assistants.yaml").write_text("version: 1\n")
        status = h.run(tmp_path, "status", base_url=url).stdout
        said = " ".join(status.split())
        assert f"an interrupted apply made it ({made}) and it is no longer in the configuration" in said
        assert "apply deletes it" in said
        assert "not created yet" not in status
        shown = h.run(tmp_path, "output", base_url=url)
        assert shown.returncode == 0 and address.split(".")[1] not in shown.stdout  # no entry without an id
        assert json.loads(h.run(tmp_path, "output", "--json", base_url=url).stdout)[f"{kind}s"] == {}
        plan = h.run(tmp_path, "plan", base_url=url).stdout
        assert f"# {address} will be removed from state" in plan
        assert "Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy." in plan  # one object
        summary = json.loads(h.run(tmp_path, "plan", "--json", base_url=url).stdout)["summary"]
        assert summary["delete"] == 1

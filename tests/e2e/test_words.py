"""The words a new user reads: confirmations, cancellations, the end of a destroy, a missing
config, the guard's table, block heads that match their addresses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.terminal import Terminal
from tests.e2e.conftest import Project, copy_example

# Read through the SDK's generic requests (Project.assistant): its deprecated assistants methods
# would warn, and a warning here is a mistake.
pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def _copy(tmp_path: Path, example: str = "hr-bot") -> Path:
    root = tmp_path / example
    copy_example(example, root)
    return root


def test_missing_config_says_where_it_looked_and_how_to_point_elsewhere(tmp_path: Path) -> None:
    empty = Project(tmp_path)
    for args, looked in (((), "assistants.yaml"), (("-c", "team.yaml"), "team.yaml")):
        r = empty.run(*args, "plan")
        assert r.code == 1
        assert r.err == (
            f"Error: no config at {tmp_path / looked} (found nothing there). Run assistplan in the "
            "folder that holds your config, or point at it with -C DIR (its folder) or -c FILE (the file)\n"
        )
    (tmp_path / "assistants.yaml").mkdir()
    r = empty.run("validate")
    assert r.code == 1 and "found a directory, not a file there" in r.err
    assert ":1:1:" not in r.err


def test_destroy_ends_with_destroy_complete(make_project) -> None:
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    r = p.ok("destroy", "--auto-approve")
    assert r.out.rstrip().splitlines()[-1] == "Destroy complete! Resources: 4 destroyed."
    assert r.out.count("  # (destroy deletes every object this state manages)\n") == 4
    assert "no longer in the configuration" not in r.out
    pilot = make_project("hr-pilot")
    pilot.ok("apply", "--auto-approve")
    refused = pilot.run("destroy", "--auto-approve")  # prevent_destroy: said first, and alone
    assert refused.code == 1 and refused.out == ""
    assert refused.err.startswith(
        "Error: assistant.hr-bot has lifecycle.prevent_destroy set (kept in state), but this plan would "
        "destroy it; to destroy it, first apply the config with prevent_destroy: false"
    )
    assert len(refused.err.splitlines()) == 1
    pilot.edit("prevent_destroy: true", "prevent_destroy: false")
    pilot.ok("apply", "--auto-approve")
    r = pilot.ok("destroy", "--auto-approve")
    assert "Plan: 0 to add, 0 to change, 0 to replace, 15 to destroy, 3 to archive." in r.out
    assert r.out.count("# (destroy archives every experiment version: its snapshot objects are deleted)") == 3
    assert r.out.rstrip().splitlines()[-1] == "Destroy complete! Resources: 18 destroyed."


def test_apply_asks_and_a_no_cancels_without_changing_anything(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    t = Terminal("--sandbox", "apply", cwd=root)
    t.expect("Do you want to perform these actions?")
    t.expect("Only 'yes' will be accepted to approve.")
    t.expect("Enter a value:")
    t.type("no")
    assert t.wait() == 1
    assert "Apply cancelled. Nothing was changed." in t.text
    assert "Error" not in t.text and "perform these actions cancelled" not in t.text
    assert not (root / ".assistplan" / "state.json").exists()


def test_destroy_asks_and_yes_destroys(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    Project(root).ok("apply", "--auto-approve")
    t = Terminal("--sandbox", "destroy", cwd=root)
    t.expect("Do you really want to destroy all managed objects?")
    t.expect("There is no undo.")
    t.expect("Enter a value:")
    t.type("nope")
    assert t.wait() == 1 and "Destroy cancelled. Nothing was changed." in t.text
    t = Terminal("--sandbox", "destroy", cwd=root)
    t.expect("Enter a value:")
    t.type("yes")
    assert t.wait() == 0
    assert "Destroy complete! Resources: 4 destroyed." in t.text


def test_guard_table_says_each_consumer_once_with_the_position_validate_reports(make_project) -> None:
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    text = p.config.read_text()
    start = text.index("  triage-bot:")
    end = text.index("pipelines:")
    p.config.write_text(text[:start] + text[end:])
    plan = p.run("plan")
    validate = p.run("validate")
    assert plan.code == validate.code == 1
    position = validate.err.split(": ", 1)[0]  # FILE:LINE:COL of the dangling reference
    assert re.fullmatch(r"assistants\.yaml:\d+:\d+", position), validate.err
    table = [line.rstrip() for line in plan.err.splitlines() if line.startswith("    ")]
    assert table == [
        "    (none)",
        f"    pipeline.triage      working         {position}",
        "    experiment.helpdesk  v1 (published)",
    ]
    assert all(len(line) < 120 for line in plan.err.splitlines())


def test_experiment_version_blocks_are_headed_by_their_address(make_project) -> None:
    p = make_project("hr-pilot")
    out = p.run("plan").out
    assert "  # experiment.hr-pilot@v1 will be created" in out
    assert '  + experiment "hr-pilot@v1" {' in out
    assert "experiment_version" not in out
    assert '  + assistant "hr-bot@hr-pilot.v1" {' in out


def test_archived_version_reads_as_a_sentence(make_project) -> None:
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    p.edit("releases: [1, {version: 2", "releases: [{version: 2")
    out = p.run("plan").out
    head = "  # experiment.hr-pilot@v1 will be archived\n"
    assert head + "  # (release removed: its snapshot objects are deleted)" in out


def test_release_snapshots_of_different_experiments_have_names_people_can_tell_apart(make_project) -> None:
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    sdk = p.sdk()
    names = {
        addr: p.assistant(ids[addr])["name"]
        for addr in ("assistant.hr-bot@hr-pilot.v1", "assistant.hr-bot@helpdesk.v1", "assistant.hr-bot")
    }
    assert names == {
        "assistant.hr-bot@hr-pilot.v1": "HR Bot (hr-pilot v1)",
        "assistant.hr-bot@helpdesk.v1": "HR Bot (helpdesk v1)",
        "assistant.hr-bot": "HR Bot",
    }
    store = sdk.vector_stores.retrieve(ids["vector_store.hr-docs@helpdesk.v1"])
    assert store.name == "HR documents (helpdesk v1)"


def test_snapshots_named_by_an_earlier_scheme_keep_their_names(make_project) -> None:
    """A state written when snapshots were called "HR Bot v1": no drift, no rename."""
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    path = p.root / ".assistplan" / "state.json"
    doc = p.state()  # written back below as one document, as an assistplan before the journal did
    sdk = p.sdk()
    for addr, rs in doc["resources"].items():
        if "@" in addr and rs["type"] in ("assistant", "vector_store"):
            old = rs["attributes"]["name"].split(" (")[0] + " v" + addr.rsplit(".v", 1)[1]
            rs["attributes"]["name"] = old
            if rs["type"] == "assistant":
                p.update_assistant(rs["remote_id"], name=old)
            else:
                sdk.vector_stores.update(rs["remote_id"], name=old)
    path.write_text(json.dumps(doc))
    path.with_name("state.json.journal").unlink(missing_ok=True)
    r = p.run("plan", "--detailed-exitcode")
    assert r.code == 0, r.out + r.err
    assert p.assistant(p.ids()["assistant.hr-bot@helpdesk.v1"])["name"] == "HR Bot v1"
    # A new release takes the new scheme.
    p.edit("releases: [1, {version: 2", "releases: [1, 3, {version: 2")
    p.ok("apply", "--auto-approve")
    v3 = p.ids()["assistant.hr-bot@hr-pilot.v3"]
    assert p.assistant(v3)["name"] == "HR Bot (hr-pilot v3)"


def test_a_nameless_assistant_snapshot_is_named_after_its_resource(tmp_path: Path) -> None:
    (tmp_path / "assistants.yaml").write_text(
        "version: 1\nassistants:\n  helpdesk: {model: gpt-4.1}\n"
        "experiments:\n  pilot: {assistant: helpdesk, releases: [1], published: 1}\n"
    )
    p = Project(tmp_path)
    p.ok("apply", "--auto-approve")
    snap = p.ids()["assistant.helpdesk@pilot.v1"]
    assert p.assistant(snap)["name"] == "helpdesk (pilot v1)"


def test_an_object_kept_by_several_snapshots_says_they_use_it(make_project) -> None:
    p = make_project("hr-pilot")
    p.ok("apply", "--auto-approve")
    p.edit("  leave-policy: {path: docs/leave-policy.md}\n", "")
    p.edit("files: [handbook, leave-policy]", "files: [handbook]")
    out = p.run("plan").out
    said = out.replace("\n  #   ", " ")  # a comment's sentence continues on indented lines
    assert (
        "file.leave-policy is retained: it left the config, but vector_store.hr-docs@helpdesk.v1, "
        "vector_store.hr-docs@hr-pilot.v1, vector_store.hr-docs@hr-pilot.v2 still use it (it goes when "
        "its last user is archived)"
    ) in said
    assert all(len(line) < 120 for line in out.splitlines())


def test_versions_archived_with_their_assistant_say_why_in_a_sentence(tmp_path: Path) -> None:
    config = tmp_path / "assistants.yaml"
    config.write_text(
        "version: 1\nassistants:\n  old: {model: gpt-4.1}\n  new: {model: gpt-4.1-mini}\n"
        "experiments:\n  pilot: {assistant: old, releases: [1], published: 1}\n"
    )
    p = Project(tmp_path)
    p.ok("apply", "--auto-approve")
    config.write_text(
        "version: 1\nassistants:\n  new: {model: gpt-4.1-mini}\n"
        "experiments:\n  pilot: {assistant: new, releases: [1, 2], published: 2}\n"
    )
    out = p.run("plan").out
    assert (
        "  # experiment.pilot@v1 will be archived\n"
        "  # (an assistant it uses is archived: its snapshot objects are deleted)\n"
        '  - experiment "pilot@v1" {\n'
    ) in out


def test_small_uploads_show_their_size_in_kilobytes(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    t = Terminal("--sandbox", "apply", "--auto-approve", cwd=root)
    assert t.wait() == 0, t.text
    assert "uploading 0.3/0.3 KB (100%)" in t.raw  # on the live status line
    assert "0.0/0.0 MB" not in t.raw

"""Issue 4: experiments, releases and the guard, one test per rule, through the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from assistplan.sandbox import http_client
from tests.e2e.conftest import Project, changes

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

FILES = """\
files:
  handbook: {path: handbook.md}
  policy: {path: policy.md}
vector_stores:
  docs: {name: Docs, files: [handbook, policy]}
"""


def assistant(name: str, *, search: bool = False, extra: str = "") -> str:
    tools = "[{type: file_search}]" if search else "[{type: code_interpreter}]"
    res = "\n    tool_resources: {file_search: {vector_stores: [docs]}}" if search else ""
    return f"  {name}:\n    model: gpt-4.1\n    instructions: I am {name}.\n    tools: {tools}{res}{extra}\n"


def write(p: Project, *, assistants: str, rest: str = "", files: str = FILES) -> None:
    p.config.write_text("version: 1\n" + files + "assistants:\n" + assistants + rest)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 4.\n")
    (root / "policy.md").write_text("# Policy\n28 days of leave.\n")
    return Project(root)


def experiment(
    assistant: str | None = None,
    *,
    pipeline: str | None = None,
    releases: str = "[1]",
    published: int | None = 1,
    name: str = "pilot",
) -> str:
    target = f"assistant: {assistant}" if assistant else f"pipeline: {pipeline}"
    pub = f"\n    published: {published}" if published is not None else ""
    return f"experiments:\n  {name}:\n    {target}\n    releases: {releases}{pub}\n"


def blocked_of(p: Project) -> list[dict]:
    r = p.run("plan", "--json")
    assert r.code == 1, r.out + r.err
    return r.json()["blocked"]


def remote_assistants(p: Project) -> dict[str, str]:
    return {a.id: a.name for a in p.sdk().beta.assistants.list(limit=100)}


def test_release_creates_an_immutable_snapshot_and_output_lists_it(project):
    p = project
    write(p, assistants=assistant("bot", search=True), rest=experiment("bot"))
    plan = p.plan_json()
    assert changes(plan) == {
        "file.handbook": ["create"],
        "file.policy": ["create"],
        "vector_store.docs": ["create"],
        "assistant.bot": ["create"],
        "assistant.bot@pilot.v1": ["create"],
        "vector_store.docs@pilot.v1": ["create"],
        "experiment.pilot": ["create"],
        "experiment.pilot@v1": ["create"],
    }
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    sdk = p.sdk()
    snap = sdk.beta.assistants.retrieve(ids["assistant.bot@pilot.v1"])
    assert snap.name == "bot (pilot v1)" and snap.instructions == "I am bot."
    assert snap.tool_resources.file_search.vector_store_ids == [ids["vector_store.docs@pilot.v1"]]
    snap_files = {f.id for f in sdk.vector_stores.files.list(ids["vector_store.docs@pilot.v1"])}
    assert snap_files == {ids["file.handbook"], ids["file.policy"]}  # the same files, not new uploads
    out = json.loads(p.ok("output", "--json").out)["experiments"]["pilot"]
    snap_entry = {"bot": {"id": ids["assistant.bot@pilot.v1"], "target": "assistants"}}
    assert out["published"] == {
        "version": 1,
        "assistants": {"bot": ids["assistant.bot@pilot.v1"]},
        "assistants_detail": snap_entry,
    }
    assert out["working"] == {
        "assistants": {"bot": ids["assistant.bot"]},
        "assistants_detail": {"bot": {"id": ids["assistant.bot"], "target": "assistants"}},
    }
    assert out["versions"] == [
        {
            "version": 1,
            "status": "published",
            "assistants": {"bot": ids["assistant.bot@pilot.v1"]},
            "assistants_detail": snap_entry,
        }
    ]
    # The working assistant moves on; the snapshot does not.
    p.edit("I am bot.", "I am the new bot.")
    assert changes(p.plan_json()) == {"assistant.bot": ["update"]}
    p.ok("apply", "--auto-approve")
    assert sdk.beta.assistants.retrieve(ids["assistant.bot@pilot.v1"]).instructions == "I am bot."
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_out_of_band_edit_to_a_snapshot_is_drift_that_apply_reverts(project):
    p = project
    write(p, assistants=assistant("bot", search=True), rest=experiment("bot"))
    p.ok("apply", "--auto-approve")
    snap_id = p.ids()["assistant.bot@pilot.v1"]
    p.sdk().beta.assistants.update(snap_id, instructions="edited by hand")
    plan = p.plan_json()
    assert [d["address"] for d in plan["resource_drift"]] == ["assistant.bot@pilot.v1"]
    assert changes(plan) == {"assistant.bot@pilot.v1": ["update"]}
    p.ok("apply", "--auto-approve")
    assert p.sdk().beta.assistants.retrieve(snap_id).instructions == "I am bot."


def test_a_release_uploads_no_file_again(project):
    p = project
    write(p, assistants=assistant("bot", search=True))
    p.ok("apply", "--auto-approve")
    client = http_client(p.root / ".assistplan" / "sandbox")
    client.post("/_sandbox/stats/reset")
    write(p, assistants=assistant("bot", search=True), rest=experiment("bot"))
    p.ok("apply", "--auto-approve")
    stats = client.get("/_sandbox/stats").json()["requests"]
    assert not [route for route in stats if route.startswith(("POST /v1/files", "POST /v1/uploads"))]
    assert stats["POST /v1/vector_stores"] == 1  # the snapshot's store, holding the same file ids


def test_unused_assistant_is_archived_with_all_its_snapshots(project):
    p = project
    both = assistant("old") + assistant("new")
    write(p, assistants=both, rest=experiment("old", releases="[1]", published=1))
    p.ok("apply", "--auto-approve")
    write(p, assistants=both, rest=experiment("new", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    assert {"assistant.old@pilot.v1", "assistant.new@pilot.v2"} <= set(ids)
    write(p, assistants=assistant("new"), rest=experiment("new", releases="[1, 2]", published=2))
    plan = p.plan_json()
    assert plan["blocked"] == []
    assert changes(plan) == {
        "assistant.old": ["delete"],
        "assistant.old@pilot.v1": ["delete"],
        "experiment.pilot@v1": ["archive"],
    }
    p.ok("apply", "--auto-approve")
    left = remote_assistants(p)
    assert ids["assistant.old"] not in left and ids["assistant.old@pilot.v1"] not in left
    assert ids["assistant.new@pilot.v2"] in left
    versions = json.loads(p.ok("output", "--json").out)["experiments"]["pilot"]["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "archived"), (2, "published")]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_working_experiment_blocks(project):
    p = project
    write(
        p,
        assistants=assistant("bot") + assistant("other"),
        rest=experiment("bot", releases="[]", published=None),
    )
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("other"), rest=experiment("bot", releases="[]", published=None))
    (b,) = blocked_of(p)
    assert b == {
        "address": "assistant.bot",
        "consumers": {
            "experiments": [{"address": "experiment.pilot", "version": "unreleased", "status": "unreleased"}],
            "pipelines": [],
            "experiments_referencing_pipeline": [],
        },
    }
    r = p.run("plan")
    assert r.code == 1
    assert "cannot archive assistant.bot" in r.err and "Experiments" in r.err and "unreleased" in r.err
    assert p.run("apply", "--auto-approve").code == 1
    assert p.ids()["assistant.bot"] in remote_assistants(p)
    # The plain validate still calls the reference what it is.
    v = p.run("validate")
    assert v.code == 1 and "unknown assistant 'bot'" in v.err


def test_a_published_version_blocks_until_another_is_published(project):
    p = project
    both = assistant("old") + assistant("new")
    write(p, assistants=both, rest=experiment("old", releases="[1]", published=1))
    p.ok("apply", "--auto-approve")
    write(p, assistants=both, rest=experiment("new", releases="[1, 2]", published=1))
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("new"), rest=experiment("new", releases="[1, 2]", published=1))
    (b,) = blocked_of(p)
    assert b["consumers"]["experiments"] == [
        {"address": "experiment.pilot", "version": "v1", "status": "published"}
    ]
    write(p, assistants=assistant("new"), rest=experiment("new", releases="[1, 2]", published=2))
    plan = p.plan_json()
    assert plan["blocked"] == []
    assert changes(plan)["assistant.old"] == ["delete"]
    assert changes(plan)["experiment.pilot@v1"] == ["archive"]
    assert changes(plan)["experiment.pilot@v2"] == ["update"]  # released -> published
    p.ok("apply", "--auto-approve")
    out = json.loads(p.ok("output", "--json").out)["experiments"]["pilot"]
    assert out["published"]["version"] == 2


def test_nothing_of_a_family_is_deleted_while_a_published_version_uses_it(project):
    p = project
    both = assistant("old") + assistant("new")
    write(p, assistants=both, rest=experiment("old", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    write(p, assistants=both, rest=experiment("new", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    family = {a: i for a, i in p.ids().items() if a.startswith("assistant.old")}
    assert set(family) == {"assistant.old", "assistant.old@pilot.v1", "assistant.old@pilot.v2"}
    write(p, assistants=assistant("new"), rest=experiment("new", releases="[1, 2]", published=2))
    r = p.run("plan", "--json")
    assert r.code == 1
    plan = r.json()
    assert [b["address"] for b in plan["blocked"]] == ["assistant.old"]
    destroys = [c for c in plan["resource_changes"] if "delete" in c["actions"] or "archive" in c["actions"]]
    (refused,) = destroys
    assert refused["address"] == "assistant.old"  # listed, as the destroy the guard refused
    assert refused["action_reason"] == "refused_because_live_consumers"
    assert p.run("apply", "--auto-approve").code == 1
    assert set(family.values()) <= set(remote_assistants(p))


PIPE = (
    "pipelines:\n  triage:\n    nodes:\n      - {{name: router, assistant: {a}}}\n"
    "      - {{name: sum, type: llm, params: {{model: gpt-4.1-mini}}}}\n"
)


def test_a_working_pipeline_node_blocks_until_the_node_is_removed(project):
    p = project
    write(p, assistants=assistant("bot") + assistant("other"), rest=PIPE.format(a="bot"))
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("other"), rest=PIPE.format(a="bot"))
    (b,) = blocked_of(p)
    assert b["consumers"]["pipelines"] == [
        {"address": "pipeline.triage", "version": "working", "status": "working"}
    ]
    write(p, assistants=assistant("other"), rest=PIPE.format(a="other"))
    plan = p.plan_json()
    assert changes(plan) == {"assistant.bot": ["delete"], "pipeline.triage": ["update"]}
    p.ok("apply", "--auto-approve")


def test_a_pipeline_snapshot_of_a_published_version_blocks(project):
    p = project
    both = assistant("bot") + assistant("other")
    write(p, assistants=both, rest=PIPE.format(a="bot") + experiment(pipeline="triage"))
    p.ok("apply", "--auto-approve")
    assert "assistant.bot@pilot.v1" in p.ids()
    write(p, assistants=assistant("other"), rest=PIPE.format(a="other") + experiment(pipeline="triage"))
    (b,) = blocked_of(p)
    assert b["consumers"]["experiments_referencing_pipeline"] == [
        {"address": "experiment.pilot", "version": "v1", "status": "published"}
    ]
    assert b["consumers"]["experiments"] == [] and b["consumers"]["pipelines"] == []
    r = p.run("plan")
    assert r.code == 1 and "Experiments referencing pipeline" in r.err
    assert p.run("apply", "--auto-approve").code == 1
    assert p.ids()["assistant.bot"] in remote_assistants(p)


def test_a_pipeline_snapshot_of_a_non_published_version_does_not_block(project):
    p = project
    both = assistant("bot") + assistant("other")
    write(p, assistants=both, rest=PIPE.format(a="bot") + experiment(pipeline="triage"))
    p.ok("apply", "--auto-approve")
    write(
        p,
        assistants=both,
        rest=PIPE.format(a="other") + experiment(pipeline="triage", releases="[1, 2]", published=2),
    )
    p.ok("apply", "--auto-approve")
    write(
        p,
        assistants=assistant("other"),
        rest=PIPE.format(a="other") + experiment(pipeline="triage", releases="[1, 2]", published=2),
    )
    plan = p.plan_json()
    assert plan["blocked"] == []
    assert changes(plan) == {
        "assistant.bot": ["delete"],
        "assistant.bot@pilot.v1": ["delete"],
        "experiment.pilot@v1": ["archive"],
    }
    p.ok("apply", "--auto-approve")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_pipeline_used_by_an_experiment_cannot_be_removed(project):
    p = project
    write(
        p,
        assistants=assistant("bot"),
        rest=PIPE.format(a="bot") + experiment(pipeline="triage", releases="[]", published=None),
    )
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("bot"), rest=experiment(pipeline="triage", releases="[]", published=None))
    (b,) = blocked_of(p)
    assert b["address"] == "pipeline.triage"
    assert b["consumers"]["experiments"] == [
        {"address": "experiment.pilot", "version": "unreleased", "status": "unreleased"}
    ]


def test_prevent_destroy_survives_removal_of_the_block(project):
    p = project
    guard = "\n    lifecycle: {prevent_destroy: true}"
    write(p, assistants=assistant("bot", extra=guard) + assistant("other"))
    p.ok("apply", "--auto-approve")
    assert p.state()["resources"]["assistant.bot"]["prevent_destroy"] is True
    write(p, assistants=assistant("other"))
    r = p.run("plan")
    assert r.code == 1 and "prevent_destroy" in r.err
    assert p.run("apply", "--auto-approve").code == 1
    assert p.run("destroy", "--auto-approve").code == 1
    assert p.ids()["assistant.bot"] in remote_assistants(p)
    # Turning it off, applied, is the way out.
    write(
        p, assistants=assistant("bot", extra="\n    lifecycle: {prevent_destroy: false}") + assistant("other")
    )
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("other"))
    assert changes(p.plan_json()) == {"assistant.bot": ["delete"]}


def test_a_file_used_by_a_published_snapshot_is_retained_then_collected(project):
    p = project
    write(p, assistants=assistant("bot", search=True), rest=experiment("bot"))
    p.ok("apply", "--auto-approve")
    policy_id = p.ids()["file.policy"]
    files = (
        "files:\n  handbook: {path: handbook.md}\nvector_stores:\n  docs: {name: Docs, files: [handbook]}\n"
    )
    write(p, files=files, assistants=assistant("bot", search=True), rest=experiment("bot"))
    plan = p.plan_json()
    assert changes(plan) == {"vector_store.docs": ["update"]}
    (kept,) = [c for c in plan["resource_changes"] if c["address"] == "file.policy"]
    assert kept["actions"] == ["no-op"] and kept["action_reason"].startswith("retained_because_in_use")
    assert "vector_store.docs@pilot.v1" in kept["action_reason"]
    assert "is retained" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    sdk = p.sdk()
    sdk.files.retrieve(policy_id)  # still there
    write(p, files=files, assistants=assistant("bot", search=True))  # the experiment goes: v1 is archived
    plan = p.plan_json()
    assert changes(plan) == {
        "experiment.pilot": ["delete"],
        "experiment.pilot@v1": ["archive"],
        "assistant.bot@pilot.v1": ["delete"],
        "vector_store.docs@pilot.v1": ["delete"],
        "file.policy": ["delete"],
    }
    p.ok("apply", "--auto-approve")
    assert policy_id not in {f.id for f in sdk.files.list()}
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_removing_the_published_release_is_refused(project):
    p = project
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1]", published=2))
    r = p.run("plan")
    assert r.code == 1 and "version 2 is not one of the releases (1)" in r.err
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1]", published=None))
    r = p.run("plan")
    assert r.code == 1 and "experiment.pilot@v2 is published" in r.err
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1]", published=1))
    plan = p.plan_json()
    assert changes(plan) == {
        "experiment.pilot": ["update"],
        "experiment.pilot@v1": ["update"],
        "experiment.pilot@v2": ["archive"],
        "assistant.bot@pilot.v2": ["delete"],
    }


def test_graph_draws_the_reference_graph(project):
    p = project
    write(
        p, assistants=assistant("bot", search=True), rest=PIPE.format(a="bot") + experiment(pipeline="triage")
    )
    p.ok("apply", "--auto-approve")
    mermaid = p.ok("graph", "--format", "mermaid").out
    assert mermaid.startswith("graph LR")
    assert '"pipeline.triage"' in mermaid and '"assistant.bot@pilot.v1"' in mermaid
    dot = p.ok("graph", "--format", "dot").out
    assert dot.startswith("digraph assistplan {")
    assert '"vector_store.docs" -> "file.handbook";' in dot
    assert '"pipeline.triage" -> "assistant.bot";' in dot
    assert '"experiment.pilot@v1" -> "assistant.bot@pilot.v1";' in dot
    assert textwrap.dedent(dot).rstrip().endswith("}")


def test_an_archived_release_cannot_be_released_again(project):
    p = project
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1, 2]", published=2))
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[2]", published=2))
    assert changes(p.plan_json())["experiment.pilot@v1"] == ["archive"]
    p.ok("apply", "--auto-approve")
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[1, 2]", published=2))
    line = p.config.read_text().splitlines().index("    releases: [1, 2]") + 1
    message = (
        f"assistants.yaml:{line}:16: experiments.pilot.releases: version 1 (experiment.pilot@v1) was "
        "archived and versions are immutable: it cannot be released again; release a new version number "
        "instead\n"
    )
    for args in (("plan",), ("apply", "--auto-approve")):
        r = p.run(*args)
        assert r.code == 1 and r.err == message and r.out == ""
    doc = p.run("plan", "--json")
    assert doc.json()["errors"] == [message.rstrip()]
    write(p, assistants=assistant("bot"), rest=experiment("bot", releases="[2, 1]", published=1))
    line = p.config.read_text().splitlines().index("    releases: [2, 1]") + 1
    r = p.run("plan")  # at the release itself (the second in the list)
    assert r.code == 1 and r.err.startswith(
        f"assistants.yaml:{line}:19: experiments.pilot.releases: version 1"
    )

"""The foundry target through the CLI, on the embedded sandbox (`--sandbox`: its project `default`).

The sandbox's own agents routes are the witness of what was made: every assistant is an agent,
every change a new version, releases agents of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from assistplan import published
from assistplan.sandbox import http_client
from assistplan.state import LocalBackend
from tests.e2e.conftest import Project
from tests.targets.conftest import LEAVE_BALANCE, changed

CONFIG = """\
version: 1
provider: {target: foundry, agent_prefix: hr-}
files:
  handbook: {path: handbook.md}
  rates: {path: rates.csv}
vector_stores:
  docs: {name: Docs, files: [handbook]}
assistants:
  bot:
    name: HR Bot
    description: answers HR questions
    model: gpt-4.1
    instructions: You answer from the handbook.
    temperature: 0.2
    tools:
      - {type: file_search, file_search: {max_num_results: 8}}
      - {type: code_interpreter}
      - {type: function, function: {name: leave_balance, description: Days of leave left}}
      - {type: mcp, server_label: wiki, server_url: "https://wiki.example.com/mcp", require_approval: never}
    tool_resources: {file_search: {vector_stores: [docs]}, code_interpreter: {files: [rates]}}
    metadata: {team: hr}
experiments:
  pilot:
    assistant: bot
    releases: [1]
    published: 1
"""
PROJECT = "/api/projects/default"


class Foundry:
    """The embedded sandbox's Foundry project, read directly."""

    def __init__(self, root: Path) -> None:
        self.http = http_client(root / ".assistplan" / "sandbox")
        self.http.headers["Authorization"] = "Bearer test"

    def get(self, path: str, **params: Any) -> httpx2.Response:
        return self.http.get(f"{PROJECT}{path}", params={"api-version": "v1", **params})

    def agent(self, name: str) -> dict[str, Any] | None:
        r = self.get(f"/agents/{name}")
        return r.json() if r.status_code == 200 else None

    def latest(self, name: str) -> dict[str, Any]:
        agent = self.agent(name)
        assert agent is not None, name
        return dict(agent["versions"]["latest"])

    def versions(self, name: str) -> list[str]:
        return [v["version"] for v in self.get(f"/agents/{name}/versions").json()["data"]]

    def agents(self) -> list[str]:
        return sorted(a["name"] for a in self.get("/agents", limit=100).json()["data"])

    def make(self, name: str, instructions: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """An agent version made by hand (in the portal, say)."""
        body: dict[str, Any] = {
            "definition": {"kind": "prompt", "model": "gpt-4o", "instructions": instructions}
        }
        if metadata is not None:
            body["metadata"] = metadata
        r = self.http.post(f"{PROJECT}/agents/{name}/versions", params={"api-version": "v1"}, json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def openai(self, path: str) -> list[dict[str, Any]]:
        return list(self.http.get(f"{PROJECT}/openai/v1{path}").json()["data"])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "handbook.md").write_text("# Handbook\nCore hours are 10 to 4.\n")
    (root / "rates.csv").write_text("grade,days\nA,28\n")
    (root / "assistants.yaml").write_text(CONFIG)
    return Project(root)


def test_apply_realises_each_assistant_as_an_agent_version(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    ids, remote = p.ids(), Foundry(p.root)
    assert ids["assistant.bot"] == "hr-bot" and ids["assistant.bot@pilot.v1"] == "hr-bot-pilot-v1"
    assert remote.agents() == ["hr-bot", "hr-bot-pilot-v1"]
    latest = remote.latest("hr-bot")
    assert (latest["version"], latest["description"]) == ("1", "answers HR questions")
    assert latest["metadata"] == {"team": "hr", "assistplan": f"{p.state()['lineage']}:assistant.bot"}
    definition = latest["definition"]
    assert {k: definition[k] for k in ("kind", "model", "instructions", "temperature")} == {
        "kind": "prompt",
        "model": "gpt-4.1",
        "instructions": "You answer from the handbook.",
        "temperature": 0.2,
    }
    tools = {t["type"]: t for t in definition["tools"]}
    assert tools["file_search"] == {
        "type": "file_search",
        "vector_store_ids": [ids["vector_store.docs"]],
        "max_num_results": 8,
    }
    assert tools["function"] == LEAVE_BALANCE
    assert tools["code_interpreter"] == {
        "type": "code_interpreter",
        "container": {"type": "auto", "file_ids": [ids["file.rates"]]},
    }
    assert tools["mcp"] == {  # Foundry's own tool, passed through as declared
        "type": "mcp",
        "server_label": "wiki",
        "server_url": "https://wiki.example.com/mcp",
        "require_approval": "never",
    }
    # The release's vector store is a store of its own holding the same files.
    snapshot_tools = {t["type"]: t for t in remote.latest("hr-bot-pilot-v1")["definition"]["tools"]}
    assert snapshot_tools["file_search"]["vector_store_ids"] == [ids["vector_store.docs@pilot.v1"]]
    assert {v["id"] for v in remote.openai("/vector_stores")} == {
        ids["vector_store.docs"],
        ids["vector_store.docs@pilot.v1"],
    }
    out = p.ok("output", "--json").json()
    assert out["assistants"]["bot"] == {
        "id": "hr-bot",
        "target": "foundry",
        "agent": {"name": "hr-bot", "version": "1"},
    }
    assert p.run("plan", "--detailed-exitcode").code == 0  # a second plan changes nothing


def test_an_edit_is_one_update_that_adds_a_version_and_keeps_the_old(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    p.edit("You answer from the handbook.", "You answer in one sentence.")
    plan = p.plan_json()
    assert changed(plan) == {"assistant.bot": (["update"], "new_agent_version")}
    text = p.run("plan").out
    assert "assistant.bot will get a new version" in text and "the earlier versions stay" in text
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert remote.versions("hr-bot") == ["2", "1"]
    assert remote.latest("hr-bot")["definition"]["instructions"] == "You answer in one sentence."
    old = remote.get("/agents/hr-bot/versions/1").json()
    assert old["definition"]["instructions"] == "You answer from the handbook."
    assert p.ok("output", "--json").json()["assistants"]["bot"]["agent"] == {"name": "hr-bot", "version": "2"}
    # The published release is an agent version with the released instructions.
    release = published("pilot", config=str(p.config))
    assert release["version"] == 1
    assert release["assistants"]["bot"] == {
        "id": "hr-bot-pilot-v1",
        "target": "foundry",
        "agent": {"name": "hr-bot-pilot-v1", "version": "1"},
    }
    frozen = remote.latest("hr-bot-pilot-v1")["definition"]
    assert frozen["instructions"] == "You answer from the handbook."
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_removing_the_published_assistant_is_refused(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    text = p.config.read_text()
    p.config.write_text(text[: text.index("assistants:\n")] + text[text.index("experiments:\n") :])
    refused = p.run("plan")
    assert refused.code == 1
    assert "experiment.pilot" in refused.err and "published" in refused.err
    assert Foundry(p.root).agents() == ["hr-bot", "hr-bot-pilot-v1"]


def test_destroy_deletes_every_managed_agent_file_and_store_and_keeps_an_agent_made_by_hand(
    project: Project,
) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    p.edit("You answer from the handbook.", "Shorter.")
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    remote.make("kept-by-hand", "Not assistplan's.")
    p.ok("destroy", "--auto-approve")
    assert remote.agents() == ["kept-by-hand"]
    assert remote.versions("kept-by-hand") == ["1"]
    assert remote.openai("/files") == [] and remote.openai("/vector_stores") == []
    assert p.state()["resources"] == {}


def test_an_agent_made_by_hand_under_our_name_is_refused_naming_import_and_left_untouched(
    project: Project,
) -> None:
    p = project
    remote = Foundry(p.root)
    remote.make("hr-bot", "Made in the portal.")
    refused = p.run("plan")
    assert refused.code == 1
    assert "--sandbox import assistant.bot hr-bot`" in refused.err
    applied = p.run("apply", "--auto-approve")
    assert applied.code == 1 and "--sandbox import assistant.bot hr-bot`" in applied.err
    assert remote.versions("hr-bot") == ["1"]
    assert remote.latest("hr-bot")["definition"]["instructions"] == "Made in the portal."
    assert remote.agents() == ["hr-bot"]  # nothing else made: the plan was refused
    # Taken over with import, the next apply adds a version (the portal's stays).
    p.ok("import", "assistant.bot", "hr-bot")
    assert changed(p.plan_json())["assistant.bot"][0] == ["update"]
    assert "assistant.bot will get a new version" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    assert remote.versions("hr-bot") == ["2", "1"]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_an_agent_of_another_state_is_refused_too(project: Project) -> None:
    p = project
    remote = Foundry(p.root)
    remote.make("hr-bot", "Another state's.", {"assistplan": "0000-other-lineage:assistant.bot"})
    refused = p.run("plan")
    assert refused.code == 1 and "marker of another assistplan state" in refused.err


def test_an_interrupted_apply_is_adopted_not_duplicated(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    # What a kill between the create call and its record leaves: the intent, no remote id.
    backend = LocalBackend(p.root / ".assistplan" / "state.json")
    state = backend.read()
    assert state is not None
    bot = state.resources["assistant.bot"]
    bot.remote_id, bot.attributes, bot.depends_on, bot.extra = None, {}, [], {"pending": {"since": 0}}
    backend.write(state)
    plan = p.plan_json()
    bot = next(c for c in plan["resource_changes"] if c["address"] == "assistant.bot")
    assert (bot["actions"], bot["action_reason"]) == (["no-op"], "adopt_created_by_interrupted_apply")
    assert changed(plan) == {}
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert remote.versions("hr-bot") == ["1"]  # adopted as it was: no second version
    agent = p.state()["resources"]["assistant.bot"]["extra"]["agent"]
    assert (agent["name"], agent["version"]) == ("hr-bot", "1")
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_version_made_outside_is_drift_that_apply_reverts_with_a_new_version(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    remote.make("hr-bot", "Edited in the portal.")
    plan = p.plan_json()
    drift = {d["address"]: d["action_reason"] for d in plan["resource_drift"]}
    assert drift == {"assistant.bot": "changed_outside_assistplan"}
    assert changed(plan)["assistant.bot"][0] == ["update"]
    p.ok("apply", "--auto-approve")
    assert remote.versions("hr-bot") == ["3", "2", "1"]
    assert remote.latest("hr-bot")["definition"]["instructions"] == "You answer from the handbook."
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_an_agent_deleted_outside_is_made_again(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert remote.http.delete(f"{PROJECT}/agents/hr-bot", params={"api-version": "v1"}).status_code == 200
    plan = p.plan_json()
    assert changed(plan)["assistant.bot"] == (["create"], "recreate_because_deleted_outside_assistplan")
    p.ok("apply", "--auto-approve")
    assert remote.versions("hr-bot") == ["1"]


def test_an_agent_made_between_plan_and_apply_is_refused_by_the_apply(project: Project) -> None:
    """Apply reads each name before creating it: a saved plan does not bypass the check."""
    p = project
    p.ok("plan", "--out", "tfplan")
    remote = Foundry(p.root)
    remote.make("hr-bot", "Made meanwhile.")
    applied = p.run("apply", "tfplan")
    assert applied.code == 1
    assert "assistant.bot" in applied.err and "--sandbox import assistant.bot hr-bot`" in applied.err
    assert remote.versions("hr-bot") == ["1"]
    assert remote.latest("hr-bot")["definition"]["instructions"] == "Made meanwhile."
    assert p.ids().get("assistant.bot") is None  # only the intent: no agent recorded as ours
    assert "--sandbox import assistant.bot hr-bot`" in p.run("plan").err


def test_import_all_onboards_the_project_s_agents(tmp_path: Path) -> None:
    root = tmp_path / "onboard"
    root.mkdir()
    (root / "assistants.yaml").write_text("version: 1\nprovider: {target: foundry, agent_prefix: it-}\n")
    p, remote = Project(root), Foundry(root)
    upload = remote.http.post(
        f"{PROJECT}/openai/v1/files", data={"purpose": "assistants"}, files={"file": ("faq.md", b"# FAQ\n")}
    ).json()
    store = remote.http.post(
        f"{PROJECT}/openai/v1/vector_stores", json={"name": "FAQ", "file_ids": [upload["id"]]}
    )
    definition = {
        "kind": "prompt",
        "model": "gpt-4.1",
        "instructions": "Help with IT.",
        "temperature": 0.5,
        "tools": [
            {"type": "file_search", "vector_store_ids": [store.json()["id"]]},
            {"type": "function", "name": "open_ticket", "parameters": {}, "strict": False},
            {"type": "web_search_preview"},
        ],
    }
    body = {"definition": definition, "description": "IT help", "metadata": {"team": "it"}}
    made = remote.http.post(f"{PROJECT}/agents/it-helpdesk/versions", params={"api-version": "v1"}, json=body)
    assert made.status_code == 200
    p.ok("import", "--all", "--config-out", "onboarded.yaml")
    text = (root / "onboarded.yaml").read_text()
    assert "provider: {target: foundry, agent_prefix: it-}" in text and "  helpdesk:\n" in text
    assert "- {type: web_search_preview}" in text
    onboarded = LocalBackend(root / ".assistplan" / "onboarded.state.json").read()
    assert onboarded is not None
    state = onboarded.to_json()["resources"]
    assert state["assistant.helpdesk"]["remote_id"] == "it-helpdesk"
    assert state["assistant.helpdesk"]["extra"]["agent"] == {"name": "it-helpdesk", "version": "1"}
    assert p.run("-c", "onboarded.yaml", "plan", "--detailed-exitcode").code == 0
    # Managed now: an edit is a new version of that agent.
    p.edit("Help with IT.", "Help with IT, briefly.", "onboarded.yaml")
    p.ok("-c", "onboarded.yaml", "apply", "--auto-approve")
    assert remote.versions("it-helpdesk") == ["2", "1"]


def test_the_readme_s_foundry_config_applies_as_it_stands(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Azure AI Foundry") :]
    config = section[section.index("```yaml\n") + 8 : section.index("```\n")]
    root = tmp_path / "readme"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "vpn.md").write_text("# VPN\n")
    (root / "assistants.yaml").write_text(config)
    p = Project(root)
    p.ok("apply", "--auto-approve")
    assert Foundry(root).agents() == ["it-helpdesk", "it-helpdesk-pilot-v1"]
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_new_agent_prefix_replaces_working_agents_and_keeps_release_names(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    p.edit("agent_prefix: hr-", "agent_prefix: people-")
    plan = p.plan_json()
    assert changed(plan) == {"assistant.bot": (["create", "delete"], "replace_because_name_changed")}
    assert "a new agent replaces hr-bot" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert remote.agents() == ["hr-bot-pilot-v1", "people-bot"]  # the release's name is frozen
    assert p.ids()["assistant.bot"] == "people-bot"
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_new_agent_prefix_whose_name_is_taken_is_refused_by_the_plan(project: Project) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    remote.make("people-bot", "Made in the portal.")
    p.edit("agent_prefix: hr-", "agent_prefix: people-")
    refused = p.run("plan")
    assert refused.code == 1
    assert (
        "assistant.bot: a Foundry agent named 'people-bot' already exists and this state did not make it"
        in (refused.err)
    )
    assert "--sandbox import assistant.bot people-bot`" in refused.err
    assert p.run("apply", "--auto-approve").code == 1
    assert remote.versions("people-bot") == ["1"] and p.ids()["assistant.bot"] == "hr-bot"  # nothing changed
    p.edit("agent_prefix: people-", "agent_prefix: team-")  # a free name: the rename goes ahead
    p.ok("apply", "--auto-approve")
    assert p.ids()["assistant.bot"] == "team-bot"


def test_an_agent_imported_under_a_name_of_its_own_keeps_it(project: Project) -> None:
    p = project
    remote = Foundry(p.root)
    remote.make("legacy-hr-assistant", "Old.")
    p.ok("import", "assistant.bot", "legacy-hr-assistant")
    p.ok("apply", "--auto-approve")
    assert p.ids()["assistant.bot"] == "legacy-hr-assistant"
    assert remote.versions("legacy-hr-assistant") == ["2", "1"]
    assert "hr-bot" not in remote.agents()
    assert p.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize(
    ("address", "agent"), [("assistant.bot", "hr-bot"), ("assistant.bot@pilot.v1", "hr-bot-pilot-v1")]
)
def test_a_replace_keeps_the_agent_and_deletes_only_the_version_it_replaces(
    project: Project, address: str, agent: str
) -> None:
    p = project
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    released = remote.latest(agent)["definition"]
    plan = p.plan_json("--replace", address)
    (change,) = [c for c in plan["resource_changes"] if c["actions"] != ["no-op"]]
    assert (change["address"], change["actions"], change["remote_id"]) == (
        address,
        ["create", "delete"],
        f"{agent}:1",
    )
    shown = " ".join(p.run("plan", "--replace", address).out.replace("#", " ").split())
    assert f"the agent stays: a new version replaces version {agent}:1, which is deleted" in shown
    p.ok("apply", "--auto-approve", "--replace", address)
    assert remote.agents() == ["hr-bot", "hr-bot-pilot-v1"]  # the agent lives on, under its name
    assert remote.versions(agent) == ["2"]  # a new version; the replaced one is gone
    assert remote.latest(agent)["definition"] == released
    assert p.state()["resources"][address]["extra"]["agent"] == {
        "name": agent,
        "version": "2",
        "prefix": "hr-",
    }
    assert p.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize(
    ("deposed", "versions"), [("hr-bot:1", ["2"]), ("hr-bot", ["2", "1"]), ("hr-bot:2", ["2", "1"])]
)
def test_a_replaced_version_left_deposed_is_deleted_alone_by_the_next_apply(
    project: Project, deposed: str, versions: list[str]
) -> None:
    """What a kill between a replace's new version and the old version's delete leaves (or, from
    an earlier assistplan, the agent's own name or its current version as the deposed object:
    never deleted)."""
    p = project
    p.ok("apply", "--auto-approve")
    p.edit("You answer from the handbook.", "You answer in one sentence.")
    p.ok("apply", "--auto-approve")
    backend = LocalBackend(p.root / ".assistplan" / "state.json")
    state = backend.read()
    assert state is not None
    state.resources["assistant.bot"].extra["deposed"] = [deposed]
    backend.write(state)
    plan = p.plan_json()
    gone = [
        (c["address"], c["actions"], c.get("deposed"))
        for c in plan["resource_changes"]
        if c["actions"] != ["no-op"]
    ]
    assert gone == ([("assistant.bot", ["delete"], deposed)] if deposed == "hr-bot:1" else [])
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert remote.versions("hr-bot") == versions
    assert remote.latest("hr-bot")["definition"]["instructions"] == "You answer in one sentence."
    assert p.run("plan", "--detailed-exitcode").code == 0


@pytest.mark.parametrize(
    "edit",
    [
        ("    metadata: {team: hr}\n", "    metadata: {team: hr}\n    lifecycle: {prevent_destroy: true}\n"),
        ("You answer from the handbook.", "You answer in one sentence."),
    ],
)
def test_a_failed_replace_leaves_nothing_a_later_apply_deposes(
    project: Project, monkeypatch: pytest.MonkeyPatch, edit: tuple[str, str]
) -> None:
    """The failed create's intent names the version it would have replaced; a later change of the
    agent in place must not take that (current) version for a replaced one and delete it."""
    p = project
    p.ok("apply", "--auto-approve")
    p.ok("plan", "--replace", "assistant.bot", "--out", "r.plan")
    with monkeypatch.context() as env:  # the saved plan's create fails: nothing is made
        env.setenv("ASSISTPLAN_MAX_RETRIES", "0")
        env.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "1")
        failed = p.run("apply", "r.plan")
        assert failed.code == 1 and "assistant.bot (create)" in failed.err, failed.err
    p.edit(*edit)
    p.ok("apply", "--auto-approve")
    assert "deposed" not in p.state()["resources"]["assistant.bot"]["extra"]
    plan = p.plan_json()
    assert [c["address"] for c in plan["resource_changes"] if c["actions"] != ["no-op"]] == []
    p.ok("apply", "--auto-approve")
    remote = Foundry(p.root)
    assert "hr-bot" in remote.agents() and remote.versions("hr-bot")[-1] == "1"
    assert p.run("plan", "--detailed-exitcode").code == 0

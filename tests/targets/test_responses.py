"""`target: responses` through the CLI on the embedded sandbox: definitions are planned and applied
into state (no API call), carry the real ids, validate as `CreateResponse`, and releases, the
guard and file retention work as on the other targets."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx2
import openai
import pytest

import assistplan
from assistplan.errors import NotPublishedError
from tests.e2e.conftest import Project, changes
from tests.targets.conftest import LEAVE_BALANCE, changed, output, write_config
from tests.targets.openapi import create_response_parameters, errors

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def definitions(p: Project) -> dict[str, dict]:
    """Every definition `output --json` publishes: working assistants and every version's."""
    doc = output(p)
    out = {f"assistant.{n}": e["definition"] for n, e in doc["assistants"].items()}
    for exp, e in doc["experiments"].items():
        for v in e["versions"]:
            for n, detail in v["assistants_detail"].items():
                out[f"assistant.{n}@{exp}.v{v['version']}"] = detail["definition"]
    return out


def test_definitions_are_applied_into_state_with_the_real_ids_and_validate(project):
    p = project
    first = p.plan_json()
    assert changes(first)["assistant.bot"] == ["create"]
    assert "(no API call)" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    ids = p.ids()
    assert list(p.sdk().beta.assistants.list()) == []  # nothing realised on the Assistants API
    defs = definitions(p)
    assert set(defs) == {"assistant.bot", "assistant.bot@pilot.v1"}
    for address, body in defs.items():
        assert errors(body) == [], address
        assert set(body) <= create_response_parameters()
    tools = {t["type"]: t for t in defs["assistant.bot"]["tools"]}
    assert tools["file_search"]["vector_store_ids"] == [ids["vector_store.docs"]]
    assert tools["code_interpreter"]["container"] == {"type": "auto", "file_ids": [ids["file.rates"]]}
    assert tools["function"] == LEAVE_BALANCE
    snapshot = {t["type"]: t for t in defs["assistant.bot@pilot.v1"]["tools"]}
    assert snapshot["file_search"]["vector_store_ids"] == [ids["vector_store.docs@pilot.v1"]]
    entry = output(p)["assistants"]["bot"]
    assert entry["id"] == ids["assistant.bot"] and entry["id"].startswith("def_")
    assert (entry["target"], entry["name"], entry["description"]) == (
        "responses",
        "HR Bot",
        "answers HR questions",
    )
    assert p.state()["resources"]["assistant.bot"]["extra"]["target"] == "responses"
    assert p.run("plan", "--detailed-exitcode").code == 0
    status = p.ok("status", "--json").json()
    assert {r["address"]: r["status"] for r in status["resources"]}["assistant.bot"] == "in_sync"


def test_an_instruction_edit_is_one_change_and_the_release_keeps_its_frozen_definition(project):
    p = project
    p.ok("apply", "--auto-approve")
    before = output(p)
    p.edit("You answer from the handbook.", "You answer from the handbook, briefly.")
    plan = p.plan_json()
    assert changed(plan) == {"assistant.bot": (["update"], "configuration_changed")}
    assert "assistant.bot will be updated in-place (no API call)" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    after = output(p)
    working, old = after["assistants"]["bot"], before["assistants"]["bot"]
    assert working["id"] == old["id"] and working["revision"] != old["revision"]
    assert working["definition"]["instructions"] == "You answer from the handbook, briefly."
    released = after["experiments"]["pilot"]["published"]
    assert released == before["experiments"]["pilot"]["published"]
    assert (
        released["assistants_detail"]["bot"]["definition"]["instructions"] == "You answer from the handbook."
    )
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_published_returns_the_released_definition_after_the_working_one_was_edited(project):
    p = project
    config = p.root / "assistants.yaml"
    with pytest.raises(NotPublishedError, match="nothing is applied yet"):
        assistplan.published("pilot", config=config)
    p.ok("apply", "--auto-approve")
    p.edit("You answer from the handbook.", "Answer in French.")
    p.ok("apply", "--auto-approve")
    release = assistplan.published("pilot", config=config)
    assert release["version"] == 1
    bot = release["assistants"]["bot"]
    assert bot["target"] == "responses" and bot["id"] == p.ids()["assistant.bot@pilot.v1"]
    assert bot["definition"]["instructions"] == "You answer from the handbook."
    assert output(p)["assistants"]["bot"]["definition"]["instructions"] == "Answer in French."
    with pytest.raises(NotPublishedError, match=r"experiment 'nope' is not applied \(applied: pilot\)"):
        assistplan.published("nope", config=config)
    p.edit("    published: 1\n", "")
    p.ok("apply", "--auto-approve")
    with pytest.raises(NotPublishedError, match="has no published version"):
        assistplan.published("pilot", config=config)


def test_published_is_read_without_importing_the_sdk(project):
    p = project
    p.ok("apply", "--auto-approve")
    code = (
        "import json, sys, assistplan\n"
        f"release = assistplan.published('pilot', config={str(p.config)!r})\n"
        "print(json.dumps({'sdk': 'openai' in sys.modules, 'version': release['version']}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"sdk": False, "version": 1}


def test_an_application_passes_the_definition_straight_to_responses_create(project):
    p = project
    p.ok("apply", "--auto-approve")
    bodies: list[dict] = []

    def respond(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(
            200,
            json={"id": "resp_1", "object": "response", "created_at": 0, "model": "gpt-4.1", "output": []},
        )

    client = openai.OpenAI(
        api_key="sk-test",
        base_url="http://responses.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(respond)),
    )
    bot = assistplan.published("pilot", config=p.config)["assistants"]["bot"]
    client.responses.create(**bot["definition"], input="How many days of leave do I have?")
    (sent,) = bodies
    assert sent == {**bot["definition"], "input": "How many days of leave do I have?"}
    assert errors(sent) == []


def test_removing_the_published_assistant_is_refused_naming_the_experiment(project):
    p = project
    p.ok("apply", "--auto-approve")
    text = p.config.read_text()
    start, end = text.index("assistants:\n"), text.index("experiments:\n")
    p.config.write_text(text[:start] + text[end:])
    r = p.run("plan", "--json")
    assert r.code == 1
    (blocked,) = r.json()["blocked"]
    assert blocked["address"] == "assistant.bot"
    assert {"address": "experiment.pilot", "version": "v1", "status": "published"} in blocked["consumers"][
        "experiments"
    ]
    assert "experiment.pilot" in p.run("plan").err


def test_destroy_removes_the_files_and_vector_stores(project):
    p = project
    p.ok("apply", "--auto-approve")
    sdk = p.sdk()
    assert len(list(sdk.files.list())) == 3 and len(list(sdk.vector_stores.list())) == 2
    p.edit("    published: 1\n", "")  # a published version cannot be archived (the guard)
    p.ok("apply", "--auto-approve")
    p.ok("destroy", "--auto-approve")
    assert list(sdk.files.list()) == [] and list(sdk.vector_stores.list()) == []
    assert p.state()["resources"] == {}


def test_a_file_the_published_store_still_holds_is_retained(project):
    p = project
    p.ok("apply", "--auto-approve")
    policy = p.ids()["file.policy"]
    p.edit("  policy: {path: policy.md}\n", "")
    p.edit("files: [handbook, policy]", "files: [handbook]")
    plan = p.plan_json()
    kept = next(c for c in plan["resource_changes"] if c["address"] == "file.policy")
    assert kept["actions"] == ["no-op"]
    assert kept["action_reason"] == "retained_because_in_use: vector_store.docs@pilot.v1"
    p.ok("apply", "--auto-approve")
    assert p.sdk().files.retrieve(policy).id == policy
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_what_a_superseded_definition_named_is_deposed_for_one_apply(project):
    p = project
    write_config(p.root, experiments="")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    # The code interpreter lets go of rates.csv, and the store is replaced (chunking changes).
    p.edit(
        "    tool_resources: {file_search: {vector_stores: [docs]}, code_interpreter: {files: [rates]}}",
        "    tool_resources: {file_search: {vector_stores: [docs]}}",
    )
    p.edit("      - {type: code_interpreter}\n", "")
    p.edit("  rates: {path: rates.csv}\n", "")
    p.edit(
        "docs: {name: Docs, files: [handbook, policy]}",
        "docs: {name: Docs, files: [handbook, policy], chunking_strategy: "
        "{type: static, static: {max_chunk_size_tokens: 400, chunk_overlap_tokens: 100}}}",
    )
    plan = p.plan_json()
    got = changed(plan)
    assert got["vector_store.docs"][0] == ["create", "delete"]
    assert got["vector_store.docs"][1].endswith(
        "; the old one stays (deposed) until the next apply: the applied definition of assistant.bot names it"
    )
    kept = next(c for c in plan["resource_changes"] if c["address"] == "file.rates")
    assert kept["action_reason"] == "deposed_because_named_by_definition: assistant.bot"
    assert "file.rates is deposed" in p.run("plan").out
    p.ok("apply", "--auto-approve")
    sdk = p.sdk()
    assert sdk.files.retrieve(old["file.rates"]).id == old["file.rates"]  # kept: applications hold copies
    assert sdk.vector_stores.retrieve(old["vector_store.docs"]).id == old["vector_store.docs"]
    tools = output(p)["assistants"]["bot"]["definition"]["tools"]
    assert tools[0]["vector_store_ids"] == [p.ids()["vector_store.docs"]] != [old["vector_store.docs"]]
    second = p.plan_json()
    assert changes(second) == {"file.rates": ["delete"], "vector_store.docs": ["delete"]}
    p.ok("apply", "--auto-approve")
    assert old["file.rates"] not in {f.id for f in sdk.files.list()}
    assert old["vector_store.docs"] not in {v.id for v in sdk.vector_stores.list()}
    assert p.run("plan", "--detailed-exitcode").code == 0


def test_a_store_deleted_behind_our_back_is_recreated_and_the_definition_repointed(project):
    p = project
    write_config(p.root, experiments="")
    p.ok("apply", "--auto-approve")
    old = p.ids()
    p.sdk().vector_stores.delete(old["vector_store.docs"])
    plan = p.plan_json()
    assert changed(plan) == {
        "vector_store.docs": (["create"], "recreate_because_deleted_outside_assistplan"),
        "assistant.bot": (["update"], "repoint_because_replaced: vector_store.docs"),
    }
    p.ok("apply", "--auto-approve")
    search = next(
        t for t in output(p)["assistants"]["bot"]["definition"]["tools"] if t["type"] == "file_search"
    )
    assert search["vector_store_ids"] == [p.ids()["vector_store.docs"]] != [old["vector_store.docs"]]
    assert p.ids()["assistant.bot"] == old["assistant.bot"]
    assert p.run("plan", "--detailed-exitcode").code == 0

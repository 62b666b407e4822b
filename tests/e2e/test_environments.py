"""Issue 16: environments (`--env`, overlays, one state each), through the CLI against the sandbox.

The project is examples/support-envs: `environments: [staging, prod]`, no staging overlay (staging
is the base), and a production overlay that renames, changes a model, removes a metadata key and
removes an assistant with `null`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import assistplan
from assistplan.errors import AssistplanError, NotPublishedError
from tests.e2e.conftest import Project, changes

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def env_state(p: Project, env: str) -> dict[str, Any]:
    return json.loads((p.root / ".assistplan" / "env" / env / "state.json").read_text())


def env_ids(p: Project, env: str) -> dict[str, str]:
    return {a: r["remote_id"] for a, r in env_state(p, env)["resources"].items() if r["remote_id"]}


def tree(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}


@pytest.fixture
def envs(make_project) -> Project:
    return make_project("support-envs")


def test_staging_and_production_each_converge_their_own_objects(envs: Project) -> None:
    first = envs.run("--env", "staging", "plan", "--detailed-exitcode")
    assert first.code == 2, first.err
    assert first.out.startswith("Environment: staging\n")
    assert "to destroy in environment staging." in first.out
    applied = envs.ok("--env", "staging", "apply", "--auto-approve")
    assert "Applying to environment staging:" in applied.out
    assert "destroyed in environment staging." in applied.out
    staged = env_ids(envs, "staging")
    assert set(staged) >= {"assistant.support-bot", "assistant.debugger", "assistant.triage-bot"}
    assert env_state(envs, "staging")["environment"] == "staging"

    # Production is planned from its own (empty) state: its own creates, overlay applied.
    prod = json.loads(envs.run("--env", "prod", "plan", "--json").out)
    assert prod["environment"] == "prod"
    assert {tuple(a) for a in changes(prod).values()} == {("create",)}
    assert "assistant.debugger" not in changes(prod)
    bot = next(c for c in prod["resource_changes"] if c["address"] == "assistant.support-bot")
    assert bot["after"]["name"] == "Support Bot" and bot["after"]["model"] == "gpt-4.1"
    assert bot["after"]["metadata"] == {"team": "support"}
    envs.ok("--env", "prod", "apply", "--auto-approve")
    produced = env_ids(envs, "prod")
    assert "assistant.debugger" not in produced
    assert not set(produced.values()) & set(staged.values())  # nothing shared, nothing adopted
    # The example targets the Responses API: what applications call is each environment's definition.
    published = {e: json.loads(envs.ok("--env", e, "output", "--json").out) for e in ("staging", "prod")}
    bots = {e: o["assistants"]["support-bot"] for e, o in published.items()}
    assert bots["prod"]["id"] == produced["assistant.support-bot"]
    assert (bots["prod"]["name"], bots["prod"]["definition"]["model"]) == ("Support Bot", "gpt-4.1")
    assert bots["prod"]["definition"]["metadata"] == {"team": "support"}
    assert bots["staging"]["id"] == staged["assistant.support-bot"]
    assert bots["staging"]["name"] == "Support Bot (staging)"
    assert bots["staging"]["definition"]["model"] == "gpt-4.1-mini"
    assert bots["staging"]["definition"]["metadata"]["debug"] == "verbose"
    # Each definition names its own environment's live vector store.
    sdk = envs.sdk()
    live_stores = {v.id for v in sdk.vector_stores.list()}
    for env, ids in (("staging", staged), ("prod", produced)):
        (search,) = bots[env]["definition"]["tools"]
        assert search["vector_store_ids"] == [ids["vector_store.support-docs"]]
        assert ids["vector_store.support-docs"] in live_stores

    # Each environment's second plan is a no-op; so is status.
    for env in ("staging", "prod"):
        again = envs.run("--env", env, "plan", "--detailed-exitcode")
        assert again.code == 0, again.out + again.err
        assert f"Your remote objects in environment {env} match the configuration." in again.out
        status = json.loads(envs.ok("--env", env, "status", "--json").out)
        assert status["environment"] == env
        objects = [r for r in status["resources"] if "versions" not in r]  # not experiments, pipelines
        assert {r["status"] for r in objects} == {"in_sync"}

    # Outputs differ per environment and name it.
    outs = {env: json.loads(envs.ok("--env", env, "output", "--json").out) for env in ("staging", "prod")}
    assert outs["staging"]["environment"] == "staging" and outs["prod"]["environment"] == "prod"
    assert outs["staging"]["assistants"]["support-bot"] != outs["prod"]["assistants"]["support-bot"]
    assert "debugger" in outs["staging"]["assistants"] and "debugger" not in outs["prod"]["assistants"]
    pinned = {e: o["experiments"]["triage-rollout"]["published"]["assistants"] for e, o in outs.items()}
    assert pinned["staging"] != pinned["prod"]
    assert envs.ok("--env", "prod", "output").out.startswith("# environment prod\n")

    # The default (no --env) is a third, separate state: it plans every create, and its output is empty.
    default = envs.plan_json()
    assert "environment" not in default
    assert {tuple(a) for a in changes(default).values()} == {("create",)}
    assert not (envs.root / ".assistplan" / "state.json").exists()
    assert json.loads(envs.ok("output", "--json").out)["assistants"] == {}

    # Destroying staging leaves production untouched.
    envs.ok("--env", "staging", "destroy", "--auto-approve")
    assert env_state(envs, "staging")["resources"] == {}
    left = {v.id for v in sdk.vector_stores.list()} | {f.id for f in sdk.files.list()}
    assert not left & set(staged.values())
    assert {i for a, i in produced.items() if not a.startswith("assistant.")} <= left
    assert envs.run("--env", "prod", "plan", "--detailed-exitcode").code == 0


def test_assistplan_env_works_like_the_option(envs: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTPLAN_ENV", "prod")
    envs.ok("apply", "--auto-approve")
    assert "assistant.debugger" not in env_state(envs, "prod")["resources"]
    assert not (envs.root / ".assistplan" / "state.json").exists()
    assert json.loads(envs.ok("output", "--json").out)["environment"] == "prod"
    assert envs.run("--env", "prod", "plan", "--detailed-exitcode").code == 0
    # The option wins over the variable.
    assert "Environment: staging" in envs.run("--env", "staging", "plan").out


def test_without_env_a_note_names_the_declared_environments(envs: Project) -> None:
    """Without --env nothing changes (the default state), but the user is told it is the
    default state, and which environments the config declares."""
    note = (
        "Note: assistants.yaml declares environments (staging, prod) and no --env was given: this "
        f"run uses the default state ({envs.root / '.assistplan' / 'state.json'}); select an "
        "environment with --env NAME\n"
    )
    for args in (("plan",), ("plan", "--json"), ("output",), ("status",)):
        r = envs.run(*args)
        assert r.code == 0 and r.err == note, (args, r.err)
    assert "Note:" not in envs.ok("--env", "staging", "plan").err
    assert "Note:" not in envs.ok("validate").err  # it lists the environments itself


def test_an_undeclared_environment_is_refused_before_anything_is_written(envs: Project) -> None:
    before = tree(envs.root)
    for command in (
        ["plan"],
        ["apply", "--auto-approve"],
        ["output"],
        ["status"],
        ["destroy", "--auto-approve"],
    ):
        r = envs.run("--env", "prd", *command)
        assert r.code == 1, r.out
        assert "unknown environment 'prd'; did you mean 'prod'?" in r.err, r.err
        assert r.out == ""
    as_json = envs.run("--env", "prd", "plan", "--json")
    assert as_json.json()["errored"] is True and "did you mean 'prod'" in as_json.json()["errors"][0]
    assert tree(envs.root) == before  # no state, no lock, no sandbox: nothing at all
    bad = envs.run("--env", "../prod", "plan")
    assert bad.code == 1 and "invalid environment name" in bad.err
    # A config that declares no environments refuses every name.
    (envs.root / "assistants.yaml").write_text(
        (envs.root / "assistants.yaml").read_text().replace("environments: [staging, prod]\n", "")
    )
    none = envs.run("--env", "prod", "plan")
    assert none.code == 1 and "declares no environments" in none.err
    assert tree(envs.root) == {**before, "assistants.yaml": (envs.root / "assistants.yaml").read_bytes()}


def test_overlay_errors_point_into_the_overlay_and_spare_other_environments(envs: Project) -> None:
    overlay = envs.root / "assistants.prod.yaml"
    overlay.write_text(
        "assistants:\n"
        "  support-bot:\n"
        "    modle: gpt-4.1\n"  # a typo: 3:5
        "  triage-bot:\n"
        "    temperature: hot\n"  # a wrong type: 5:18
        "  debuger: null\n"  # removes nothing: 6:3
    )
    r = envs.run("--env", "prod", "plan")
    assert r.code == 1
    assert (
        "assistants.prod.yaml:3:5: unknown key 'modle' in assistants.support-bot; did you mean 'model'?"
        in r.err
    )
    assert "assistants.prod.yaml:5:18: assistants.triage-bot.temperature: expected a number" in r.err
    assert "assistants.prod.yaml:6:3: assistants.debuger: null removes nothing" in r.err
    assert "did you mean 'debugger'?" in r.err
    assert "assistants.yaml:" not in r.err  # nothing is blamed on the base
    v = envs.run("--env", "prod", "validate")
    assert v.code == 1 and "assistants.prod.yaml:3:5:" in v.err
    # Without --env, every environment is validated, and named as the user named the config.
    every = envs.run("validate")
    assert every.code == 1
    assert every.err.startswith("assistants.prod.yaml:3:5:") or "\nassistants.prod.yaml:3:5:" in every.err
    assert str(envs.root) not in every.err
    # Staging (no overlay) and the default are unaffected.
    envs.ok("--env", "staging", "validate")
    envs.ok("--env", "staging", "apply", "--auto-approve")
    assert not (envs.root / ".assistplan" / "env" / "prod").exists()

    # An empty value is an error that names null, at the key.
    overlay.write_text("assistants:\n  debugger:\n")
    r = envs.run("--env", "prod", "plan")
    assert r.code == 1
    assert (
        "assistants.prod.yaml:2:3: assistants.debugger: empty value; write 'debugger: null' to remove it"
        in r.err
    )
    # A key the merged document does not allow is reported where the overlay wrote it.
    overlay.write_text("# production\nassistants:\n  newbie: {model: gpt-4.1, colour: blue}\n")
    r = envs.run("--env", "prod", "plan")
    assert r.code == 1 and "assistants.prod.yaml:3:28: unknown key 'colour'" in r.err
    # A removal that leaves a reference dangling says which overlay line removed it.
    overlay.write_text("assistants:\n  triage-bot: null\n")
    r = envs.run("--env", "prod", "validate")
    assert r.code == 1
    assert (
        "unknown assistant 'triage-bot' (the environment's overlay removes it at assistants.prod.yaml:2)"
        in r.err
    )


def test_the_plan_names_the_overlay_line_that_removed_something(envs: Project) -> None:
    overlay = envs.root / "assistants.prod.yaml"
    overlay.write_text("assistants:\n  support-bot: {model: gpt-4.1}\n")
    envs.ok("--env", "prod", "apply", "--auto-approve")
    overlay.write_text(
        "assistants:\n"
        "  support-bot:\n"
        "    model: gpt-4.1\n"
        "    metadata:\n"
        "      debug: null\n"  # 5:7
        "  debugger: null\n"  # 6:3
    )
    plan = json.loads(envs.run("--env", "prod", "plan", "--json").out)
    assert changes(plan) == {"assistant.support-bot": ["update"], "assistant.debugger": ["delete"]}
    reasons = {c["address"]: c["action_reason"] for c in plan["resource_changes"]}
    assert reasons["assistant.debugger"] == (
        "delete_because_no_resource_config; "
        "removed in this environment by assistants.prod.yaml:6 (assistants.debugger: null)"
    )
    assert reasons["assistant.support-bot"] == (
        "configuration_changed; removed in this environment by "
        "assistants.prod.yaml:5 (assistants.support-bot.metadata.debug: null)"
    )
    human = envs.run("--env", "prod", "plan").out.replace("\n  #   ", " ")  # comments wrap at 100 columns
    assert (
        "  # assistant.debugger will be destroyed (no API call)\n"
        "  # (no longer in the configuration; removed in this "
        "environment by assistants.prod.yaml:6 (assistants.debugger: null))"
    ) in human
    assert "(changed: metadata.debug; removed in this environment by assistants.prod.yaml:5" in human
    comment = envs.run("--env", "prod", "plan", "--markdown").out
    assert "removed in this environment by `assistants.prod.yaml:6 (assistants.debugger: null)`" in comment
    envs.ok("--env", "prod", "apply", "--auto-approve")
    assert "assistant.debugger" not in env_state(envs, "prod")["resources"]


def test_a_state_or_saved_plan_of_one_environment_is_refused_for_another(envs: Project) -> None:
    envs.ok("--env", "staging", "apply", "--auto-approve")
    # An overlay pointing production at staging's state file: refused, not adopted.
    (envs.root / "assistants.prod.yaml").write_text("state: {path: .assistplan/env/staging/state.json}\n")
    before = env_state(envs, "staging")
    r = envs.run("--env", "prod", "plan")
    assert r.code == 1 and "belongs to environment staging, not prod" in r.err
    assert envs.run("--env", "prod", "state", "list").code == 1
    # Without --env, an environment's state is refused too.
    (envs.root / "assistants.yaml").write_text(
        (envs.root / "assistants.yaml").read_text() + "state: {path: .assistplan/env/staging/state.json}\n"
    )
    r = envs.run("plan")
    assert r.code == 1 and "belongs to environment staging: select it with --env staging" in r.err
    assert env_state(envs, "staging") == before


def test_a_saved_plan_records_its_environment(envs: Project, tmp_path: Path) -> None:
    saved = tmp_path / "prod.plan"
    out = envs.ok("--env", "prod", "plan", "--out", str(saved)).out
    assert f"--env prod apply {saved}" in out  # the hint reaches the same environment
    assert json.loads(saved.read_text())["environment"] == "prod"
    for other in (["--env", "staging"], []):
        r = envs.run(*other, "apply", str(saved))
        assert r.code == 1 and "saved plan is for environment prod" in r.err, r.err
        assert "apply it with --env prod" in r.err
    assert not (envs.root / ".assistplan" / "env" / "staging" / "state.json").exists()
    shown = envs.ok("show", str(saved)).out
    assert shown.startswith("Environment: prod\n")
    envs.ok("--env", "prod", "apply", str(saved))
    assert env_state(envs, "prod")["serial"] > 0


def test_the_pull_request_comment_of_each_environment_is_its_own(envs: Project) -> None:
    md = {e: envs.run("--env", e, "plan", "--markdown").out for e in ("staging", "prod")}
    assert md["staging"].startswith("### assistplan · `staging` · **Plan:**")
    config = envs.root / "assistants.yaml"
    assert md["prod"].splitlines()[1] == f'<!-- assistplan-plan config="{config}" env="prod" -->'
    assert md["staging"].splitlines()[1] != md["prod"].splitlines()[1]
    assert "environment `prod`" in md["prod"].splitlines()[3]
    plain = envs.run("plan", "--markdown").out
    assert plain.splitlines()[1] == f'<!-- assistplan-plan config="{config}" -->'
    assert "`staging`" not in plain.splitlines()[0]


def test_promotion_warns_when_a_release_differs_from_another_environments(envs: Project) -> None:
    envs.ok("--env", "staging", "apply", "--auto-approve")
    staged = env_state(envs, "staging")["resources"]["experiment.triage-rollout@v1"]["attributes"]
    assert staged["digest"].startswith("sha256:")
    # Production freezes the same v1 (its own objects, other ids, another file id): no warning.
    same = json.loads(envs.run("--env", "prod", "plan", "--json").out)
    assert "warnings" not in same
    version = next(c for c in same["resource_changes"] if c["address"] == "experiment.triage-rollout@v1")
    assert version["after"]["digest"] == staged["digest"]
    # With another model for the released assistant, the plan warns and names both environments.
    overlay = envs.root / "assistants.prod.yaml"
    overlay.write_text(overlay.read_text() + "  triage-bot: {model: gpt-4.1}\n")
    plan = json.loads(envs.run("--env", "prod", "plan", "--json").out)
    (warning,) = plan["warnings"]
    assert warning.startswith(
        "experiment.triage-rollout@v1: prod freezes other content than staging froze as v1"
    )
    assert "assistant.triage-bot@triage-rollout.v1: model" in warning
    human = envs.run("--env", "prod", "plan")
    assert human.code == 0 and "Warning: experiment.triage-rollout@v1: prod freezes" in human.out
    assert (
        "> [!WARNING]\n> - experiment.triage-rollout@v1: prod freezes"
        in envs.run("--env", "prod", "plan", "--markdown").out
    )
    # A label (the name) is not content: renaming alone does not warn.
    overlay.write_text(overlay.read_text().replace("{model: gpt-4.1}", "{name: Triage}"))
    assert "warnings" not in json.loads(envs.run("--env", "prod", "plan", "--json").out)


def test_a_state_from_before_environments_is_adopted_by_the_environment_pointing_at_it(
    envs: Project, tmp_path: Path
) -> None:
    config = envs.root / "assistants.yaml"
    config.write_text(config.read_text().replace("environments: [staging, prod]\n", ""))
    envs.ok("apply", "--auto-approve")  # a team's state, from before it declared environments
    ids = envs.ids()
    declared = config.read_text().replace("version: 1\n", "version: 1\nenvironments: [staging, prod]\n")
    config.write_text(declared)
    overlay = envs.root / "assistants.prod.yaml"
    overlay.write_text("state: {path: .assistplan/state.json}\n")
    assert envs.run("--env", "prod", "plan", "--detailed-exitcode").code == 0  # the very same objects
    overlay.write_text(overlay.read_text() + "assistants: {triage-bot: {temperature: 0.5}}\n")
    envs.ok("--env", "prod", "apply", "--auto-approve")
    assert envs.state()["environment"] == "prod" and envs.ids() == ids  # bound at its next write
    r = envs.run("plan")
    assert r.code == 1 and "belongs to environment prod: select it with --env prod" in r.err
    # `state push` refuses a document of another environment, even with --force.
    pulled = tmp_path / "prod.json"
    pulled.write_text(envs.ok("--env", "prod", "state", "pull").out)
    for force in ([], ["--force"]):
        r = envs.run("--env", "staging", "state", "push", *force, str(pulled))
        assert r.code == 1 and "belongs to environment prod, not staging" in r.err
    assert not (envs.root / ".assistplan" / "env" / "staging" / "state.json").exists()


def test_an_empty_environment_beside_a_default_state_warns_and_says_how_to_adopt_it(envs: Project) -> None:
    config = envs.root / "assistants.yaml"
    config.write_text(config.read_text().replace("environments: [staging, prod]\n", ""))
    envs.ok("apply", "--auto-approve")  # a team's state, from before it declared environments
    managed = sum(1 for i in envs.ids().values() if i)
    config.write_text(
        config.read_text().replace("version: 1\n", "version: 1\nenvironments: [staging, prod]\n")
    )
    overlay = envs.root / "assistants.staging.yaml"  # staging has none yet: the advice creates it
    shown = envs.run("--env", "staging", "plan")
    assert shown.code == 0, shown.err
    text = " ".join(shown.out.split())
    assert (
        "Warning: environment staging has no state yet, but the default state (without --env: "
        f"{envs.root / '.assistplan' / 'state.json'}) manages {managed} object(s) on this endpoint"
    ) in text
    assert "add `state: {path: .assistplan/state.json}` to assistants.staging.yaml" in text
    warned = json.loads(envs.run("--env", "staging", "plan", "--json").out)["warnings"]
    assert len(warned) == 1 and "adopt that state instead" in warned[0]
    assert "adopt that state" in envs.run("--env", "staging", "plan", "--markdown").out
    # Following the advice adopts it: the very same objects, and nothing to warn about.
    overlay.write_text("state: {path: .assistplan/state.json}\n")
    adopted = envs.run("--env", "staging", "plan", "--json")
    assert adopted.code == 0 and "warnings" not in adopted.json() and changes(adopted.json()) == {}
    # An environment that has a state of its own is not told.
    envs.ok("--env", "prod", "apply", "--auto-approve")
    assert "warnings" not in json.loads(envs.run("--env", "prod", "plan", "--json").out)


def test_the_default_workspace_written_out_with_an_environment_is_an_error_saying_what_to_write(
    envs: Project,
) -> None:
    config = envs.root / "assistants.yaml"
    base = config.read_text().replace(
        "version: 1\n", "version: 1\nstate: {backend: postgres, workspace: default}\n"
    )
    config.write_text(base)
    for args in (["--env", "prod", "plan"], ["--env", "prod", "validate"], ["validate"]):
        r = envs.run(*args)
        assert r.code == 1, r.out
        said = "assistants.yaml:6:39: state.workspace: 'default' is the default workspace's name"
        assert f"{said}; with --env prod" in r.err
        assert "set state.workspace in assistants.prod.yaml" in " ".join(r.err.split())


def test_published_reads_the_state_of_the_environment(envs: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    config = envs.root / "assistants.yaml"
    for env in ("staging", "prod"):
        envs.ok("--env", env, "apply", "--auto-approve")
    ids = {env: env_ids(envs, env)["assistant.triage-bot@triage-rollout.v1"] for env in ("staging", "prod")}
    assert ids["staging"] != ids["prod"]
    for env in ("staging", "prod"):
        release = assistplan.published("triage-rollout", config=config, env=env)
        assert release["version"] == 1 and release["assistants"]["triage-bot"]["id"] == ids[env]
    with pytest.raises(NotPublishedError, match="nothing is applied yet"):
        assistplan.published("triage-rollout", config=config)  # the default state: never applied
    monkeypatch.setenv("ASSISTPLAN_ENV", "prod")
    assert (
        assistplan.published("triage-rollout", config=config)["assistants"]["triage-bot"]["id"] == ids["prod"]
    )
    with pytest.raises(AssistplanError, match="did you mean 'prod'"):
        assistplan.published("triage-rollout", config=config, env="prd")

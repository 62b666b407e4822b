"""Saved plans, stale-plan refusal, --json / --markdown, --target, --replace, output, locking."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import EXE, changes

# These tests call the deprecated assistants methods of the plain SDK on purpose (changes "behind our back").
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def test_saved_plan_applies_exactly_and_only_once(make_project):
    p = make_project("math-tutor")
    assert p.run("plan", "--out", "tfplan").code == 0
    assert (p.root / "tfplan").stat().st_mode & 0o777 == 0o600
    p.ok("apply", "tfplan")
    assert "assistant.math-tutor" in p.state()["resources"]
    again = p.run("apply", "tfplan")
    assert again.code == 1
    assert "saved plan is stale: it was made when no state existed, and state has been written" in again.err


def test_plan_made_on_empty_state_is_stale_once_state_exists(make_project):
    p = make_project("math-tutor")
    p.ok("plan", "--out", "first")
    p.ok("plan", "--out", "second")
    p.ok("apply", "first")
    r = p.run("apply", "second")
    assert r.code == 1 and "no state existed" in r.err
    sdk = p.sdk()
    assert len(list(sdk.beta.assistants.list())) == 1


def test_saved_plan_is_refused_after_the_config_changed(make_project):
    p = make_project("math-tutor")
    p.ok("apply", "--auto-approve")
    p.edit("Write and run code", "Write and run Python")
    p.ok("plan", "--out", "tfplan")
    p.edit("Write and run Python", "Write and run Julia")
    r = p.run("apply", "tfplan")
    assert r.code == 1 and "the configuration or a file it names changed" in r.err


def test_saved_plan_is_refused_after_a_referenced_file_changed(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    p.edit("temperature: 0.2", "temperature: 0.3")
    p.ok("plan", "--out", "tfplan")
    (p.root / "docs" / "handbook.md").write_text("# Handbook\n\nRewritten after the review.\n")
    r = p.run("apply", "tfplan")
    assert r.code == 1 and "a file it names changed" in r.err


def test_saved_plan_is_refused_after_another_apply(make_project):
    p = make_project("math-tutor")
    p.ok("apply", "--auto-approve")
    p.edit("Write and run code", "Write and run Python")
    p.ok("plan", "--out", "tfplan")
    p.ok("apply", "--auto-approve")
    r = p.run("apply", "tfplan")
    assert r.code == 1 and "saved plan is stale: made at state serial" in r.err, r.err


def test_plan_json_has_the_documented_shape(make_project):
    p = make_project("hr-bot")
    plan = p.plan_json()
    assert set(plan) >= {
        "format_version",
        "lineage",
        "serial",
        "applyable",
        "errored",
        "resource_changes",
        "resource_drift",
        "blocked",
        "summary",
    }
    assert plan["applyable"] is True and plan["errored"] is False
    assert plan["summary"] == {"create": 4, "update": 0, "replace": 0, "delete": 0, "archive": 0, "no-op": 0}
    c = plan["resource_changes"][0]
    assert set(c) == {
        "address",
        "type",
        "name",
        "remote_id",
        "actions",
        "action_reason",
        "before",
        "after",
        "changed_paths",
    }
    assert [c["address"] for c in plan["resource_changes"]] == [
        "file.handbook",
        "file.leave-policy",
        "vector_store.hr-docs",
        "assistant.hr-bot",
    ]


def test_markdown_plan_reads_as_a_pr_comment(make_project):
    p = make_project("hr-bot")
    r = p.run("plan", "--markdown")
    assert r.code == 0
    assert r.out.startswith("### assistplan · **Plan:**")
    assert "**Plan:** 4 to add, 0 to change, 0 to replace, 0 to destroy." in r.out
    assert "```diff" in r.out and "`assistant.hr-bot`" in r.out


def test_human_plan_uses_terraform_symbols(make_project):
    p = make_project("hr-bot")
    r = p.run("plan")
    assert '  + assistant "hr-bot" {' in r.out
    assert "Plan: 4 to add, 0 to change, 0 to replace, 0 to destroy." in r.out
    p.ok("apply", "--auto-approve")
    p.edit("temperature: 0.2", "temperature: 0.3")
    r = p.run("plan")
    assert '  ~ assistant "hr-bot" {' in r.out
    assert "~ temperature" in r.out and "0.2 -> 0.3" in r.out


def test_target_limits_the_plan_to_the_address_and_what_it_needs(make_project):
    p = make_project("travel-bot")
    plan = p.plan_json("--target", "vector_store.travel-guides")
    assert changes(plan) == {"file.destinations": ["create"], "vector_store.travel-guides": ["create"]}
    bad = p.run("plan", "--target", "assistant.nope")
    assert bad.code == 1 and "unknown address assistant.nope" in bad.err
    typo = p.run("plan", "--target", "vector_store.travel-guide", "--target", "pipeline.x")
    assert typo.err == (
        "Error: --target: unknown addresses vector_store.travel-guide (did you mean "
        "vector_store.travel-guides?), pipeline.x; known: assistant.travel-bot, file.destinations, "
        "file.fares, vector_store.travel-guides\n"
    )
    replace = p.run("plan", "--replace", "assistant.travel-bto")
    assert (
        "--replace: unknown address assistant.travel-bto (did you mean assistant.travel-bot?)" in replace.err
    )


def test_replace_and_target_refuse_what_they_cannot_take(make_project):
    p = make_project("hr-pilot")
    record = p.run("plan", "--replace", "experiment.hr-pilot")
    assert record.code == 1 and record.err.startswith(
        "Error: --replace: experiment.hr-pilot: experiments are records in state, with no remote "
        "object to replace; --replace takes files, vector stores and assistants (assistant.hr-bot, "
    )
    for flag in ("--target", "--replace"):
        empty = p.run("plan", flag, "")
        assert empty.code == 1 and empty.err.startswith(f"Error: {flag}: an empty address; give one such as")


def test_replace_forces_a_replacement(make_project):
    p = make_project("math-tutor")
    p.ok("apply", "--auto-approve")
    old = p.ids()["assistant.math-tutor"]
    plan = p.plan_json("--replace", "assistant.math-tutor")
    assert changes(plan) == {"assistant.math-tutor": ["create", "delete"]}
    p.ok("apply", "--auto-approve", "--replace", "assistant.math-tutor")
    new = p.ids()["assistant.math-tutor"]
    assert new != old
    assert [a.id for a in p.sdk().beta.assistants.list()] == [new]


def test_output_json_lists_remote_ids(make_project):
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    out = json.loads(p.ok("output", "--json").out)
    ids = p.ids()
    assert out["assistants"] == {"hr-bot": {"id": ids["assistant.hr-bot"], "target": "assistants"}}
    assert out["vector_stores"] == {"hr-docs": {"id": ids["vector_store.hr-docs"]}}
    assert set(out["files"]) == {"handbook", "leave-policy"}


def test_output_and_graph_read_state_alone_with_or_without_sandbox(make_project, monkeypatch):
    """They make no API call: like `assistplan.published`, they need no --sandbox and no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    for command in (("output", "--json"), ("output",), ("graph",), ("graph", "--format", "dot")):
        sandboxed = p.ok(*command)
        plain = p.run(*command, sandbox=False)
        assert plain.code == 0 and plain.err == "", plain.err
        assert plain.out == sandboxed.out
    assert json.loads(p.run("output", "--json", sandbox=False).out)["vector_stores"] == {
        "hr-docs": {"id": p.ids()["vector_store.hr-docs"]}
    }


def test_apply_without_a_terminal_refuses_to_guess(make_project):
    p = make_project("math-tutor")
    r = p.run("apply")
    assert r.code == 1 and "--auto-approve" in r.err
    assert not (p.root / ".assistplan" / "state.json").exists()


def test_state_file_is_private_and_bound_to_its_endpoint(make_project):
    p = make_project("math-tutor")
    p.ok("apply", "--auto-approve")
    path = p.root / ".assistplan" / "state.json"
    assert path.stat().st_mode & 0o777 == 0o600
    st = p.state()
    assert st["endpoint"] == "sandbox" and st["serial"] >= 1 and len(st["lineage"]) == 36
    r = p.run("--base-url", "http://127.0.0.1:9/v1", "plan", sandbox=False)
    assert r.code == 1 and "belongs to endpoint sandbox" in r.err


def test_a_held_lock_names_its_holder_and_can_be_forced(make_project):
    from assistplan.state import LocalBackend

    p = make_project("math-tutor")
    backend = LocalBackend(p.root / ".assistplan" / "state.json")
    lock = backend.lock("apply", 0)
    r = p.run("plan")
    assert r.code == 1 and f"locked by another run: ID {lock.id}, operation apply" in r.err
    p.ok("force-unlock", lock.id)
    p.ok("plan")


def test_retired_assistants_endpoint_is_one_clear_line(make_project, monkeypatch):
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_RETIRED", "assistants")
    p = make_project("math-tutor")
    r = p.run("plan")
    assert r.code == 1
    assert "no longer serves the Assistants API" in r.err and "provider: {target: responses}" in r.err
    assert len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize("example", ["math-tutor", "hr-bot"])
def test_a_wrong_base_url_is_not_taken_for_a_retired_api(make_project, monkeypatch, tmp_path, example):
    """A URL that is not the API's answers 404 everywhere; a retired Assistants API only on
    /assistants. The first is a wrong URL, said as such, whatever collection is listed first."""
    from tests.sandbox.helpers import loopback

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    p = make_project(example)
    with loopback(tmp_path / "server") as url:
        for wrong in (url.removesuffix("/v1"), url + "/openai"):
            r = p.run("--base-url", wrong, "plan", sandbox=False)
            assert r.code == 1
            assert "no longer serves the Assistants API" not in r.err
            assert f"Error: {wrong} does not serve the OpenAI API: it answers 404 (not found) on /" in r.err
            assert (
                "Check the base URL (it comes from --base-url): OpenAI's is https://api.openai.com/v1"
                in r.err
            )
        assert p.run("--base-url", url, "plan", sandbox=False).code == 0
        onboard = p.run(
            "--base-url", url + "/openai", "import", "--all", "--config-out", "all.yaml", sandbox=False
        )
        assert onboard.code == 1 and "does not serve the OpenAI API" in onboard.err, onboard.err


def test_lock_timeout_waits_for_the_holder(make_project):
    """While the lock is held, `--lock-timeout 0s` fails at once; a waiting plan says that it
    waits and for whom, and finishes once the holder lets go (released on that word, not on a
    timer racing the plan)."""
    from assistplan.state import LocalBackend

    p = make_project("math-tutor")
    backend = LocalBackend(p.root / ".assistplan" / "state.json")
    lock = backend.lock("apply", 0)
    r = p.run("plan", "--lock-timeout", "0s")
    assert r.code == 1 and f"force-unlock {lock.id}" in r.err
    argv = [str(EXE), "-C", str(p.root), "--sandbox", "--no-color", "plan", "--lock-timeout", "30s"]
    waiter = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = waiter.stderr.readline()  # blocks until the plan says something
        assert said.startswith(f"Waiting up to 30s for the state lock, held by another run: ID {lock.id}, ")
        backend.unlock(lock)
        out, err = waiter.communicate(timeout=120)
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()
    assert waiter.returncode == 0, said + err
    assert "Plan: 1 to add" in out, out
    bad = p.run("plan", "--lock-timeout", "soon")
    assert bad.code == 1 and "--lock-timeout" in bad.err


def test_real_endpoint_needs_the_key_from_the_environment(make_project, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    p = make_project("math-tutor")
    r = p.run("--base-url", "http://127.0.0.1:9/v1", "plan", sandbox=False)
    assert r.code == 1 and "OPENAI_API_KEY is not set" in r.err


def test_force_unlock_refuses_a_holder_that_is_still_running(make_project):
    p = make_project("math-tutor")
    state = p.root / ".assistplan" / "state.json"
    code = (
        "import sys, time\nfrom assistplan.state import LocalBackend\n"
        f"lock = LocalBackend({str(state)!r}).lock('apply', 0)\nprint(lock.id, flush=True)\ntime.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        lock_id = holder.stdout.readline().strip()
        r = p.run("force-unlock", lock_id)
        assert r.code == 1 and "still running" in r.err
        assert p.run("plan").code == 1  # still locked
    finally:
        holder.kill()
        holder.wait()
    p.ok("force-unlock", lock_id)  # dead now: allowed
    p.ok("plan")


def test_bad_sandbox_settings_are_a_clear_error(make_project, monkeypatch):
    monkeypatch.setenv("ASSISTPLAN_SANDBOX_ERROR_RATE", "abc")
    r = make_project("math-tutor").run("plan")
    assert r.code == 1 and "invalid sandbox setting" in r.err and "internal error" not in r.err


def test_a_saved_plan_says_which_deletes_only_forget(make_project):
    """Apply forgets rather than deletes where the plan says so in a field of its own (`forget`),
    never by reading its reason: a file referenced by id stays, a managed one is deleted."""
    p = make_project("hr-bot")
    p.ok("apply", "--auto-approve")
    theirs = p.sdk().files.create(file=("report.md", b"# Report\n"), purpose="assistants").id
    p.edit("files:\n", f"files:\n  report: {{id: {theirs}}}\n")
    p.edit("files: [handbook, leave-policy]", "files: [handbook, leave-policy, report]")
    p.ok("apply", "--auto-approve")
    assert p.ids()["file.report"] == theirs
    p.edit(f"  report: {{id: {theirs}}}\n", "")
    p.edit("files: [handbook, leave-policy, report]", "files: [handbook]")
    p.edit("  leave-policy: {path: docs/leave-policy.md}\n", "")
    p.ok("plan", "--out", "tfplan")
    saved = {c["address"]: c for c in json.loads((p.root / "tfplan").read_text())["changes"]}
    assert saved["file.report"]["forget"] is True and saved["file.leave-policy"]["forget"] is False
    leave = p.ids()["file.leave-policy"]
    p.ok("apply", "tfplan")
    remote = {f.id for f in p.sdk().files.list()}
    assert theirs in remote and leave not in remote

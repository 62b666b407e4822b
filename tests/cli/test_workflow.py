"""examples/ci/github-workflow.yml: actionlint passes, and its `run:` steps work against the sandbox.

Each step that calls assistplan runs here as GitHub runs it (`bash -eo pipefail`, the workflow,
job and step `env`, the matrix, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`), in a copy of an example
laid out as a checkout, with `assistplan` on PATH standing for `assistplan --sandbox`. The steps
that only talk to GitHub (checkout, pip, artifacts, gh) are simulated: the jobs' workspaces share
the example folder, as a shared state backend and the real API would, and each environment's plan
artifact is kept aside between its plan job and its apply job. The comment script runs under node
against a fake `github` when node is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "github-workflow.yml"
BIN = Path(sys.executable).parent


def load() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def test_workflow_passes_actionlint() -> None:
    exe = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    assert exe, "actionlint is a dev dependency (pip install -e '.[dev]')"
    r = subprocess.run([exe, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""


ENVIRONMENTS = ["staging", "prod"]
APPLY_JOBS = {"staging": "apply-staging", "prod": "apply-prod"}


def test_workflow_shape() -> None:
    doc = load()
    on = doc[True]  # YAML 1.1 reads the key `on` as true
    assert set(on) == {"pull_request", "push"} and on["push"]["branches"] == ["main"]
    assert doc["permissions"] == {"contents": "read"}
    assert set(doc["jobs"]) == {"plan", *APPLY_JOBS.values()}
    plan = doc["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["environment"] == ENVIRONMENTS
    assert plan["strategy"]["fail-fast"] is False
    assert plan["env"]["ASSISTPLAN_ENV"] == "${{ matrix.environment }}"
    assert plan["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert plan["concurrency"]["group"].endswith("-${{ matrix.environment }}")
    staging, prod = (doc["jobs"][APPLY_JOBS[e]] for e in ENVIRONMENTS)
    assert "needs" not in staging and prod["needs"] == "apply-staging"  # production after staging...
    assert (staging["environment"], prod["environment"]) == ("staging", "production")  # ...and approval
    for env, job in zip(ENVIRONMENTS, (staging, prod), strict=True):
        assert job["permissions"] == {
            "contents": "read",
            "id-token": "write",
            "actions": "read",
            "pull-requests": "read",
        }
        assert job["concurrency"] == {"group": f"assistplan-apply-{env}", "cancel-in-progress": False}
        assert job["env"]["ASSISTPLAN_ENV"] == env
        assert job["env"]["PLAN_ARTIFACT"] == f"assistplan-plan-{env}"
        assert [st.get("name") for st in job["steps"]] == [st.get("name") for st in staging["steps"]]
    for job in (plan, staging, prod):
        assert job["env"]["OPENAI_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
        # Azure (target foundry): an OIDC sign-in right after the install, when the repository has one.
        names = [st.get("name") for st in job["steps"]]
        login = job["steps"][names.index("Install assistplan") + 1]
        assert (login["name"], login["uses"], login["if"]) == (
            "Sign in to Azure",
            "azure/login@v3",
            "vars.AZURE_CLIENT_ID != ''",
        )
        assert login["with"] == {
            key: f"${{{{ vars.AZURE_{key.replace('-', '_').upper()} }}}}"
            for key in ("client-id", "tenant-id", "subscription-id")
        }
    assert "[azure]" in doc["env"]["ASSISTPLAN"]  # azure-identity signs in through that login


class Runner:
    """Runs a job's steps by name in `workspace`, as the runner would."""

    def __init__(self, workspace: Path, tmp: Path):
        self.workspace = workspace
        self.tmp = tmp
        self.doc = load()
        self.matrix_environment = ""
        shim = tmp / "bin"
        shim.mkdir(exist_ok=True)
        exe = shim / "assistplan"
        exe.write_text(f'#!/bin/sh\nexec "{BIN / "assistplan"}" --sandbox "$@"\n')
        exe.chmod(0o755)
        self.path = f"{shim}{os.pathsep}{os.environ['PATH']}"

    def expr(self, value: str) -> str:
        known = {
            "github.workspace": str(self.workspace),
            "secrets.OPENAI_API_KEY": "",
            "secrets.ASSISTPLAN_PG_DSN": "",
            "github.token": "",
            "matrix.environment": self.matrix_environment,
        }

        def sub(m: re.Match[str]) -> str:
            assert m.group(1) in known, f"the test does not know ${{{{ {m.group(1)} }}}}"
            return known[m.group(1)]

        return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", sub, str(value))

    def step(self, job: str, name: str) -> dict[str, Any]:
        for s in self.doc["jobs"][job]["steps"]:
            if s.get("name") == name:
                return s
        raise KeyError(name)

    def run(self, job: str, name: str, environment: str = "staging") -> tuple[int, str, dict[str, str]]:
        """Run step `name` of `job`; for the plan job, as its matrix entry for `environment`."""
        self.matrix_environment = environment if job == "plan" else ""
        j = self.doc["jobs"][job]
        step = self.step(job, name)
        env = {**self.doc.get("env", {}), **j.get("env", {}), **step.get("env", {})}
        out_file = self.tmp / "github_output"
        out_file.write_text("")
        (self.tmp / "step_summary.md").write_text("")  # each step has its own summary file
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTPLAN_", "GITHUB_"))
        }
        environ.update({k: self.expr(v) for k, v in env.items()})
        environ.update(
            PATH=self.path,
            GITHUB_OUTPUT=str(out_file),
            GITHUB_STEP_SUMMARY=str(self.tmp / "step_summary.md"),
            GITHUB_WORKSPACE=str(self.workspace),
            RUNNER_TEMP=str(self.tmp),
            NO_COLOR="1",
        )
        script = self.tmp / "step.sh"
        script.write_text(step["run"])
        shell = self.doc["defaults"]["run"]["shell"]
        assert shell == "bash"
        r = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
        assert "Traceback" not in r.stderr, r.stderr
        return r.returncode, r.stdout + r.stderr, outputs

    @property
    def plan_dir(self) -> Path:
        return Path(self.expr(self.doc["env"]["PLAN_DIR"]))

    def upload(self, environment: str) -> None:
        """What actions/upload-artifact keeps of the plan job of `environment`."""
        kept = self.tmp / "artifacts" / f"assistplan-plan-{environment}"
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        for f in self.plan_dir.glob("plan.*"):
            shutil.copy(f, kept)

    def download(self, environment: str) -> None:
        """What `gh run download` puts into the apply job's fresh PLAN_DIR."""
        shutil.rmtree(self.plan_dir, ignore_errors=True)
        shutil.copytree(self.tmp / "artifacts" / f"assistplan-plan-{environment}", self.plan_dir)

    @property
    def config_dir(self) -> Path:
        return self.workspace / self.doc["env"]["CONFIG_DIR"]


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    workspace = tmp_path / "checkout"
    r = Runner(workspace, tmp_path)
    rel = r.doc["env"]["CONFIG_DIR"]
    shutil.copytree(ROOT / rel, workspace / rel, ignore=shutil.ignore_patterns(".assistplan"))
    return r


def assistplan_lines(doc: dict[str, Any]) -> list[str]:
    return [
        line.strip()
        for job in doc["jobs"].values()
        for s in job["steps"]
        for line in str(s.get("run", "")).splitlines()
        if line.strip().startswith("assistplan ")
    ]


RUN_LOCALLY = {
    ("plan", "Validate"),
    ("plan", "Plan"),
    *((job, step) for job in APPLY_JOBS.values() for step in ("Apply", "Check main is fully applied")),
}


def test_every_assistplan_command_of_the_workflow_is_run_here() -> None:
    doc = load()
    lines = assistplan_lines(doc)
    assert len(lines) == 9, lines
    for job, j in doc["jobs"].items():
        for s in j["steps"]:
            if "assistplan " in str(s.get("run", "")).replace("pip install", ""):
                assert (job, s["name"]) in RUN_LOCALLY, s["name"]


def plan_environment(runner: Runner, env: str, exitcode: str = "2") -> str:
    """The plan job of `env` for a pull request; returns its comment."""
    rc, log, _ = runner.run("plan", "Validate", env)
    assert rc == 0, log
    validated = (runner.plan_dir / "validate.txt").read_text()
    assert f"The configuration of environment {env} is valid" in validated
    rc, log, out = runner.run("plan", "Plan", env)
    assert rc == 0 and out["exitcode"] == exitcode, log  # 0 and 2: a success for the PR
    md = (runner.plan_dir / "plan.md").read_text()
    assert (runner.tmp / "step_summary.md").read_text() == md
    if exitcode == "2":
        assert '+ assistant "support-bot" {' in log  # `show PLANFILE` in the log
        runner.upload(env)
    return md


def test_pull_request_plans_each_environment_then_merge_applies_them(runner: Runner) -> None:
    config = f"{runner.doc['env']['CONFIG_DIR']}/assistants.yaml"
    comments = {env: plan_environment(runner, env) for env in ENVIRONMENTS}
    for env, md in comments.items():
        assert md.startswith(f"### assistplan · `{env}` · **Plan:**")
        assert md.splitlines()[1] == f'<!-- assistplan-plan config="{config}" env="{env}" -->'
    assert "assistant.debugger" in comments["staging"] and "assistant.debugger" not in comments["prod"]
    # The merge: staging applies its artifact, then production applies its own.
    for env in ENVIRONMENTS:
        runner.download(env)
        rc, log, _ = runner.run(APPLY_JOBS[env], "Apply")
        assert rc == 0, log
        assert "Apply complete! Resources:" in log and f"in environment {env}." in log
        assert f"`{env}` · **Plan:**" in (runner.tmp / "step_summary.md").read_text()
        rc, log, _ = runner.run(APPLY_JOBS[env], "Check main is fully applied")
        assert rc == 0, log
    states = runner.config_dir / ".assistplan" / "env"
    assert sorted(p.name for p in states.iterdir()) == sorted(ENVIRONMENTS)
    # The next pull request changes nothing in either environment: exit 0, still a success.
    for env in ENVIRONMENTS:
        md = plan_environment(runner, env, exitcode="0")
        assert md.startswith(f"### assistplan · `{env}` · ✅ **No changes.**")


def test_a_stale_plan_is_refused_at_merge(runner: Runner) -> None:
    plan_environment(runner, "staging")
    subprocess.run(
        [
            runner.path.split(os.pathsep)[0] + "/assistplan",
            "-C",
            str(runner.config_dir),
            "--env",
            "staging",
            "apply",
            "--auto-approve",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    runner.download("staging")
    rc, log, _ = runner.run("apply-staging", "Apply")
    assert rc == 1
    assert "::error::the reviewed staging plan was not applied" in log
    assert "stale" in log.lower() or "changed since" in log.lower(), log


def test_a_plan_of_one_environment_is_refused_by_the_other(runner: Runner) -> None:
    plan_environment(runner, "prod")
    runner.download("prod")  # the production artifact, fetched by mistake into the staging job
    rc, log, _ = runner.run("apply-staging", "Apply")
    assert rc == 1 and "saved plan is for environment prod, not environment staging" in log, log
    assert not (runner.config_dir / ".assistplan" / "env" / "staging").exists()


def test_a_blocked_plan_fails_the_check_and_still_writes_the_comment(tmp_path: Path) -> None:
    r = Runner(tmp_path / "checkout", tmp_path)
    r.doc["env"]["CONFIG_DIR"] = "examples/hr-pilot"
    shutil.copytree(ROOT / "examples/hr-pilot", r.config_dir, ignore=shutil.ignore_patterns(".assistplan"))
    cfg = r.config_dir / "assistants.yaml"
    cfg.write_text(cfg.read_text().replace("version: 1\n", "version: 1\nenvironments: [staging, prod]\n"))
    rc, log, out = r.run("plan", "Plan")
    assert rc == 0 and out["exitcode"] == "2", log
    r.run("apply-staging", "Apply")
    text = cfg.read_text()
    start = text.index("  triage-bot:")
    cfg.write_text(text[:start] + text[text.index("pipelines:") :])  # triage-bot is still in use
    (r.plan_dir / "plan.bin").unlink()
    # validate is offline: it cannot tell a removal still in use from a typo, so it fails, and
    # the step goes on (continue-on-error) to the plan, which judges it with the state.
    rc, log, out = r.run("plan", "Validate")
    assert rc == 1 and "unknown assistant 'triage-bot'" in log
    assert r.step("plan", "Validate")["continue-on-error"] is True
    rc, log, out = r.run("plan", "Plan")
    assert rc == 1 and out["exitcode"] == "1", log
    assert "::error::assistplan plan failed" in log
    md = (r.plan_dir / "plan.md").read_text()
    assert "`staging` · ❌ **Plan blocked:**" in md and "`pipeline.triage`" in md and "```mermaid" in md
    assert not (r.plan_dir / "plan.bin").exists()


def test_an_invalid_config_fails_validate_and_plan(runner: Runner) -> None:
    (runner.config_dir / "assistants.yaml").write_text("version: 1\nassistants:\n  bot: {modle: gpt-4.1}\n")
    rc, log, _ = runner.run("plan", "Validate")
    assert rc == 1  # pipefail: `| tee` does not hide the failure
    assert "unknown key 'modle'" in (runner.plan_dir / "validate.txt").read_text()
    rc, log, out = runner.run("plan", "Plan")
    assert rc == 1 and out["exitcode"] == "1" and "unknown key 'modle'" in log
    assert (runner.plan_dir / "plan.md").read_text() == ""


# -- the comment script (actions/github-script), under node ---------------------------------------
NODE_HARNESS = r"""
const fs = require('fs');
const script = fs.readFileSync(process.argv[2], 'utf8');
const existing = JSON.parse(process.argv[3]);
const calls = [];
const github = {
  paginate: async (fn, args) => { calls.push(['list', args]); return existing; },
  rest: { issues: {
    listComments: 'listComments',
    updateComment: async (a) => { calls.push(['update', a]); },
    createComment: async (a) => { calls.push(['create', a]); },
  } },
};
const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 7 } };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', script)(require, github, context)
  .then(() => console.log(JSON.stringify(calls)))
  .catch((e) => { console.error(e); process.exit(1); });
"""


def run_comment_script(r: Runner, existing: list[dict[str, Any]]) -> list[Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    step = r.step("plan", "Post or update the plan comment")
    (r.tmp / "script.js").write_text(step["with"]["script"])
    (r.tmp / "harness.js").write_text(NODE_HARNESS)
    env = {
        **os.environ,
        "PLAN_DIR": str(r.plan_dir),
        "CONFIG_DIR": r.doc["env"]["CONFIG_DIR"],
        "ASSISTPLAN_ENV": r.matrix_environment,
    }
    p = subprocess.run(
        [node, str(r.tmp / "harness.js"), str(r.tmp / "script.js"), json.dumps(existing)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_the_comment_is_created_once_then_updated(runner: Runner) -> None:
    runner.run("plan", "Validate")
    runner.run("plan", "Plan")
    body = (runner.plan_dir / "plan.md").read_text()
    calls = run_comment_script(runner, [])
    assert calls[-1] == ["create", {"owner": "o", "repo": "r", "issue_number": 7, "body": body}]
    marker = body.splitlines()[1]
    assert marker.endswith(' env="staging" -->')
    production = marker.replace('env="staging"', 'env="prod"')
    old = [
        {"id": 1, "user": {"type": "User"}, "body": f"quoting: {marker}"},  # a person's: left alone
        {"id": 2, "user": {"type": "Bot"}, "body": f"production's plan\n{production}\n"},  # its own
        {"id": 3, "user": {"type": "Bot"}, "body": f"old plan\n{marker}\n"},
        {"id": 4, "user": {"type": "Bot"}, "body": '<!-- assistplan-plan config="other/assistants.yaml" -->'},
    ]
    calls = run_comment_script(runner, old)
    assert calls[-1] == ["update", {"owner": "o", "repo": "r", "comment_id": 3, "body": body}]


def test_an_invalid_config_still_gets_its_comment(runner: Runner) -> None:
    (runner.config_dir / "assistants.yaml").write_text("version: 1\nassistants:\n  bot: {modle: gpt-4.1}\n")
    runner.run("plan", "Validate")
    runner.run("plan", "Plan")
    calls = run_comment_script(runner, [])
    body = calls[-1][1]["body"]
    assert calls[-1][0] == "create" and "assistplan could not plan" in body
    assert "unknown key 'modle'" in body
    config = f"{runner.doc['env']['CONFIG_DIR']}/assistants.yaml"
    assert body.splitlines()[1] == f'<!-- assistplan-plan config="{config}" env="staging" -->'

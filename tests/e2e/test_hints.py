"""Hints keep the user's flags: a command we tell the user to run reaches the same config,
endpoint and state as the one they ran, and pasting it works."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from assistplan.cli.session import Options
from tests.e2e.conftest import copy_example, run_installed
from tests.sandbox.helpers import loopback

KEY = "sk-test-first-hour"


def _pasted(hint: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command exactly as printed, from where the user is."""
    words = shlex.split(hint)
    assert words[0] == "assistplan", hint
    return run_installed(*words[1:], cwd=cwd, env=env)


def _hint(output: str) -> str:
    """The command after "To apply exactly this plan, run:"."""
    lines = output.splitlines()
    i = next(i for i, line in enumerate(lines) if "To apply exactly this plan, run:" in line)
    return lines[i + 1].strip()


def _project(tmp_path: Path, config_name: str = "assistants.yaml") -> Path:
    root = copy_example("hr-bot", tmp_path / "my project")  # a space: the hint must quote it
    if config_name != "assistants.yaml":
        (root / "assistants.yaml").rename(root / config_name)
    return root


def test_plan_out_prints_the_apply_command_with_the_flags_used(tmp_path: Path) -> None:
    _project(tmp_path, "hr.yaml")
    r = run_installed(
        "-C", "my project", "-c", "hr.yaml", "--sandbox", "plan", "--out", "hr.plan", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    hint = _hint(r.stdout)
    assert hint == "assistplan -C 'my project' -c hr.yaml --sandbox apply hr.plan"
    applied = _pasted(hint, tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! Resources: 4 added" in applied.stdout


def test_plan_out_hint_names_the_base_url(tmp_path: Path) -> None:
    root = _project(tmp_path)
    key = {"OPENAI_API_KEY": KEY}
    with loopback(tmp_path / "server") as url:
        r = run_installed("--base-url", url, "plan", "--out", "out.plan", cwd=root, env=key)
        assert r.returncode == 0, r.stderr
        hint = _hint(r.stdout)
        assert hint == f"assistplan --base-url {url} apply out.plan"
        applied = _pasted(hint, root, key)
        assert applied.returncode == 0, applied.stderr


def test_hints_never_echo_a_password_put_in_the_base_url() -> None:
    opts = Options(base_url="https://me:hunter2@llm.example.com/v1")
    assert opts.command("apply", "x.plan") == "assistplan --base-url https://llm.example.com/v1 apply x.plan"


def test_state_of_another_endpoint_names_the_flag_that_selects_it(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert (
        run_installed("-C", "my project", "--sandbox", "apply", "--auto-approve", cwd=tmp_path).returncode
        == 0
    )
    # The first real plan after trying the sandbox: the state belongs to the sandbox.
    r = run_installed("-C", "my project", "plan", cwd=tmp_path, env={"OPENAI_API_KEY": KEY})
    assert r.returncode == 1
    assert "belongs to endpoint sandbox, not https://api.openai.com/v1" in r.stderr
    assert "this run's endpoint comes from the default (OpenAI)" in r.stderr
    assert "to use sandbox: `assistplan -C 'my project' --sandbox plan`" in r.stderr
    assert "To keep a separate state for https://api.openai.com/v1" in r.stderr
    with loopback(tmp_path / "server") as url:
        other = run_installed(
            "-C", "my project", "--base-url", url, "plan", cwd=tmp_path, env={"OPENAI_API_KEY": KEY}
        )
        assert other.returncode == 1 and "comes from --base-url" in other.stderr
        assert (
            f"To keep a separate state for {url}, declare an environment for it (`environments: [NAME]` "
            "in assistants.yaml) and run with --env NAME: each environment has a state of its own"
        ) in other.stderr
        # Doing so works, and the sandbox keeps its own state.
        config = root / "assistants.yaml"
        config.write_text(config.read_text().replace("version: 1\n", "version: 1\nenvironments: [live]\n"))
        live = run_installed(
            "--base-url", url, "--env", "live", "plan", cwd=root, env={"OPENAI_API_KEY": KEY}
        )
        assert live.returncode == 0, live.stderr
        again = run_installed("--base-url", url, "plan", cwd=root, env={"OPENAI_API_KEY": KEY})
        assert "run it as one of the config's environments (--env live)" in again.stderr
        config.write_text(config.read_text().replace("environments: [live]\n", ""))
        # The state of a served endpoint: the hint selects it with --base-url, and works.
        (root / ".assistplan" / "state.json").unlink()
        assert (
            run_installed(
                "--base-url", url, "apply", "--auto-approve", cwd=root, env={"OPENAI_API_KEY": KEY}
            ).returncode
            == 0
        )
        r = run_installed("--sandbox", "plan", cwd=root)
        assert r.returncode == 1
        hint = r.stderr.split("to use ", 1)[1].split("`")[1]
        assert hint == f"assistplan --base-url {url} plan"
        assert _pasted(hint, root, {"OPENAI_API_KEY": KEY}).returncode == 0


def test_saved_plan_for_another_endpoint_names_the_flag(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert run_installed("--sandbox", "plan", "--out", "p.plan", cwd=root).returncode == 0
    r = run_installed("apply", "p.plan", cwd=root, env={"OPENAI_API_KEY": KEY})
    assert r.returncode == 1
    assert "p.plan was planned for endpoint sandbox, not https://api.openai.com/v1" in r.stderr
    assert "`assistplan --sandbox apply p.plan`" in r.stderr


def test_apply_without_a_terminal_hints_with_the_flags_used(tmp_path: Path) -> None:
    _project(tmp_path)
    r = run_installed("-C", "my project", "--sandbox", "apply", cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert (
        "apply asks for confirmation, and there is no terminal to ask on: pass --auto-approve "
        "(assistplan -C 'my project' --sandbox apply --auto-approve), or save the plan and apply "
        "exactly it (assistplan -C 'my project' --sandbox plan --out FILE, then "
        "assistplan -C 'my project' --sandbox apply FILE)"
    ) in r.stderr
    assert (
        run_installed("-C", "my project", "--sandbox", "apply", "--auto-approve", cwd=tmp_path).returncode
        == 0
    )
    d = run_installed("-C", "my project", "--sandbox", "destroy", cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert d.returncode == 1
    assert (
        "destroy asks for confirmation, and there is no terminal to ask on: pass --auto-approve "
        "(assistplan -C 'my project' --sandbox destroy --auto-approve)"
    ) in d.stderr


def test_lock_and_stale_plan_hints_keep_the_flags_and_work_when_pasted(tmp_path: Path) -> None:
    root = _project(tmp_path, "hr.yaml")
    config = root / "hr.yaml"
    config.write_text(config.read_text().replace("version: 1\n", "version: 1\nenvironments: [dev]\n"))
    flags = ("-C", "my project", "-c", "hr.yaml", "--sandbox", "--env", "dev")
    shown = "assistplan -C 'my project' -c hr.yaml --sandbox --env dev"
    assert run_installed(*flags, "plan", "--out", "p.plan", cwd=tmp_path).returncode == 0
    assert run_installed(*flags, "apply", "--auto-approve", cwd=tmp_path).returncode == 0
    stale = run_installed(*flags, "apply", "p.plan", cwd=tmp_path)
    assert stale.returncode == 1
    assert f"make a new one: `{shown} plan --out p.plan`, then `{shown} apply p.plan`" in stale.stderr
    remade = _pasted(f"{shown} plan --out p.plan", tmp_path)
    assert remade.returncode == 0, remade.stderr
    assert _pasted(f"{shown} apply p.plan", tmp_path).returncode == 0

    state = next((root / ".assistplan").rglob("state.json"))
    code = (
        f"from assistplan.state import LocalBackend\nprint(LocalBackend({str(state)!r}).lock('apply', 0).id)"
    )
    lock_id = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    locked = run_installed(*flags, "plan", cwd=tmp_path)  # the holder died: force-unlock is safe
    assert locked.returncode == 1
    unlock = f"{shown} force-unlock {lock_id.strip()}"
    assert f"if no other run is using this state, run `{unlock}`" in locked.stderr
    assert _pasted(unlock, tmp_path).returncode == 0
    assert run_installed(*flags, "plan", cwd=tmp_path).returncode == 0

    unknown = run_installed(*flags, "state", "rm", "assistant.hr-bott", cwd=tmp_path)
    assert unknown.returncode == 1
    assert f"did you mean assistant.hr-bot? (see `{shown} state list`)" in unknown.stderr


def test_applying_a_config_as_a_plan_file_says_to_name_it_with_c(tmp_path: Path) -> None:
    _project(tmp_path)
    r = run_installed("-C", "my project", "--sandbox", "apply", "assistants.yaml", cwd=tmp_path)
    assert r.returncode == 1
    hint = "assistplan -C 'my project' --sandbox -c assistants.yaml apply"
    assert (
        "assistants.yaml looks like a config, not a saved plan: `apply FILE` takes a plan saved by "
        f"`plan --out FILE`. To apply this config, name it with -c: `{hint}`"
    ) in r.stderr
    assert _pasted(hint + " --auto-approve", tmp_path).returncode == 0


def test_global_options_after_the_command_are_shown_in_their_place(tmp_path: Path) -> None:
    _project(tmp_path)
    r = run_installed("-C", "my project", "plan", "--sandbox", "--out", "p.plan", cwd=tmp_path)
    assert r.returncode == 1
    fixed = "assistplan -C 'my project' --sandbox plan --out p.plan"
    assert r.stderr == f"Error: --sandbox is a global option: give it before the command: `{fixed}`\n"
    pasted = _pasted(fixed, tmp_path)
    assert pasted.returncode == 0, pasted.stderr
    two = run_installed("-C", "my project", "state", "list", "-c", "hr.yaml", "--env=dev", cwd=tmp_path)
    assert two.stderr == (
        "Error: -c, --env are global options: give them before the command: "
        "`assistplan -C 'my project' -c hr.yaml --env=dev state list`\n"
    )
    other = run_installed(
        "-C", "my project", "plan", "--nope", cwd=tmp_path
    )  # not a global option: click's words
    assert other.returncode == 1 and "No such option '--nope'" in other.stderr

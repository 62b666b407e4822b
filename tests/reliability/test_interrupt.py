"""Ctrl-C, the way Terraform takes it: during apply the first interrupt lets the steps under way
finish and saves them, the second stops at once (state whole, lock released); at the approval
prompt, Ctrl-C or the end of input cancels, with no traceback."""

from __future__ import annotations

import contextlib
import os
import pty
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.reliability import harness as h

FIRST = "Interrupt received, finishing the steps under way (press Ctrl-C again to stop now)…"
SHAPE = {"files": 2, "stores": 1, "assistants": 12}  # 6 writes upload the files, 1 makes the store


class Lines:
    """A process's stderr, read line by line in a thread, to wait for one without blocking for ever."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.seen: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        stream = proc.stderr
        self._reader = threading.Thread(
            target=lambda: [self._lines.put(line) for line in stream], daemon=True
        )
        self._reader.start()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        while not any(text in line for line in self.seen):
            self.seen.append(self._lines.get(timeout=timeout))

    def rest(self) -> str:
        """Everything said, up to the end of the stream (call it once the process has exited)."""
        self._reader.join(60)
        while not self._lines.empty():
            self.seen.append(self._lines.get())
        return "".join(self.seen)


@contextlib.contextmanager
def held_apply(root: Path, gate: h.Gate, url: str) -> Iterator[subprocess.Popen[str]]:
    """An apply of SHAPE held at its tenth write: the files are up, assistants are under way.
    Killed on leaving, if it still runs."""
    gate.stop_at(10)
    proc = h.start(root, "apply", "--auto-approve", "--parallelism", "2", base_url=url)
    try:
        assert gate.stopped.wait(120), "the apply never reached its tenth write"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_first_interrupt_finishes_the_steps_under_way_and_saves_them(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, **SHAPE)
    with h.gated_sandbox(tmp_path) as (gate, url), held_apply(tmp_path, gate, url) as proc:
        err = Lines(proc)
        proc.send_signal(signal.SIGINT)
        err.wait_for(FIRST)  # said before the held steps go on: no new step starts after it
        gate.release(drop=False)  # the steps under way finish
        assert proc.wait(120) == 130
        said = err.rest()
        assert "apply interrupted:" in said and "not started" in said and "Traceback" not in said
        resources = h.state(tmp_path)["resources"]
        assert not any(r["extra"].get("pending") for r in resources.values())  # every step under way finished
        made = {a["id"] for a in h.inventory(tmp_path)["assistants"]}
        recorded = {r["remote_id"] for a, r in resources.items() if a.startswith("assistant.")}
        assert made == recorded and 0 < len(made) < SHAPE["assistants"]  # it stopped part way
        again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)  # the lock was released
        assert again.returncode == 0, again.stdout + again.stderr
        h.assert_converged(tmp_path, counts, url)


def test_a_second_interrupt_stops_now_with_state_whole(tmp_path: Path) -> None:
    counts = h.generate(tmp_path, **SHAPE)
    with h.gated_sandbox(tmp_path) as (gate, url), held_apply(tmp_path, gate, url) as proc:
        err = Lines(proc)
        proc.send_signal(signal.SIGINT)
        err.wait_for(FIRST)
        proc.send_signal(signal.SIGINT)  # the steps under way are still held at the gate
        assert proc.wait(60) == 130
        assert "Second interrupt: stopping now." in err.rest()
        h.state(tmp_path)  # whole: it parses, journal and all
        gate.release(drop=True)  # what was held never happened
        plan = h.run(tmp_path, "plan", base_url=url)  # no lock left behind
        assert plan.returncode == 0, plan.stderr
        again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert again.returncode == 0, again.stdout + again.stderr
        h.assert_converged(tmp_path, counts, url)


def test_the_first_interrupt_starts_none_of_the_queued_independent_steps(tmp_path: Path) -> None:
    """Thirty assistants that need nothing: all ready at once, far more than --parallelism 2
    runs. Stopped at the third create, only the steps already under way may still finish."""
    counts = h.generate(tmp_path, files=0, stores=0, assistants=30)
    with h.gated_sandbox(tmp_path) as (gate, url):
        gate.stop_at(3)
        proc = h.start(tmp_path, "apply", "--auto-approve", "--parallelism", "2", base_url=url)
        try:
            err = Lines(proc)
            assert gate.stopped.wait(120), "the apply never reached its third create"
            proc.send_signal(signal.SIGINT)
            err.wait_for(FIRST)
            gate.release(drop=False)
            assert proc.wait(120) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        said = err.rest()
        made = {a["id"] for a in h.inventory(tmp_path)["assistants"]}
        recorded = {r["remote_id"] for r in h.state(tmp_path)["resources"].values()}
        # two creates done, at most 2 x 2 step threads under way (apply/executor.py)
        assert made == recorded and 3 <= len(made) <= 2 + 4, said
        assert f"{len(made)} done, {30 - len(made)} not started" in said, said
        again = h.run(tmp_path, "apply", "--auto-approve", base_url=url)
        assert again.returncode == 0, again.stdout + again.stderr
        h.assert_converged(tmp_path, counts, url)


READ = {"x86_64": 0, "aarch64": 63}  # the read(2) system call's number


def reading_the_terminal(pid: int) -> None:
    """Wait until the process is blocked reading its stdin. Input() writes the prompt and then
    reads; a Ctrl-C in between is only handled once the read returns (in CPython, as in a real
    terminal), so the test's Ctrl-C comes once the read is under way, as a user's would."""
    number = READ.get(os.uname().machine)
    while True:
        if number is None:  # another machine: sleeping is the best sign there is
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "S":
                return
        else:
            fields = Path(f"/proc/{pid}/syscall").read_text().split()
            if fields[:2] == [str(number), "0x0"]:
                return
        time.sleep(0.005)


def at_the_prompt(root: Path, answer: bytes | None) -> tuple[int, str]:
    """`apply` on a terminal, at its approval prompt given `answer` (None: Ctrl-C instead)."""
    h.generate(root, files=2, stores=1, assistants=1)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [h.EXE, "--no-color", "--sandbox", "apply"],
        cwd=root,
        env=h.env(),
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    os.close(follower)
    try:
        assert proc.stdout is not None
        shown = b""
        while b"Enter a value" not in shown:
            chunk = proc.stdout.read1(4096)  # type: ignore[attr-defined]
            assert chunk, shown.decode()
            shown += chunk
        if answer is None:
            reading_the_terminal(proc.pid)
            proc.send_signal(signal.SIGINT)
        else:
            os.write(leader, answer)
        rest, _ = proc.communicate(timeout=60)
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, (shown + rest).decode()


def test_ctrl_c_at_the_prompt_cancels(tmp_path: Path) -> None:
    code, out = at_the_prompt(tmp_path, None)
    assert code == 1 and "Apply cancelled." in out and "Traceback" not in out, out
    assert h.inventory(tmp_path)["assistants"] == []


def test_end_of_input_at_the_prompt_cancels(tmp_path: Path) -> None:
    code, out = at_the_prompt(tmp_path, b"\x04")  # Ctrl-D
    assert code == 1 and "Apply cancelled." in out and "Traceback" not in out, out
    assert h.inventory(tmp_path)["assistants"] == []

"""Apply progress: the live status line (forced, into a StringIO, and for real under a pty), the plain
log lines, upload byte counts that keep the upload streaming, and file-processing ticks."""

from __future__ import annotations

import dataclasses
import io
import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from assistplan.cli.progress import LiveProgress, PlainProgress, processing, transferred
from assistplan.cli.render import Printer
from assistplan.plan.model import CREATE, NO_OP, Plan, ResourceChange
from tests.e2e.conftest import EXE, Project, copy_example
from tests.sandbox.helpers import serve_process

pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def plan_of(*addresses: str) -> Plan:
    changes = [ResourceChange(a, a.split(".")[0], a.split(".")[1], CREATE) for a in addresses]
    changes.append(ResourceChange("file.same", "file", "same", NO_OP))
    return Plan("l", 1, True, "e", "d", changes=tuple(changes))


def test_live_mode_redraws_a_status_line_and_ends_with_a_summary() -> None:
    out, clock = io.StringIO(), Clock()
    p = Printer(color=True, live=True, out=out, clock=clock)
    with p.progress(plan_of("file.big", "vector_store.docs", "assistant.bot")) as event:
        event("file.big", "create", "")
        clock.now += 1.0
        event("file.big", "uploading", "50000000/200000000")
        event("file.big", "created", "1.0s [id=file-1]")
        event("vector_store.docs", "create", "")
        event("vector_store.docs", "waiting", "1 file(s) processing")
        event("vector_store.docs", "processing", "1/1")
        event("vector_store.docs", "created", "2.0s [id=vs_1]")
        clock.now += 2.0
        event("assistant.bot", "create", "")
        clock.now += 0.1
        event("assistant.bot", "created", "0.1s [id=asst_1]")
    text = out.getvalue()
    assert "\r[0/3] creating file.big · 0.0s" in text
    assert "file.big: uploading 50.0/200.0 MB (25%) · 1.0s" in text
    assert "vector_store.docs: waiting: 1 of 1 file still processing" in text
    assert "\r[2/3] creating assistant.bot · " in text
    assert "\x1b[K" in text  # each redraw clears the rest of the line
    # Finished steps stay as lines above the status line, as in the plain log (with colour).
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in text.split("\n")]
    assert any(line.endswith("assistant.bot: Creation complete after 0.1s [id=asst_1]") for line in lines)
    assert lines[-2].endswith("\r\x1b[KApplied 3/3 changes in 3.1s.")  # the status line cleared first
    assert text.endswith("\n")


def test_live_mode_on_failure_says_where_it_stopped() -> None:
    out, clock = io.StringIO(), Clock()
    p = Printer(color=False, live=True, out=out, clock=clock)
    with pytest.raises(RuntimeError):
        with p.progress(plan_of("file.a", "file.b")) as event:
            event("file.a", "create", "")
            clock.now += 75
            event("file.a", "created", "0.1s")
            event("file.b", "create", "")
            event("file.b", "failed", "")
            raise RuntimeError("boom")
    assert "file.b: Failed." in out.getvalue()
    assert out.getvalue().endswith("Stopped after 1/2 changes, 1 failed, in 1m15s.\n")


def test_the_progress_names_the_environment() -> None:
    env_plan = dataclasses.replace(plan_of("file.a"), environment="prod")
    out, clock = io.StringIO(), Clock()
    with Printer(color=False, live=True, out=out, clock=clock).progress(env_plan) as event:
        event("file.a", "create", "")
        clock.now += 2.5
        event("file.a", "created", "2.5s")
    assert "\r[prod 0/1] creating file.a · 0.0s" in out.getvalue()
    assert out.getvalue().endswith("Applied 1/1 changes to prod in 2.5s.\n")
    out = io.StringIO()
    with Printer(color=False, live=False, out=out).progress(env_plan) as event:
        event("file.a", "create", "")
    assert out.getvalue().splitlines() == ["Applying to environment prod:", "file.a: Creating..."]


def test_live_status_line_is_cut_to_the_terminal_and_ticks_are_throttled() -> None:
    out, clock = io.StringIO(), Clock()
    live = LiveProgress(out, 2, lambda a, p, d: f"{a}: {p}", clock=clock, columns=lambda: 40, heartbeat=None)
    live.event("vector_store.a-rather-long-name-indeed", "create", "")
    live.event("file.x", "create", "")
    for i in range(100):  # the same instant: only the first tick redraws
        live.event("file.x", "uploading", f"{i}/100")
    clock.now += 1
    live.event("file.x", "uploading", "100/100")
    live.finish(True)
    draws = [d for d in out.getvalue().split("\r") if d.startswith("[")]
    assert all(len(d.replace("\x1b[K", "")) <= 39 for d in draws)
    assert "(+1 more)" in draws[1]
    assert len([d for d in draws if "uploading" in d]) == 2


class Screen(io.StringIO):
    """Output that tells when `text` has been drawn `times` times."""

    def __init__(self, text: str, times: int) -> None:
        super().__init__()
        self.text, self.times = text, times
        self.drawn = threading.Event()

    def write(self, s: str) -> int:
        n = super().write(s)
        if self.getvalue().count(self.text) >= self.times:
            self.drawn.set()
        return n


def test_live_heartbeat_keeps_the_clock_moving() -> None:
    """With no event at all after the first, the heartbeat alone redraws the status line, its
    clock moving on: one draw from the event, then a draw per heartbeat."""
    clock = Clock()
    screen = Screen("creating assistant.slow", 3)
    live = LiveProgress(screen, 1, lambda a, p, d: a, clock=clock, heartbeat=0.01)
    live.event("assistant.slow", "create", "")
    clock.now += 7
    assert screen.drawn.wait(60)  # a limit for failing, never reached when the heartbeat works
    live.finish(True)
    assert "[0/1] creating assistant.slow · 7.0s" in screen.getvalue()


def test_plain_mode_prints_one_line_per_step_and_rare_ticks() -> None:
    lines: list[str] = []
    clock = Clock()
    plain = PlainProgress(lambda a, p, d: lines.append(f"{a} {p} {d}"), tick_every=30, clock=clock)
    plain.event("file.big", "create", "")
    for _ in range(1000):
        clock.now += 0.1
        plain.event("file.big", "uploading", "1/2")
    plain.event("file.big", "created", "100s")
    assert lines[0] == "file.big create " and lines[-1] == "file.big created 100s"
    assert len(lines) == 2 + 3  # 100 s of upload: a line every 30 s


def test_formats() -> None:
    assert transferred("bad") == "bad"
    assert processing("3/5") == "3 of 5 files still processing"
    text = Printer(color=False).event_text("file.big", "uploading", "1000000/4000000")
    assert text == "file.big: Still uploading 1.0/4.0 MB (25%)"


def test_real_apply_on_a_terminal_shows_the_status_line(tmp_path: Path) -> None:
    """The installed command under a pseudo-terminal: live mode is chosen by itself."""
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(TERM="xterm", COLUMNS="120")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(EXE), "--sandbox", "apply", "--auto-approve"], cwd=root, env=env, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(60) == 0
    os.close(master)
    text = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())
    assert re.search(r"\r\[\d/4\] creating ", text)
    assert "Applied 4/4 changes in" in text
    assert "Apply complete! Resources: 4 added" in text


def test_plain_apply_output_stays_line_per_step(tmp_path: Path) -> None:
    root = tmp_path / "hr-bot"
    copy_example("hr-bot", root)
    out = Project(root).ok("apply", "--auto-approve").out
    assert "\r" not in out and "\x1b" not in out
    assert "vector_store.hr-docs: Waiting: 2 file(s) processing..." in out
    assert re.search(r"file\.handbook: Creation complete after [\d.]+s \[id=file-\w+\]", out)


UPLOAD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    from assistplan.remote.api import connect
    from assistplan.remote.client import Endpoint

    url, path = sys.argv[1], Path(sys.argv[2])
    remote = connect(Endpoint("loopback", url))
    seen = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = lambda s, n: seen.append((s, n))  # noqa: E731
    obj = remote.upload_file(path, path.name, "assistants", "file.big", progress=report)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    mono = all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    print(obj["bytes"], before // 1024, peak // 1024, len(seen), seen[-1][0], seen[-1][1], mono)
    """
)


def test_a_200_mb_upload_reports_progress_and_keeps_memory_flat(tmp_path: Path) -> None:
    size = 200_000_000
    big = tmp_path / "big.bin"
    with big.open("wb") as fh:
        fh.truncate(size)  # sparse: cheap to make, still 200 MB to read and send
    proc, url = serve_process(tmp_path / "sandbox")
    try:
        env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
        r = subprocess.run(
            [sys.executable, "-c", UPLOAD, url, str(big)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    finally:
        proc.kill()
        proc.communicate()
    assert r.returncode == 0, r.stderr
    sent, before_mb, peak_mb, calls, last, total, mono = r.stdout.split()
    assert int(sent) == size and int(last) == int(total) == size and mono == "True"
    assert int(calls) > 1000  # one report per chunk httpx2 reads (64 KiB)
    assert int(peak_mb) - int(before_mb) < 32, r.stdout  # streamed: the file is never held in memory


def test_a_note_gets_a_line_of_its_own_and_the_step_stays_on_the_status_line() -> None:
    out = io.StringIO()
    p = Printer(color=False, live=True, out=out)
    with p.progress(plan_of("file.a")) as event:
        event("file.a", "create", "")
        event("file.a", "note", "kept file-1, made by the upload an interrupted apply began")
    text = out.getvalue()
    assert "\r\x1b[Kfile.a: Note: kept file-1, made by the upload an interrupted apply began.\n" in text
    assert "\r[0/1] creating file.a · " in text.split("Note:")[1]  # still running after its note
    plain = io.StringIO()
    with Printer(color=False, live=False, out=plain).progress(plan_of("file.a")) as event:
        event("file.a", "note", "deleted file-1")
    assert plain.getvalue() == "file.a: Note: deleted file-1.\n"


def test_refresh_progress_tells_a_large_refresh_at_once_and_a_slow_one_every_ten_seconds() -> None:
    from assistplan.cli.progress import RefreshProgress

    clock, lines = Clock(), []
    small = RefreshProgress(lines.append, "sandbox", clock=clock)
    small(0, 40)
    clock.now += 9.9
    small(30, 40)
    assert lines == []  # small and quick: nothing said
    clock.now += 0.1
    small(31, 40)
    assert lines == ["Still refreshing: 31 of 40 objects read [10.0s elapsed]"]
    small(32, 40)
    clock.now += 10
    small(33, 40)
    assert lines[1:] == ["Still refreshing: 33 of 40 objects read [20.0s elapsed]"]
    lines.clear()
    large = RefreshProgress(lines.append, "https://api.openai.com/v1", clock=clock)
    large(0, 10_000)
    large(100, 10_000)
    assert lines == ["Refreshing 10000 objects from https://api.openai.com/v1..."]

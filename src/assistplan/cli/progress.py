"""Apply progress. On a terminal: a status line redrawn in place (`[12/500] creating
assistant.a12 (+3 more) · 4.2s`), with upload bytes and "waiting for files to process" ticks, and
one line per finished step scrolling above it. Elsewhere (logs, CI, `--no-color`): plain lines,
one per step, with a long upload or wait reported every `tick_every` seconds.

Both take the executor's events `(address, phase, detail)` from any worker thread.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

START = {
    "create": "creating",
    "update": "modifying",
    "adopt": "adopting",
    "delete": "destroying",
    "delete_old": "destroying the replaced object of",
    "archive": "archiving",
}
FINISH = {"created", "updated", "adopted", "deleted", "archived"}  # a change is done
TICKS = {"uploading", "processing"}


UNITS = ((1e9, "GB"), (1e6, "MB"), (1e3, "KB"))


def transferred(detail: str) -> str:
    """'sent/size' in bytes -> '12.3/200.0 MB (6%)', in the unit that suits the size (at least KB)."""
    try:
        sent, size = (int(x) for x in detail.split("/", 1))
    except ValueError:
        return detail
    scale, unit = next(((s, u) for s, u in UNITS if size >= s), UNITS[-1])
    pct = f" ({100 * sent // size}%)" if size else ""
    return f"{sent / scale:.1f}/{size / scale:.1f} {unit}{pct}"


def processing(detail: str) -> str:
    """'in_progress/total' -> '3 of 5 files still processing'."""
    try:
        left, total = (int(x) for x in detail.split("/", 1))
    except ValueError:
        return detail
    return f"{left} of {total} file{'s' if total != 1 else ''} still processing"


def tick_text(phase: str, detail: str) -> str:
    return f"uploading {transferred(detail)}" if phase == "uploading" else f"waiting: {processing(detail)}"


def _elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class PlainProgress:
    """Line per step for logs; ticks of one address at most every `tick_every` seconds."""

    def __init__(
        self, line: Callable[[str, str, str], None], *, tick_every: float = 30.0, clock=time.monotonic
    ):
        self._line = line
        self._every = tick_every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def event(self, address: str, phase: str, detail: str) -> None:
        with self._lock:
            now = self._clock()
            if phase in TICKS:
                if now - self._last.setdefault(address, now) < self._every:
                    return
                self._last[address] = now
            elif phase in START:
                self._last[address] = now
            self._line(address, phase, detail)

    def finish(self, ok: bool) -> None:
        pass


class LiveProgress:
    """The status line. `finish` clears it and prints one summary line."""

    def __init__(
        self,
        out: TextIO,
        total: int,
        line: Callable[[str, str, str], str],
        *,
        clock=time.monotonic,
        columns: Callable[[], int] | None = None,
        redraw_every: float = 0.1,
        heartbeat: float | None = 1.0,
        label: str | None = None,
    ):
        self._out = out
        self._label = label  # the environment (`--env`), named on the status line and in the summary
        self._total = total
        self._text = line  # the permanent line for an event (as the plain log has it)
        self._clock = clock
        self._columns = columns or (lambda: shutil.get_terminal_size((100, 24)).columns)
        self._every = redraw_every
        self._started = clock()
        self._drawn = float("-inf")
        self._done = 0
        self._failed = 0
        self._running: dict[str, str] = {}  # address -> what it is doing, most recent last
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if heartbeat:  # keeps the clock on the status line moving through long single calls
            self._ticker = threading.Thread(target=self._beat, args=(heartbeat,), daemon=True)
            self._ticker.start()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            with self._lock:
                if self._running:
                    self._draw()

    def event(self, address: str, phase: str, detail: str) -> None:
        with self._lock:
            if phase in START:
                self._running.pop(address, None)
                self._running[address] = f"{START[phase]} {address}"
            elif phase in TICKS:
                was = self._running.pop(address, "")
                now = f"{address}: {tick_text(phase, detail)}"
                self._running[address] = now
                same_kind = was.split(" ", 2)[:2] == now.split(" ", 2)[:2]
                if same_kind and self._clock() - self._drawn < self._every:
                    return  # a tick like the one shown: redraw at most every `redraw_every` s
            elif phase == "waiting":
                self._running[address] = f"{address}: waiting for {detail}"
            elif phase == "note":  # something to know about a step still running: a line of its own
                self._write("\r\x1b[K" + self._text(address, phase, detail) + "\n")
            else:
                self._running.pop(address, None)
                if phase in FINISH:
                    self._done += 1
                elif phase == "failed":
                    self._failed += 1
                self._write("\r\x1b[K" + self._text(address, phase, detail) + "\n")
            self._draw()

    def note(self, text: str, err: TextIO | None = None) -> None:
        """A line on stderr (same terminal): the status line is cleared first and drawn again."""
        err = err or sys.stderr
        with self._lock:
            self._write("\r\x1b[K")
            err.write(text + "\n")
            err.flush()
            self._draw()

    def _status(self) -> str:
        head = f"[{self._label + ' ' if self._label else ''}{self._done}/{self._total}]"
        if self._running:
            doing = next(reversed(self._running.values()))
            more = len(self._running) - 1
            head += f" {doing}" + (f" (+{more} more)" if more else "")
        return f"{head} · {_elapsed(self._clock() - self._started)}"

    def _draw(self) -> None:
        width = max(20, self._columns() - 1)
        text = self._status()
        if len(text) > width:
            text = text[: width - 1] + "…"
        self._write("\r" + text + "\x1b[K")
        self._drawn = self._clock()

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    def finish(self, ok: bool) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            took = _elapsed(self._clock() - self._started)
            where = f" to {self._label}" if self._label else ""
            if ok:
                summary = f"Applied {self._done}/{self._total} changes{where} in {took}."
            else:
                failed = f", {self._failed} failed" if self._failed else ""
                summary = f"Stopped after {self._done}/{self._total} changes{where}{failed}, in {took}."
            self._write("\r\x1b[K" + summary + "\n")


class RefreshProgress:
    """The refresh of `plan` and `status`, told on stderr: a large one (`large` objects or more)
    at its start, and a slow one every `every` seconds, with how many objects are read. It is
    the Reader's `progress` (objects read, objects to read), called from any thread."""

    def __init__(
        self,
        line: Callable[[str], None],
        where: str,
        *,
        large: int = 500,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._line = line
        self._where = where
        self._large = large
        self._every = every
        self._clock = clock
        self._started: float | None = None
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, read: int, total: int) -> None:
        with self._lock:
            now = self._clock()
            if self._started is None:
                self._started = self._last = now
                if total >= self._large:
                    self._line(f"Refreshing {total} objects from {self._where}...")
                return
            if now - self._last < self._every:
                return
            self._last = now
            took = _elapsed(now - self._started)
            self._line(f"Still refreshing: {read} of {total} objects read [{took} elapsed]")

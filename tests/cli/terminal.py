"""The installed `assistplan` in a pseudo-terminal, as a person at a keyboard runs it.

`Terminal` starts the command with a pty as stdin, stdout and stderr (so prompts ask and the
live renderer draws), waits for text to appear, types answers, and collects everything shown.
Every wait has a deadline far above normal, so a hang fails the test instead of blocking it.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

from tests.e2e.conftest import EXE, no_bug_shown

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None, columns: int = 100):
        self._fd, child = pty.openpty()
        os.set_blocking(self._fd, False)
        env = {**os.environ, "TERM": "xterm", "COLUMNS": str(columns), **(env or {})}
        env.pop("NO_COLOR", None)
        self.proc = subprocess.Popen(
            [str(EXE), *args], cwd=cwd, env=env, stdin=child, stdout=child, stderr=child, close_fds=True
        )
        os.close(child)
        self.raw = ""

    @property
    def text(self) -> str:
        """What was shown, colours and cursor moves stripped (a redrawn line keeps its last text)."""
        lines = ANSI.sub("", self.raw).replace("\r\n", "\n").split("\n")
        return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self._fd, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.raw += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def expect(self, text: str, deadline: float = 60.0) -> None:
        """Wait until `text` has been shown."""
        end = time.monotonic() + deadline
        while text not in self.text:
            if time.monotonic() > end or (not self._read(0.2) and self.proc.poll() is not None):
                if text in self.text:
                    return
                raise AssertionError(f"{text!r} not shown; the terminal shows:\n{self.text}")

    def type(self, line: str) -> None:
        os.write(self._fd, (line + "\n").encode())

    def wait(self, deadline: float = 120.0) -> int:
        """The exit code, once the command ended and everything it printed was read."""
        end = time.monotonic() + deadline
        while self.proc.poll() is None and time.monotonic() < end:
            self._read(0.2)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"still running after {deadline} s; the terminal shows:\n{self.text}")
        while self._read(0.05):
            pass
        os.close(self._fd)
        no_bug_shown(self.text)
        return self.proc.returncode

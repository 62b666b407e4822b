"""The error tree. The CLI maps each to a message and exit 1; none should surface as a traceback.

- AssistplanError
  - ConfigError            config does not load or validate (carries FILE:LINE:COL diagnostics)
  - PlanError              the plan cannot be made or is refused
    - StalePlanError       a saved plan no longer matches state or config
  - StateError             state cannot be read or written
    - LockError            the state lock is held by someone else
  - RemoteError            the API refused or failed a request (names resource + API message)
    - EndpointRetiredError the endpoint no longer serves the Assistants API
    - AnswerLost           a create was sent and its answer lost: it may have been carried out
  - ApplyError             apply stopped part way; the partial state was saved
    - Interrupted          Ctrl-C: the steps under way finished and were saved (exit 130)
  - NotPublishedError      `assistplan.published`: the experiment has no published version
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistplan.apply.executor import ApplyResult

CommandLine = Callable[..., str]  # ARGS -> the command line a user pastes (`assistplan ... ARGS`)


def plain_command(*args: str) -> str:
    """`assistplan ARGS` without global options: a hint's words when no CLI run is known."""
    return shlex.join(["assistplan", *args])


@dataclass(frozen=True)
class Command:
    """A command a message tells the user to run. Layers below the CLI do not know the user's
    global options (`-C`, `-c`, `--sandbox`, `--base-url`, `--env`); the CLI adds them."""

    args: tuple[str, ...]

    def __str__(self) -> str:
        return plain_command(*self.args)


def command(*args: str) -> Command:
    return Command(args)


class Message(str):
    """Text that names commands (`Message("run `", command("plan"), "` again")`). It is a plain
    string wherever a string goes (JSON, plan files: `assistplan ARGS`); the CLI prints it with
    `render`: each command with the global options the user gave, ready to paste."""

    parts: tuple[str | Command, ...]

    def __new__(cls, *parts: str | Command) -> Message:
        flat: list[str | Command] = []
        for p in parts:
            flat += p.parts if isinstance(p, Message) else [p]
        self = super().__new__(cls, "".join(str(p) for p in flat))
        self.parts = tuple(flat)
        return self

    def render(self, line: CommandLine = plain_command) -> str:
        return "".join(p if isinstance(p, str) else line(*p.args) for p in self.parts)


def rendered(text: str, line: CommandLine) -> str:
    """`text` with the commands it names written by `line` (plain text stays as it is)."""
    return text.render(line) if isinstance(text, Message) else text


class AssistplanError(Exception):
    """Base of every error the CLI reports without a traceback. Its message may name commands
    (`Message`); the CLI prints them with the user's global options (`render`)."""

    def __init__(self, *parts: str | Command) -> None:
        self.message = Message(*parts)
        super().__init__(str(self.message))

    def render(self, line: CommandLine = plain_command) -> str:
        return self.message.render(line)


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a config file, at a 1-based line and column (0: the file as a whole)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        if not self.line:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ConfigError(AssistplanError):
    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.col))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class PlanError(AssistplanError):
    pass


class StalePlanError(PlanError):
    pass


class StateError(AssistplanError):
    pass


class LockError(StateError):
    pass


class RemoteError(AssistplanError):
    pass


class EndpointRetiredError(RemoteError):
    pass


class AnswerLost(RemoteError):
    """A request that makes an object was sent once and its answer never came (the connection
    broke, or it timed out) or was an error a gateway gives after the create may have been carried
    out (`status`: a 5xx, 408 or 409): the object may exist. It is not sent again as it stands;
    the caller settles it by the marker the object carries."""

    def __init__(self, *parts: str | Command, status: int | None = None) -> None:
        super().__init__(*parts)
        self.status = status


class ApplyError(AssistplanError):
    """`result`: what the apply did before it stopped, when it got as far as running steps (its
    state holds every completed step, as saved), so a caller can report or keep it."""

    def __init__(self, *parts: str | Command, result: ApplyResult | None = None) -> None:
        super().__init__(*parts)
        self.result = result


class Interrupted(ApplyError):
    pass


class NotPublishedError(AssistplanError, LookupError):
    pass

"""The error tree. The CLI maps each to a message and exit 1; none should surface as a traceback.

- AssistplanError
  - ConfigError            config does not load or validate (carries FILE:LINE:COL diagnostics)
  - PlanError              the plan cannot be made or is refused
    - StalePlanError       a saved plan no longer matches state or config
  - StateError             state cannot be read or written
    - LockError            the state lock is held by someone else
  - RemoteError            the API refused or failed a request (names resource + API message)
    - EndpointRetiredError the endpoint no longer serves the Assistants API
  - ApplyError             apply stopped part way; the partial state was saved
  - NotPublishedError      `assistplan.published`: the experiment has no published version
"""

from __future__ import annotations

from dataclasses import dataclass


class AssistplanError(Exception):
    """Base of every error the CLI reports without a traceback."""


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


class ApplyError(AssistplanError):
    pass


class NotPublishedError(AssistplanError, LookupError):
    pass

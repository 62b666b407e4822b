"""Resource addresses: `kind.name`, snapshots `kind.name@experiment.vN`, versions `experiment.name@vN`."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every kind, with the config section declaring it, which is also the Config attribute holding
# them and, for the remote kinds, the API's collection (the config is named after the API).
SECTIONS = {
    "file": "files",
    "vector_store": "vector_stores",
    "assistant": "assistants",
    "pipeline": "pipelines",
    "experiment": "experiments",
}
REMOTE_KINDS = ("file", "vector_store", "assistant")  # objects in the API; the others live in state only
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ADDR_RE = re.compile(
    rf"^(?P<kind>{'|'.join(SECTIONS)})\.(?P<name>[a-z0-9][a-z0-9_-]{{0,63}})"
    r"(?:@(?:(?P<exp>[a-z0-9][a-z0-9_-]{0,63})\.)?v(?P<ver>[0-9]+))?$"
)


def noun(kind: str) -> str:
    """A kind in words ("vector store")."""
    return kind.replace("_", " ")


@dataclass(frozen=True, order=True)
class Address:
    """A resource address. `experiment`/`version` are set for release snapshots and versions."""

    kind: str
    name: str
    experiment: str | None = None
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> Address:
        m = _ADDR_RE.match(text)
        if not m:
            raise ValueError(f"invalid address {text!r} (expected e.g. assistant.NAME)")
        ver = m.group("ver")
        return cls(m.group("kind"), m.group("name"), m.group("exp"), int(ver) if ver else None)

    @property
    def is_snapshot(self) -> bool:
        return self.experiment is not None

    @property
    def base(self) -> Address:
        """The working (non-snapshot) address this one belongs to."""
        return Address(self.kind, self.name)

    def __str__(self) -> str:
        text = f"{self.kind}.{self.name}"
        if self.experiment is not None:
            return f"{text}@{self.experiment}.v{self.version}"
        if self.version is not None:
            return f"{text}@v{self.version}"
        return text


def frozen(address: str) -> bool:
    """A release snapshot's remote object (`assistant.A@E.vN`, `vector_store.V@E.vN`): what it must
    be is recorded in state and nowhere else (its release froze it), never taken from the remote."""
    return "@" in address and address.split(".", 1)[0] in REMOTE_KINDS

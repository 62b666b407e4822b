"""assistplan: Terraform for OpenAI assistants.

For applications: `assistplan.published(experiment, config=...)` returns the published
version's assistants (see `assistplan.applications`); importing this package stays cheap.
"""

from __future__ import annotations

import os
from typing import Any

__version__ = "0.1.0"


def published(
    experiment: str, *, config: str | os.PathLike[str] = "assistants.yaml", env: str | None = None
) -> dict[str, Any]:
    """`{"version": N, "assistants": {NAME: {"target", "id", "definition" | "agent"}}}` of the
    experiment's published version, read from the state the config names (no lock, no API
    call). Raises `assistplan.errors.NotPublishedError` when nothing is published."""
    from assistplan.applications import published as read

    return read(experiment, config=config, env=env)

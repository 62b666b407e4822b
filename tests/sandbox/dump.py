"""Everything a sandbox holds, read through its public API (runnable: ``python dump.py DATA_DIR``).

Standalone on purpose (no test imports), so a fresh process can run it after a restart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx2

HEADERS = {"Authorization": "Bearer sk-dump", "OpenAI-Beta": "assistants=v2"}


def _all(client: httpx2.Client, path: str, limit: int = 100) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": limit, "order": "asc", **({"after": after} if after else {})}
        body = client.get(path, params=params, headers=HEADERS).raise_for_status().json()
        items += body["data"]
        if not body["has_more"]:
            return items
        after = body["last_id"]


def dump(client: httpx2.Client) -> dict[str, Any]:
    """Assistants, files with their bytes, vector stores with their attached files."""
    files = _all(client, "/v1/files", 10_000)
    contents = {
        f["id"]: client.get(f"/v1/files/{f['id']}/content", headers=HEADERS).content.hex() for f in files
    }
    stores = _all(client, "/v1/vector_stores")
    return {
        "assistants": _all(client, "/v1/assistants"),
        "files": files,
        "contents": contents,
        "vector_stores": stores,
        "vector_store_files": {
            vs["id"]: _all(client, f"/v1/vector_stores/{vs['id']}/files") for vs in stores
        },
    }


if __name__ == "__main__":
    from assistplan.sandbox import http_client

    with http_client(Path(sys.argv[1])) as sandbox:
        print(json.dumps(dump(sandbox), sort_keys=True))

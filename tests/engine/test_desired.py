"""The desired graph's file hashes: a streamed sha256 and size, whatever the file's size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistplan.config import load_config
from assistplan.plan.desired import BIG_FILE, CHUNK, build_desired, sha256_file


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7])
def test_sha256_file_matches_hashlib_at_chunk_boundaries(tmp_path: Path, size: int) -> None:
    data = bytes(i * 7 % 251 for i in range(size))
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path) == (hashlib.sha256(data).hexdigest(), size)


@pytest.mark.parametrize("big", [0, 1, 3], ids=["small files", "one big", "three big"])
def test_build_desired_hashes_every_local_file(tmp_path: Path, big: int) -> None:
    """Small files are hashed in this thread, big ones (BIG_FILE and more) by threads meanwhile."""
    contents = {f"f{i}": f"document {i}\n".encode() * (i + 1) for i in range(12)}
    for i in range(big):  # among the small ones, in the middle of the config
        contents[f"f{i * 4}"] = bytes([i]) * BIG_FILE + b"tail"
    for name, data in contents.items():
        (tmp_path / f"{name}.txt").write_bytes(data)
    files = "".join(f"  {name}: {{path: {name}.txt}}\n" for name in contents)
    (tmp_path / "assistants.yaml").write_text(f"version: 1\nfiles:\n{files}  ext: {{id: file-abc}}\n")
    desired = build_desired(load_config(tmp_path / "assistants.yaml"), parallelism=4)
    for name, data in contents.items():
        attrs = desired[f"file.{name}"].attrs
        assert (attrs["sha256"], attrs["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert desired["file.ext"].external and desired["file.ext"].attrs == {"id": "file-abc"}
    assert [a for a in desired if a.startswith("file.")] == [f"file.{n}" for n in contents] + ["file.ext"]

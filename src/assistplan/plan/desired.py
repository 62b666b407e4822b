"""Config -> the desired graph: one node per managed address, attributes in address space."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistplan.config.model import Config
from assistplan.remote import normalize as norm

CHUNK = 1 << 20


@dataclass(frozen=True)
class Desired:
    """What the config wants at `address`. `refs` are the addresses it points at."""

    address: str
    type: str
    name: str
    attrs: dict[str, Any]
    refs: tuple[str, ...]
    prevent_destroy: bool
    external: bool = False  # a file declared by id: referenced, never uploaded or deleted


def sha256_file(path: Path | str) -> tuple[str, int]:
    """Streaming sha256 and size: constant memory whatever the file's size. Unbuffered reads
    into the hash: a small file costs an open, two reads and a close."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunk = os.read(fd, CHUNK)
        h = hashlib.sha256(chunk)
        size = len(chunk)
        while chunk:
            chunk = os.read(fd, CHUNK)
            h.update(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return h.hexdigest(), size


BIG_FILE = 1 << 20  # hashing this much releases the GIL long enough for threads to pay off


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # hashed like a small one, which reports the error as before


def _hash_files(paths: dict[str, Path], workers: int) -> dict[str, tuple[str, int]]:
    """sha256 and size of each file. Big files go to `workers` threads (their reads and hashing
    release the GIL); small ones are hashed here meanwhile, one after another: for them a
    thread's hand-offs would cost more than the hashing (5,000 small files: a third more CPU)."""
    big = {name: path for name, path in paths.items() if workers > 1 and _size(path) >= BIG_FILE}
    if not big:
        return {name: sha256_file(path) for name, path in paths.items()}
    with ThreadPoolExecutor(max_workers=min(workers, len(big))) as pool:
        pending = {name: pool.submit(sha256_file, path) for name, path in big.items()}
        out = {name: sha256_file(path) for name, path in paths.items() if name not in big}
        out.update((name, future.result()) for name, future in pending.items())
    return {name: out[name] for name in paths}


def build_desired(config: Config, parallelism: int = 8) -> dict[str, Desired]:
    """Every managed address the config declares, in dependency order (files, stores, assistants)."""
    local = {f.name: f.path for f in config.files.values() if f.path is not None}
    hashes = _hash_files(local, max(1, min(parallelism, 8)))
    out: dict[str, Desired] = {}
    for f in config.files.values():
        sha, size = hashes.get(f.name, (None, None))
        attrs = norm.file_desired(f, sha, size)
        out[f"file.{f.name}"] = Desired(
            f"file.{f.name}", "file", f.name, attrs, (), f.prevent_destroy, f.external
        )
    for vs in config.vector_stores.values():
        attrs = norm.vector_store_desired(vs)
        addr = f"vector_store.{vs.name}"
        out[addr] = Desired(
            addr,
            "vector_store",
            vs.name,
            attrs,
            tuple(norm.refs_of("vector_store", attrs)),
            vs.prevent_destroy,
        )
    for a in config.assistants.values():
        attrs = norm.assistant_desired(a)
        addr = f"assistant.{a.name}"
        out[addr] = Desired(
            addr, "assistant", a.name, attrs, tuple(norm.refs_of("assistant", attrs)), a.prevent_destroy
        )
    return out

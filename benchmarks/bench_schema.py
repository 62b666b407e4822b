"""CPU time of the schema checks: a 10,000-resource config, and the sandbox's request bodies.

Run: ``python benchmarks/bench_schema.py [--config PATH] [--repeat 21] [--quick]``. Prints one
JSON object. ``config_schema_ms`` is ``schema_findings`` (the schema part of ``load_config``) on
the parsed config, by default the apply benchmark's 10,000 resources (4,000 assistants, 5,000
files, 1,000 vector stores of 5 files); ``body_check_us`` is ``validate_schema`` per request body
of the kinds an apply sends. Both are valid, so they take the fast check (jsonschema-rs) only.
Medians of CPU time, so a busy machine skews them little.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assistplan.config.schema import schema_findings  # noqa: E402
from assistplan.config.yaml_positions import parse_yaml  # noqa: E402
from assistplan.sandbox.validate import validate_schema  # noqa: E402
from genconfig import Size, write_config  # noqa: E402

STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}
BODIES: dict[str, dict[str, Any]] = {
    "CreateAssistantRequest": {
        "model": "gpt-4.1",
        "name": "Assistant 1",
        "instructions": "You are assistant 1. Answer from the documents.",
        "temperature": 0.2,
        "metadata": {"owner": "platform", "assistplan:address": "assistant.a1"},
        "tools": [{"type": "file_search"}],
        "tool_resources": {"file_search": {"vector_store_ids": ["vs_1"]}},
    },
    "CreateVectorStoreRequest": {"name": "Store 1", "file_ids": ["file-a"] * 5, "chunking_strategy": STATIC},
    "CreateUploadRequest": {
        "filename": "f1.txt",
        "purpose": "assistants",
        "bytes": 11,
        "mime_type": "text/plain",
    },
    "CompleteUploadRequest": {"part_ids": ["part_a"]},
}


def cpu_ms(action: Callable[[], Any], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        runs.append(time.process_time() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="an assistants.yaml (default: generate 10,000 resources)")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="100 resources, 3 rounds: proves the harness")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        size = Size(50, 40, 10, 5) if args.quick else Size(4000, 5000, 1000, 5)
        path = args.config or write_config(Path(tmp), size)
        data = parse_yaml(path.read_text(encoding="utf-8")).data
    findings = schema_findings(data)
    if findings:
        sys.exit(f"the config is not valid: {findings[0].message}")
    calls = 200 if args.quick else 2000
    body_us = {}
    for name, body in BODIES.items():
        validate_schema(name, body)  # compiles the check once, outside the figure

        def check(name: str = name, body: dict[str, Any] = body) -> None:
            for _ in range(calls):
                validate_schema(name, body)

        body_us[name] = round(cpu_ms(check, repeat) * 1000 / calls, 2)
    sections = ("files", "vector_stores", "assistants")
    out = {
        "benchmark": "schema",
        "resources": sum(len(data.get(s) or {}) for s in sections),
        "config_schema_ms": round(cpu_ms(lambda: schema_findings(data), repeat), 1),
        "body_check_us": body_us,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

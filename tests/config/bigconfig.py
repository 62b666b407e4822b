"""Generates large valid configs (for the linear-time test and for measuring load time)."""

from __future__ import annotations

from pathlib import Path


def write_big_config(root: Path, resources: int) -> Path:
    """A valid config with about `resources` resources of every kind; returns its path."""
    n_files = resources * 3 // 10
    n_stores = resources * 2 // 10
    n_pipelines = resources // 20
    n_experiments = resources // 20
    n_assistants = resources - n_files - n_stores - n_pipelines - n_experiments
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (root / "prompts").mkdir(exist_ok=True)
    (root / "prompts" / "common.md").write_text("You answer questions.\n", encoding="utf-8")
    lines = ["version: 1", "files:"]
    for i in range(n_files):
        (docs / f"f{i}.txt").write_bytes(b"x")
        lines.append(f"  f{i}: {{path: docs/f{i}.txt}}")
    lines.append("vector_stores:")
    for i in range(n_stores):
        lines += [
            f"  vs{i}:",
            f"    name: Store {i}",
            f"    files: [f{i % n_files}, f{(i + 1) % n_files}]",
            "    chunking_strategy: {type: static, static: {max_chunk_size_tokens: 800, "
            "chunk_overlap_tokens: 400}}",
            "    metadata: {team: docs}",
        ]
    lines.append("assistants:")
    for i in range(n_assistants):
        lines += [
            f"  a{i}:",
            "    model: gpt-4.1",
            f"    name: Assistant {i}",
            "    instructions_file: prompts/common.md"
            if i % 10 == 0
            else f"    instructions: You are bot {i}.",
            "    tools:",
            "      - {type: file_search, file_search: {max_num_results: 8}}",
            "      - {type: code_interpreter}",
            "      - type: function",
            f"        function: {{name: lookup_{i}, parameters: {{type: object, properties: {{}}}}}}",
            "    tool_resources:",
            f"      file_search: {{vector_stores: [vs{i % n_stores}]}}",
            f"      code_interpreter: {{files: [f{i % n_files}]}}",
            "    temperature: 0.2",
            "    metadata: {owner: team}",
        ]
    lines.append("pipelines:")
    for i in range(n_pipelines):
        lines += [
            f"  p{i}:",
            "    nodes:",
            f"      - {{name: first, assistant: a{i}}}",
            "      - {name: s, type: llm}",
        ]
    lines.append("experiments:")
    for i in range(n_experiments):
        lines += [f"  e{i}:", f"    assistant: a{i}", "    releases: [1, 2]", "    published: 2"]
    path = root / "assistants.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

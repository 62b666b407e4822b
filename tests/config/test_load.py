"""Valid configs load into the frozen model with every field in place."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from assistplan.config import (
    AssistantSpec,
    Config,
    ExperimentSpec,
    FileSpec,
    NodeSpec,
    PipelineSpec,
    Pos,
    ReleaseSpec,
    StateConfig,
    VectorStoreSpec,
    load_config,
)
from assistplan.errors import ConfigError

from .bigconfig import write_big_config

# DESIGN.md section 2, verbatim.
DESIGN_EXAMPLE = """\
version: 1
provider:            # optional
  base_url: https://api.openai.com/v1      # or env OPENAI_BASE_URL; the key only from env OPENAI_API_KEY
state:               # optional; default: local file .assistplan/state.json next to the config
  backend: local     # local | postgres (dsn from env ASSISTPLAN_PG_DSN; `workspace: NAME` separates configs)
files:
  handbook: {path: docs/handbook.pdf}          # uploaded with purpose "assistants"; path relative to the config
  old-report: {id: file-abc123}                # an existing remote file: referenced, never uploaded or deleted
vector_stores:
  hr-docs:
    name: HR documents
    files: [handbook]
    chunking_strategy: {type: static, static: {max_chunk_size_tokens: 800, chunk_overlap_tokens: 400}}
    expires_after: {anchor: last_active_at, days: 30}
    metadata: {team: hr}
assistants:
  hr-bot:
    name: HR Bot
    model: gpt-4.1
    instructions: |            # or instructions_file: prompts/hr.md
      You answer HR questions from the handbook.
    tools:
      - {type: file_search, file_search: {max_num_results: 8}}
      - {type: code_interpreter}
      - type: function
        function: {name: get_leave_balance, description: ..., parameters: {type: object, properties: {}}}
    tool_resources:
      file_search: {vector_stores: [hr-docs]}
      code_interpreter: {files: [handbook]}
    temperature: 0.2
    metadata: {owner: people-ops}
    lifecycle: {prevent_destroy: true}
pipelines:
  triage:
    nodes:
      - {name: router, assistant: hr-bot}
      - {name: summarise, type: llm, params: {model: gpt-4.1-mini}}   # non-assistant nodes carry free params
experiments:
  hr-pilot:
    assistant: hr-bot          # exactly one of: assistant, pipeline
    releases: [1, 2, {version: 3, description: "longer answers"}]
    published: 3               # the default version; one of releases
"""  # noqa: E501


def _project(root: Path, config: str, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    path = root / "assistants.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def test_design_example_round_trips(tmp_path: Path) -> None:
    path = _project(tmp_path, DESIGN_EXAMPLE, {"docs/handbook.pdf": "%PDF"})
    config = load_config(path)
    assert isinstance(config, Config)
    assert config.path == path
    assert config.dir == tmp_path
    assert len(config.digest) == 64
    assert config.version == 1
    assert config.base_url == "https://api.openai.com/v1"
    assert config.state == StateConfig(backend="local", path=None, workspace="default")
    assert config.files == {
        "handbook": FileSpec(
            name="handbook",
            pos=Pos(7, 3),
            path=(tmp_path / "docs/handbook.pdf").resolve(),
            rel_path="docs/handbook.pdf",
        ),
        "old-report": FileSpec(name="old-report", pos=Pos(8, 3), id="file-abc123"),
    }
    assert config.files["old-report"].external and not config.files["handbook"].external
    assert config.vector_stores == {
        "hr-docs": VectorStoreSpec(
            name="hr-docs",
            pos=Pos(10, 3),
            display_name="HR documents",
            files=("handbook",),
            chunking_strategy={
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
            expires_after={"anchor": "last_active_at", "days": 30},
            metadata={"team": "hr"},
        )
    }
    assert config.assistants == {
        "hr-bot": AssistantSpec(
            name="hr-bot",
            pos=Pos(17, 3),
            model="gpt-4.1",
            model_pos=Pos(19, 12),
            display_name="HR Bot",
            instructions="You answer HR questions from the handbook.\n",
            tools=(
                {"type": "file_search", "file_search": {"max_num_results": 8}},
                {"type": "code_interpreter"},
                {
                    "type": "function",
                    "function": {
                        "name": "get_leave_balance",
                        "description": "...",
                        "parameters": {"type": "object", "properties": {}},
                    },
                },
            ),
            code_interpreter_files=("handbook",),
            file_search_vector_stores=("hr-docs",),
            temperature=0.2,
            metadata={"owner": "people-ops"},
            prevent_destroy=True,
        )
    }
    assert config.pipelines == {
        "triage": PipelineSpec(
            name="triage",
            pos=Pos(34, 3),
            nodes=(
                NodeSpec(name="router", type="assistant", assistant="hr-bot"),
                NodeSpec(name="summarise", type="llm", params={"model": "gpt-4.1-mini"}),
            ),
        )
    }
    assert config.experiments == {
        "hr-pilot": ExperimentSpec(
            name="hr-pilot",
            pos=Pos(39, 3),
            assistant="hr-bot",
            releases=(ReleaseSpec(1), ReleaseSpec(2), ReleaseSpec(3, "longer answers")),
            published=3,
        )
    }


def test_minimal_config_has_defaults(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path, "version: 1\n"))
    assert (config.files, config.vector_stores, config.assistants, config.pipelines, config.experiments) == (
        {},
        {},
        {},
        {},
        {},
    )
    assert config.base_url is None
    assert config.state == StateConfig()


def test_every_assistant_field(tmp_path: Path) -> None:
    text = """\
version: 1
assistants:
  full:
    model: o3-mini
    description: Does everything.
    instructions: ""
    temperature: 1
    top_p: 0.5
    reasoning_effort: high
    response_format:
      type: json_schema
      json_schema: {name: answer, strict: true, schema: {type: object, additionalProperties: false}}
    tools:
      - type: file_search
        file_search:
          max_num_results: 50
          ranking_options: {ranker: default_2024_08_21, score_threshold: 0.5}
      - {type: function, function: {name: a-b_C, strict: false}}
  auto-format:
    model: m
    response_format: auto
    metadata: {a: "", b: "512"}
"""
    config = load_config(_project(tmp_path, text))
    full = config.assistants["full"]
    assert full.display_name == "full"  # the resource name when `name:` is not given
    assert full.description == "Does everything."
    assert full.instructions == ""
    assert full.temperature == 1.0 and isinstance(full.temperature, float)
    assert full.top_p == 0.5
    assert full.reasoning_effort == "high"
    assert full.response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "strict": True,
            "schema": {"type": "object", "additionalProperties": False},
        },
    }
    assert full.tools[0]["file_search"]["ranking_options"] == {
        "ranker": "default_2024_08_21",
        "score_threshold": 0.5,
    }
    assert config.assistants["auto-format"].response_format == "auto"
    assert config.assistants["auto-format"].metadata == {"a": "", "b": "512"}


def test_instructions_file_is_read_and_part_of_the_digest(tmp_path: Path) -> None:
    text = "version: 1\nassistants:\n  bot:\n    model: m\n    instructions_file: prompts/bot.md\n"
    path = _project(tmp_path, text, {"prompts/bot.md": "\ufeffBe brief. é\n"})
    first = load_config(path)
    assert first.assistants["bot"].instructions == "Be brief. é\n"  # BOM dropped
    assert load_config(path).digest == first.digest  # deterministic
    (tmp_path / "prompts/bot.md").write_text("Be verbose.\n", encoding="utf-8")
    second = load_config(path)
    assert second.digest != first.digest
    assert second.assistants["bot"].instructions == "Be verbose.\n"


def test_files_state_and_lifecycle(tmp_path: Path) -> None:
    text = """\
version: 1
state: {backend: local, path: state/dev.json}
files:
  img: {path: img.png, purpose: vision, lifecycle: {prevent_destroy: true}}
vector_stores:
  docs: {description: All docs, chunking_strategy: {type: auto}, lifecycle: {prevent_destroy: true}}
"""
    config = load_config(_project(tmp_path, text, {"img.png": "png"}))
    assert config.state.path == (tmp_path / "state/dev.json").resolve()
    assert config.files["img"].purpose == "vision" and config.files["img"].prevent_destroy
    docs = config.vector_stores["docs"]
    assert (docs.display_name, docs.description, docs.chunking_strategy) == (
        "docs",
        "All docs",
        {"type": "auto"},
    )
    assert docs.prevent_destroy and docs.files == ()


def test_postgres_state_with_workspace(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path, "version: 1\nstate: {backend: postgres, workspace: team-a}\n"))
    assert config.state == StateConfig(backend="postgres", path=None, workspace="team-a")


def test_pipeline_experiment(tmp_path: Path) -> None:
    text = """\
version: 1
assistants:
  a: {model: m}
pipelines:
  p:
    nodes:
      - {name: first, assistant: a, type: assistant, params: {retries: 2}}
      - {name: second, type: tool.call}
experiments:
  e: {pipeline: p, releases: [{version: 7}]}
"""
    config = load_config(_project(tmp_path, text))
    assert config.pipelines["p"].nodes == (
        NodeSpec("first", "assistant", "a", {"retries": 2}),
        NodeSpec("second", "tool.call"),
    )
    assert config.experiments["e"] == ExperimentSpec(
        name="e", pos=Pos(10, 3), pipeline="p", releases=(ReleaseSpec(7),), published=None
    )


def test_anchors_and_merge_keys_give_independent_values(tmp_path: Path) -> None:
    text = """\
version: 1
assistants:
  base: &base
    model: gpt-4.1
    tools: [{type: code_interpreter}]
    metadata: {team: a}
  copy:
    <<: *base
    metadata: {team: b}
"""
    config = load_config(_project(tmp_path, text))
    base, copy = config.assistants["base"], config.assistants["copy"]
    assert copy.model == "gpt-4.1" and copy.metadata == {"team": "b"}
    assert copy.tools == base.tools and copy.tools[0] is not base.tools[0]


def test_symlinks_inside_the_folder_are_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real/a.txt").write_text("a", encoding="utf-8")
    os.symlink(tmp_path / "real", tmp_path / "alias")
    os.symlink(tmp_path / "real/a.txt", tmp_path / "link.txt")
    text = "version: 1\nfiles:\n  a: {path: alias/a.txt}\n  b: {path: link.txt}\n"
    text += "  c: {path: real/../real/a.txt}\n"
    config = load_config(_project(tmp_path, text))
    target = (tmp_path / "real/a.txt").resolve()
    assert {f.path for f in config.files.values()} == {target}


def test_bom_and_relative_display_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "assistants.yaml").write_bytes(b"\xef\xbb\xbfversion: 1\nfiles: {A: {id: x}}\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config("assistants.yaml")
    assert str(info.value).startswith("assistants.yaml:2:9: invalid name 'A' in files")


def test_model_is_frozen(tmp_path: Path) -> None:
    config = load_config(_project(tmp_path, "version: 1\nassistants: {a: {model: m}}\n"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.assistants["a"].model = "x"


def test_big_config_loads(tmp_path: Path) -> None:
    # Timing is measured outside the tests (DESIGN section 8); this guards correctness at scale.
    config = load_config(write_big_config(tmp_path, 2000))
    sizes = [len(s) for s in (config.files, config.vector_stores, config.assistants, config.pipelines)]
    assert sum(sizes) + len(config.experiments) == 2000
    assert config.assistants["a0"].instructions == "You answer questions.\n"

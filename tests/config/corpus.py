"""The corpus of broken configs: each with every diagnostic it must produce, as `LINE:COL: substring`.

A case's config is written to `assistants.yaml` in an empty folder (plus `files`, plus what
`setup` creates) and loaded; the diagnostics must be exactly the expected ones, in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    name: str
    config: str | bytes
    expect: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None


V = "version: 1\n"
BOT = V + "assistants:\n  bot:\n    model: gpt-4.1\n"  # the assistant's own keys start on line 5


def _tools(n: int) -> str:
    return "".join(f"      - {{type: function, function: {{name: f{i}}}}}\n" for i in range(n))


def _files(n: int) -> str:
    return "files:\n" + "".join(f"  f{i}: {{id: file-{i}}}\n" for i in range(n))


def _metadata(n: int) -> str:
    return "{" + ", ".join(f"k{i}: v" for i in range(n)) + "}"


def _symlink_out(root: Path) -> None:
    outside = root.parent / f"{root.name}-outside.txt"
    outside.write_text("secret", encoding="utf-8")
    os.symlink(outside, root / "link.txt")


def _symlink_dir_out(root: Path) -> None:
    os.symlink(root.parent, root / "up")


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

CASES: list[Case] = [
    # -- unknown keys, with did-you-mean ---------------------------------------------------
    Case(
        "unknown_top_level_key",
        V + "asistants: {}\n",
        ["2:1: unknown key 'asistants' at the top level; did you mean 'assistants'?"],
    ),
    Case(
        "unknown_assistant_key",
        BOT + "    instructons: hi\n",
        ["5:5: unknown key 'instructons' in assistants.bot; did you mean 'instructions'?"],
    ),
    Case(
        "unknown_tool_key",
        BOT + "    tools:\n      - {type: file_search, file_serch: {}}\n",
        ["6:29: unknown key 'file_serch' in assistants.bot.tools[0]; did you mean 'file_search'?"],
    ),
    Case(
        "unknown_key_lists_allowed",
        BOT + "    tools:\n      - {type: code_interpreter, zzz: 1}\n",
        ["6:34: unknown key 'zzz' in assistants.bot.tools[0] (expected one of: type)"],
    ),
    Case(
        "unknown_file_key",
        V + "files:\n  f: {pth: a.txt}\n",
        [
            "3:6: files.f: needs 'path' (a local file to upload) or 'id' (an existing file)",
            "3:7: unknown key 'pth' in files.f; did you mean 'path'?",
        ],
    ),
    Case(
        "unknown_lifecycle_key",
        BOT + "    lifecycle: {prevent_destroyy: true}\n",
        ["5:17: unknown key 'prevent_destroyy' in assistants.bot.lifecycle; did you mean 'prevent_destroy'?"],
    ),
    # -- wrong types -------------------------------------------------------------------------
    Case(
        "temperature_not_a_number",
        BOT + "    temperature: hot\n",
        ["5:18: assistants.bot.temperature: expected a number, got a string"],
    ),
    Case(
        "tools_not_a_list",
        BOT + "    tools: {type: code_interpreter}\n",
        ["5:12: assistants.bot.tools: expected a list, got a mapping"],
    ),
    Case("section_not_a_mapping", V + "files: [a, b]\n", ["2:8: files: expected a mapping, got a list"]),
    Case(
        "assistant_empty", V + "assistants:\n  bot:\n", ["3:7: assistants.bot: expected a mapping, got null"]
    ),
    Case(
        "metadata_value_not_string",
        BOT + "    metadata: {tier: 2}\n",
        ["5:22: assistants.bot.metadata.tier: expected a string, got an integer"],
    ),
    Case(
        "prevent_destroy_not_bool",
        BOT + "    lifecycle: {prevent_destroy: maybe}\n",
        ["5:34: assistants.bot.lifecycle.prevent_destroy: expected a boolean (true or false), got a string"],
    ),
    # -- duplicate keys ----------------------------------------------------------------------
    Case(
        "duplicate_resource",
        BOT + "  bot:\n    model: gpt-4o\n",
        ["5:3: duplicate key 'bot' (first defined at line 3)"],
    ),
    Case(
        "duplicate_field",
        BOT + "    model: gpt-4o\n",
        ["5:5: duplicate key 'model' (first defined at line 4)"],
    ),
    Case(
        "duplicate_in_flow_mapping",
        V + "files:\n  f: {id: a, id: b}\n",
        ["3:14: duplicate key 'id' (first defined at line 3)"],
    ),
    # -- names -------------------------------------------------------------------------------
    Case(
        "bad_resource_name",
        V + "assistants:\n  Bot_1:\n    model: m\n",
        ["3:3: invalid name 'Bot_1' in assistants: use lowercase"],
    ),
    Case("resource_name_too_long", V + "files:\n  " + "a" * 65 + ": {id: x}\n", ["3:3: invalid name 'aaaa"]),
    Case(
        "bad_node_name",
        V + "pipelines:\n  p:\n    nodes: [{name: 'A B', type: llm}]\n",
        ["4:20: pipelines.p.nodes[0].name: invalid value 'A B': use lowercase"],
    ),
    # -- references --------------------------------------------------------------------------
    Case(
        "unknown_file_reference",
        V + "files:\n  handbook: {id: file-1}\nvector_stores:\n  docs:\n    files: [handbok]\n",
        ["6:13: vector_stores.docs.files[0]: unknown file 'handbok'; did you mean 'handbook'?"],
    ),
    Case(
        "unknown_vector_store_reference",
        V + "vector_stores:\n  hr-docs: {}\nassistants:\n  bot:\n    model: m\n"
        "    tools: [{type: file_search}]\n"
        "    tool_resources:\n      file_search: {vector_stores: [hr-doc]}\n",
        [
            "9:37: assistants.bot.tool_resources.file_search.vector_stores[0]: unknown vector store "
            "'hr-doc'; "
            "did you mean 'hr-docs'?"
        ],
    ),
    Case(
        "unknown_code_interpreter_file",
        BOT + "    tools: [{type: code_interpreter}]\n    tool_resources:\n"
        "      code_interpreter: {files: [nope]}\n",
        [
            "7:34: assistants.bot.tool_resources.code_interpreter.files[0]: unknown file 'nope' "
            "(not defined under 'files')"
        ],
    ),
    Case(
        "file_listed_twice",
        V + "files:\n  a: {id: x}\nvector_stores:\n  s:\n    files: [a, a]\n",
        ["6:16: vector_stores.s.files[1]: 'a' is listed twice (also at line 6)"],
    ),
    Case(
        "node_unknown_assistant",
        BOT + "pipelines:\n  p:\n    nodes: [{name: n, assistant: bt}]\n",
        ["7:34: pipelines.p.nodes[0].assistant: unknown assistant 'bt'; did you mean 'bot'?"],
    ),
    Case(
        "experiment_unknown_pipeline",
        V + "experiments:\n  e:\n    pipeline: nope\n",
        ["4:15: experiments.e.pipeline: unknown pipeline 'nope' (not defined under 'pipelines')"],
    ),
    # -- API limits --------------------------------------------------------------------------
    Case(
        "129_tools",
        BOT + "    tools:\n" + _tools(129),
        ["6:7: assistants.bot.tools: too many tools: 129 (at most 128)"],
    ),
    Case(
        "21_code_interpreter_files",
        V + _files(21) + "assistants:\n  bot:\n    model: m\n    tools: [{type: code_interpreter}]\n"
        "    tool_resources:\n      code_interpreter:\n        files: ["
        + ", ".join(f"f{i}" for i in range(21))
        + "]\n",
        ["30:16: assistants.bot.tool_resources.code_interpreter.files: too many files: 21 (at most 20)"],
    ),
    Case(
        "2_vector_stores",
        V + "vector_stores:\n  a: {}\n  b: {}\nassistants:\n  bot:\n    model: m\n"
        "    tools: [{type: file_search}]\n"
        "    tool_resources:\n      file_search: {vector_stores: [a, b]}\n",
        [
            "10:36: assistants.bot.tool_resources.file_search.vector_stores: too many vector stores: 2 "
            "(at most 1)"
        ],
    ),
    Case(
        "name_too_long",
        BOT + "    name: " + "n" * 257 + "\n",
        ["5:11: assistants.bot.name: too long: 257 characters (at most 256)"],
    ),
    Case(
        "description_too_long",
        BOT + "    description: " + "d" * 513 + "\n",
        ["5:18: assistants.bot.description: too long: 513 characters (at most 512)"],
    ),
    Case(
        "instructions_too_long",
        BOT + "    instructions: " + "i" * 256_001 + "\n",
        ["5:19: assistants.bot.instructions: too long: 256001 characters (at most 256000)"],
    ),
    Case(
        "instructions_file_too_long",
        BOT + "    instructions_file: big.md\n",
        ["5:24: assistants.bot.instructions_file: 'big.md' is too long: 256001 characters (at most 256000)"],
        files={"big.md": "é" * 256_001},
    ),
    Case(
        "temperature_above_2",
        BOT + "    temperature: 2.5\n",
        ["5:18: assistants.bot.temperature: must be at most 2 (got 2.5)"],
    ),
    Case(
        "top_p_negative",
        BOT + "    top_p: -0.1\n",
        ["5:12: assistants.bot.top_p: must be at least 0 (got -0.1)"],
    ),
    Case(
        "metadata_16_keys",
        BOT + "    metadata: " + _metadata(16) + "\n",
        [
            "5:15: assistants.bot.metadata: too many keys: 16 (at most 15; the API allows 16 and "
            "assistplan reserves one)"
        ],
    ),
    Case(
        "metadata_long_key",
        BOT + "    metadata: {" + "k" * 65 + ": v}\n",
        ["5:16: is too long: 65 characters (at most 64)"],
    ),
    Case(
        "metadata_long_value",
        BOT + "    metadata: {k: " + "v" * 513 + "}\n",
        ["5:19: assistants.bot.metadata.k: too long: 513 characters (at most 512)"],
    ),
    Case(
        "metadata_reserved_key",
        V + "vector_stores:\n  s:\n    metadata: {assistplan: x}\n",
        ["4:16: vector_stores.s.metadata: the key 'assistplan' is reserved by assistplan"],
    ),
    # -- tool shapes -------------------------------------------------------------------------
    Case(
        "unknown_tool_type",
        BOT + "    tools: [{type: file_serch}]\n",
        ["5:20: assistants.bot.tools[0].type: unknown type 'file_serch'; did you mean 'file_search'?"],
    ),
    Case(
        "tool_without_type",
        BOT + "    tools: [{file_search: {}}]\n",
        [
            "5:13: assistants.bot.tools[0]: missing required key 'type' (one of: code_interpreter, "
            "file_search, function, a Foundry tool's type)"
        ],
    ),
    Case(
        "tool_not_a_mapping",
        BOT + "    tools: [code_interpreter]\n",
        [
            "5:13: assistants.bot.tools[0]: expected a mapping with type code_interpreter, file_search, "
            "function or a Foundry tool's type, got a string"
        ],
    ),
    Case(
        "function_without_name",
        BOT + "    tools: [{type: function, function: {description: x}}]\n",
        ["5:40: assistants.bot.tools[0].function: missing required key 'name'"],
    ),
    Case(
        "function_without_function",
        BOT + "    tools: [{type: function}]\n",
        ["5:13: assistants.bot.tools[0]: missing required key 'function'"],
    ),
    Case(
        "function_bad_name",
        BOT + "    tools: [{type: function, function: {name: get balance}}]\n",
        ["5:47: assistants.bot.tools[0].function.name: invalid value 'get balance': use letters, digits"],
    ),
    Case(
        "duplicate_function_names",
        BOT + "    tools:\n" + _tools(2) + "      - {type: function, function: {name: f1}}\n",
        ["8:43: assistants.bot.tools[2].function.name: duplicate function name 'f1' (also at line 7)"],
    ),
    Case(
        "max_num_results_51",
        BOT + "    tools: [{type: file_search, file_search: {max_num_results: 51}}]\n",
        ["5:64: assistants.bot.tools[0].file_search.max_num_results: must be at most 50 (got 51)"],
    ),
    Case(
        "ranking_options_without_threshold",
        BOT + "    tools: [{type: file_search, file_search: {ranking_options: {ranker: auto}}}]\n",
        ["5:64: assistants.bot.tools[0].file_search.ranking_options: missing required key 'score_threshold'"],
    ),
    Case(
        "response_format_bad_string",
        BOT + "    response_format: json\n",
        [
            "5:22: assistants.bot.response_format: invalid value 'json': expected 'auto' or a mapping "
            "with type text, "
            "json_object or json_schema"
        ],
    ),
    Case(
        "response_format_json_schema_incomplete",
        BOT + "    response_format: {type: json_schema}\n",
        ["5:22: assistants.bot.response_format: missing required key 'json_schema'"],
    ),
    Case(
        "reasoning_effort_typo",
        BOT + "    reasoning_effort: hihg\n",
        [
            "5:23: assistants.bot.reasoning_effort: must be one of none, minimal, low, medium, high, "
            "xhigh, max "
            "(got 'hihg'); did you mean 'high'?"
        ],
    ),
    Case(
        "file_search_resource_without_tool",
        V + "vector_stores:\n  s: {}\nassistants:\n  bot:\n    model: m\n    tool_resources:\n"
        "      file_search: {vector_stores: [s]}\n",
        ["8:7: assistants.bot.tool_resources.file_search: needs a '{type: file_search}' entry in tools"],
    ),
    Case(
        "code_interpreter_resource_without_tool",
        BOT + "    tools: [{type: file_search}]\n    tool_resources:\n      code_interpreter: {files: []}\n",
        [
            "7:7: assistants.bot.tool_resources.code_interpreter: needs a '{type: code_interpreter}' "
            "entry in tools"
        ],
    ),
    # -- vector stores -----------------------------------------------------------------------
    Case(
        "chunk_overlap_above_half",
        V + "vector_stores:\n  s:\n    chunking_strategy:\n      type: static\n      static: "
        "{max_chunk_size_tokens: 800, chunk_overlap_tokens: 401}\n",
        [
            "6:66: vector_stores.s.chunking_strategy.static.chunk_overlap_tokens: must be at most half of "
            "max_chunk_size_tokens (400), got 401"
        ],
    ),
    Case(
        "chunk_size_below_100",
        V + "vector_stores:\n  s:\n    chunking_strategy: {type: static, static: "
        "{max_chunk_size_tokens: 99, chunk_overlap_tokens: 0}}\n",
        [
            "4:71: vector_stores.s.chunking_strategy.static.max_chunk_size_tokens: must be at least 100 "
            "(got 99)"
        ],
    ),
    Case(
        "chunking_unknown_type",
        V + "vector_stores:\n  s:\n    chunking_strategy: {type: fixed}\n",
        [
            "4:31: vector_stores.s.chunking_strategy.type: unknown type 'fixed' (expected one of: auto, "
            "static)"
        ],
    ),
    Case(
        "chunking_static_missing_block",
        V + "vector_stores:\n  s:\n    chunking_strategy: {type: static}\n",
        ["4:24: vector_stores.s.chunking_strategy: missing required key 'static'"],
    ),
    Case(
        "expires_after_out_of_range",
        V + "vector_stores:\n  s:\n    expires_after: {anchor: created_at, days: 0}\n",
        [
            "4:29: vector_stores.s.expires_after.anchor: must be 'last_active_at' (got 'created_at')",
            "4:47: vector_stores.s.expires_after.days: must be at least 1 (got 0)",
        ],
    ),
    # -- files and paths ---------------------------------------------------------------------
    Case(
        "file_path_and_id",
        V + "files:\n  f: {path: a.txt, id: file-1}\n",
        ["3:20: files.f: set either 'path' or 'id', not both"],
        files={"a.txt": "x"},
    ),
    Case(
        "file_bad_purpose",
        V + "files:\n  f: {id: file-1, purpose: evals}\n",
        [
            "3:28: files.f.purpose: must be one of assistants, batch, fine-tune, vision, user_data (got "
            "'evals')"
        ],
    ),
    Case(
        "path_escapes_with_dotdot",
        V + "files:\n  f: {path: ../secret.txt}\n",
        ["3:13: files.f.path: path '../secret.txt' escapes the config folder"],
    ),
    Case(
        "path_escapes_deeper",
        V + "files:\n  f: {path: docs/../../secret.txt}\n",
        ["3:13: files.f.path: path 'docs/../../secret.txt' escapes the config folder"],
    ),
    Case(
        "absolute_path",
        V + "files:\n  f: {path: /etc/passwd}\n",
        ["3:13: files.f.path: path '/etc/passwd' must be relative to the config folder, not absolute"],
    ),
    Case(
        "symlink_escape",
        V + "files:\n  f: {path: link.txt}\n",
        ["3:13: files.f.path: path 'link.txt' resolves outside the config folder"],
        setup=_symlink_out,
    ),
    Case(
        "symlinked_folder_escape",
        V + "files:\n  f: {path: up/x.txt}\n",
        ["3:13: files.f.path: path 'up/x.txt' resolves outside the config folder"],
        setup=_symlink_dir_out,
    ),
    Case(
        "missing_file",
        V + "files:\n  f:\n    path: docs/handbook.pdf\n",
        ["4:11: files.f.path: file not found: 'docs/handbook.pdf' (paths are relative to the config folder)"],
    ),
    Case(
        "path_is_a_directory",
        V + "files:\n  f: {path: docs}\n",
        ["3:13: files.f.path: 'docs' is a directory"],
        files={"docs/a.txt": "x"},
    ),
    Case(
        "instructions_and_instructions_file",
        BOT + "    instructions: hi\n    instructions_file: p.md\n",
        ["6:5: assistants.bot: set either 'instructions' or 'instructions_file', not both"],
        files={"p.md": "x"},
    ),
    Case(
        "missing_instructions_file",
        BOT + "    instructions_file: prompts/missing.md\n",
        ["5:24: assistants.bot.instructions_file: file not found: 'prompts/missing.md'"],
    ),
    Case(
        "instructions_file_escapes",
        BOT + "    instructions_file: ../p.md\n",
        ["5:24: assistants.bot.instructions_file: path '../p.md' escapes the config folder"],
    ),
    Case(
        "non_utf8_instructions_file",
        BOT + "    instructions_file: p.md\n",
        ["5:24: assistants.bot.instructions_file: 'p.md' is not valid UTF-8 text (invalid byte at offset 3)"],
        files={"p.md": b"abc\xff\xfe"},
    ),
    # -- the file as a whole -----------------------------------------------------------------
    Case("empty_file", b"", ["1:1: the config file is empty (0 bytes)"]),
    Case("only_comments", "# nothing here\n", ["1:1: the config is empty (it holds no YAML document)"]),
    Case(
        "non_utf8_config",
        b"version: 1\nfiles: \xe9t\xe9\n",
        ["1:1: the config is not valid UTF-8 text (invalid byte at line 2, column 8)"],
    ),
    Case("utf16_config", "version: 1\n".encode("utf-16"), ["1:1: the config is not valid UTF-8 text"]),
    Case(
        "malformed_flow_sequence",
        V + "files: [a, b\n",
        [
            "3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence started "
            "at line 2, column 8)"
        ],
    ),
    Case(
        "malformed_indentation",
        V + "assistants:\n  bot:\n    model: m\n   name: x\n",
        [
            "5:4: invalid YAML: did not find expected key (while parsing a block mapping started at line "
            "3, column 3)"
        ],
    ),
    Case(
        "mapping_value_in_scalar",
        V + "files: a: b\n",
        ["2:9: invalid YAML: mapping values are not allowed in this context"],
    ),
    Case(
        "control_character",
        V + "files: {}\nx: \x07\n",
        ["3:4: invalid YAML: control characters are not allowed"],
    ),
    Case(
        "top_level_list",
        "- version: 1\n",
        ["1:1: the config must be a mapping of sections (version, files, ...), got a list"],
    ),
    Case(
        "top_level_scalar",
        "hello\n",
        ["1:1: the config must be a mapping of sections (version, files, ...), got a string"],
    ),
    Case(
        "two_documents", V + "---\nversion: 1\n", ["2:1: expected a single YAML document, found another one"]
    ),
    Case("billion_laughs", BILLION_LAUGHS, ["6:8: YAML aliases expand to more than 100000 nodes"]),
    Case(
        "too_many_aliases",
        "x: &x 1\ny: [" + ", ".join(["*x"] * 101) + "]\n",
        ["2:" + str(5 + 4 * 100) + ": too many YAML aliases (more than 100)"],
    ),
    Case("alias_cycle", "a: &a [*a]\n", ["1:8: alias '*a' refers to a node that contains it (a cycle)"]),
    Case("unknown_alias", V + "files: *nope\n", ["2:8: unknown alias '*nope'"]),
    Case("deeply_nested", "[" * 10_000, ["1:65: nesting deeper than 64 levels"]),
    Case(
        "deeply_nested_blocks",
        "".join(" " * i + f"k{i}:\n" for i in range(70)),
        ["65:65: nesting deeper than 64 levels"],
    ),
    Case(
        "python_tag",
        V + "files: !!python/object:os.system {}\n",
        ["2:8: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'"],
    ),
    Case(
        "huge_integer",
        BOT + "    temperature: " + "9" * 5000 + "\n",
        ["5:18: invalid int '9999", "5:18: assistants.bot.temperature: expected a number, got null"],
    ),
    Case(
        # Each use of a plain scalar that fails to construct is reported (resolved values are
        # reused by spelling; failures must not be).
        "huge_integer_twice",
        BOT + "    temperature: " + "9" * 5000 + "\n    top_p: " + "9" * 5000 + "\n",
        [
            "5:18: invalid int '9999",
            "5:18: assistants.bot.temperature: expected a number, got null",
            "6:12: invalid int '9999",
            "6:12: assistants.bot.top_p: expected a number, got null",
        ],
    ),
    Case(
        # PyYAML's constructors raise IndexError/KeyError here: a diagnostic, not a traceback.
        "tagged_scalar_unconstructible",
        BOT + "    temperature: !!int\n    top_p: !!bool maybe\n",
        [
            "5:18: invalid int ''",
            "5:18: assistants.bot.temperature: expected a number, got null",
            "6:12: invalid bool 'maybe'",
            "6:12: assistants.bot.top_p: expected a number, got null",
        ],
    ),
    Case("empty_key", V + "'': x\n", ["2:1: empty mapping key"]),
    Case(
        "complex_key", V + "? [a]\n: b\n", ["2:3: mapping keys must be plain scalars, not lists or mappings"]
    ),
    # -- version -----------------------------------------------------------------------------
    Case("missing_version", "files: {}\n", ["1:1: missing required key 'version' (add 'version: 1'"]),
    Case("wrong_version", "version: 2\n", ["1:10: version: must be 1 (got 2)"]),
    Case("version_as_string", "version: '1'\n", ["1:10: version: expected an integer, got a string"]),
    # -- pipelines and experiments -----------------------------------------------------------
    Case(
        "pipeline_without_nodes",
        V + "pipelines:\n  p:\n    nodes: []\n",
        ["4:12: pipelines.p.nodes: needs at least 1 item"],
    ),
    Case(
        "duplicate_node_names",
        BOT + "pipelines:\n  p:\n    nodes:\n      - {name: a, assistant: bot}\n"
        "      - {name: a, type: llm}\n",
        ["9:16: pipelines.p.nodes[1].name: duplicate node name 'a' (also at line 8)"],
    ),
    Case(
        "node_without_kind",
        V + "pipelines:\n  p:\n    nodes: [{name: a}]\n",
        ["4:13: pipelines.p.nodes[0]: needs 'assistant' (an assistant node) or 'type' (a free node)"],
    ),
    Case(
        "assistant_node_with_other_type",
        BOT + "pipelines:\n  p:\n    nodes: [{name: a, assistant: bot, type: llm}]\n",
        ["7:45: pipelines.p.nodes[0].type: a node with 'assistant' has type 'assistant', got 'llm'"],
    ),
    Case(
        "experiment_assistant_and_pipeline",
        BOT + "pipelines:\n  p:\n    nodes: [{name: a, assistant: bot}]\nexperiments:\n  e:\n"
        "    assistant: bot\n    pipeline: p\n",
        ["11:5: experiments.e: set either 'assistant' or 'pipeline', not both"],
    ),
    Case(
        "experiment_neither",
        V + "experiments:\n  e:\n    releases: [1]\n",
        ["4:5: experiments.e: needs 'assistant' or 'pipeline'"],
    ),
    Case(
        "published_not_released",
        BOT + "experiments:\n  e:\n    assistant: bot\n    releases: [1, 2]\n    published: 3\n",
        ["9:16: experiments.e.published: version 3 is not one of the releases (1, 2)"],
    ),
    Case(
        "duplicate_release_versions",
        BOT
        + "experiments:\n  e:\n    assistant: bot\n    releases: [1, 2, {version: 2, description: again}]\n",
        ["8:22: experiments.e.releases[2]: duplicate release version 2 (also at line 8)"],
    ),
    Case(
        "release_not_positive",
        BOT + "experiments:\n  e:\n    assistant: bot\n    releases: [0]\n",
        ["8:16: experiments.e.releases[0]: must be at least 1 (got 0)"],
    ),
    Case(
        "release_as_string",
        BOT + "experiments:\n  e:\n    assistant: bot\n    releases: [v1]\n",
        ["8:16: experiments.e.releases[0]: expected an integer or a mapping, got a string"],
    ),
    # -- provider and state ------------------------------------------------------------------
    Case(
        "state_bad_backend",
        V + "state: {backend: sqlite}\n",
        ["2:18: state.backend: must be one of local, postgres (got 'sqlite')"],
    ),
    Case(
        "state_path_with_postgres",
        V + "state: {backend: postgres, path: s.json}\n",
        ["2:28: state.path: only valid with 'backend: local'"],
    ),
    Case(
        "state_path_escapes",
        V + "state: {path: ../state.json}\n",
        ["2:15: state.path: path '../state.json' escapes the config folder"],
    ),
    Case(
        "provider_bad_url",
        V + "provider: {base_url: localhost:8080}\n",
        ["2:22: provider.base_url: invalid value 'localhost:8080': must be an http:// or https:// URL"],
    ),
    # -- many problems at once, all reported, in file order ----------------------------------
    Case(
        "several_problems",
        V + "asistants: {}\nfiles:\n  f: {path: /abs}\n  g: {id: x, pth: y}\n",
        [
            "2:1: unknown key 'asistants'",
            "4:13: files.f.path: path '/abs' must be relative",
            "5:14: unknown key 'pth' in files.g; did you mean 'path'?",
        ],
    ),
]

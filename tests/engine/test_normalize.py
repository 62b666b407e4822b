from assistplan.remote import normalize as norm


def test_server_defaults_of_file_search_are_not_a_difference():
    ours = norm.normalize_tools([{"type": "file_search"}])
    echoed = norm.normalize_tools(
        [
            {
                "type": "file_search",
                "file_search": {
                    "max_num_results": 20,
                    "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.0},
                },
            }
        ]
    )
    assert ours == echoed
    assert norm.normalize_tools([{"type": "file_search", "file_search": {"max_num_results": 8}}]) != ours


def test_tool_order_is_canonical():
    a = [
        {"type": "function", "function": {"name": "b"}},
        {"type": "code_interpreter"},
        {"type": "function", "function": {"name": "a"}},
    ]
    assert norm.normalize_tools(a) == norm.normalize_tools(list(reversed(a)))
    assert [t.get("function", {}).get("name") for t in norm.normalize_tools(a)] == [None, "a", "b"]


def test_marker_is_split_from_user_metadata():
    md, mark = norm.split_marker({"team": "hr", norm.MARKER_KEY: "lin:assistant.x"})
    assert md == {"team": "hr"}
    assert mark == "lin:assistant.x"


def test_assistant_actual_maps_known_ids_to_addresses():
    obj = {
        "id": "asst_1",
        "name": "X",
        "model": "m",
        "description": None,
        "instructions": None,
        "tools": [],
        "tool_resources": {
            "code_interpreter": {"file_ids": ["file-1", "file-unknown"]},
            "file_search": {"vector_store_ids": ["vs_1"]},
        },
        "temperature": None,
        "top_p": 1.0,
        "response_format": None,
        "reasoning_effort": None,
        "metadata": {},
    }
    attrs = norm.assistant_actual(obj, {"file-1": "file.a", "vs_1": "vector_store.v"})
    assert attrs["tool_resources"] == {
        "code_interpreter": ["file-unknown", "file.a"],
        "file_search": ["vector_store.v"],
    }
    assert attrs["temperature"] == 1.0 and attrs["response_format"] == "auto"
    assert norm.refs_of("assistant", attrs) == ["file.a", "vector_store.v"]

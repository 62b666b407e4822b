"""`GET /v1/models` and `GET /v1/models/{model}`: the models an OpenAI account lists (late 2026),
in OpenAI's shapes (`ListModelsResponse`, `Model`), so a plan can check names before an apply.

The list is fixed (the sandbox runs no models): chat and reasoning models with their dated
snapshots, plus the embedding, audio, image and moderation ones an account also sees.
"""

from __future__ import annotations

from .common import Body, Call
from .errors import ApiError

# id, created (unix time), owned_by
MODELS: tuple[tuple[str, int, str], ...] = (
    ("gpt-3.5-turbo", 1677610602, "openai"),
    ("gpt-3.5-turbo-0125", 1706048358, "system"),
    ("gpt-4", 1687882411, "openai"),
    ("gpt-4-turbo", 1712361441, "system"),
    ("gpt-4-turbo-2024-04-09", 1712601677, "system"),
    ("gpt-4o", 1715367049, "system"),
    ("gpt-4o-2024-08-06", 1722814719, "system"),
    ("gpt-4o-2024-11-20", 1739331543, "system"),
    ("gpt-4o-mini", 1721172741, "system"),
    ("gpt-4o-mini-2024-07-18", 1721172717, "system"),
    ("gpt-4.1", 1744316542, "system"),
    ("gpt-4.1-2025-04-14", 1744315746, "system"),
    ("gpt-4.1-mini", 1744318173, "system"),
    ("gpt-4.1-mini-2025-04-14", 1744317547, "system"),
    ("gpt-4.1-nano", 1744321707, "system"),
    ("gpt-4.1-nano-2025-04-14", 1744321025, "system"),
    ("o1", 1734375816, "system"),
    ("o1-2024-12-17", 1734326976, "system"),
    ("o3", 1744225308, "system"),
    ("o3-2025-04-16", 1744133301, "system"),
    ("o3-mini", 1737146383, "system"),
    ("o3-mini-2025-01-31", 1738010200, "system"),
    ("o4-mini", 1744225351, "system"),
    ("o4-mini-2025-04-16", 1744133506, "system"),
    ("gpt-5", 1754425777, "system"),
    ("gpt-5-2025-08-07", 1754075360, "system"),
    ("gpt-5-mini", 1754425867, "system"),
    ("gpt-5-mini-2025-08-07", 1754425528, "system"),
    ("gpt-5-nano", 1754426384, "system"),
    ("gpt-5-nano-2025-08-07", 1754426303, "system"),
    ("text-embedding-3-large", 1705953180, "system"),
    ("text-embedding-3-small", 1705948997, "system"),
    ("text-embedding-ada-002", 1671217299, "openai-internal"),
    ("whisper-1", 1677532384, "openai-internal"),
    ("tts-1", 1681940951, "openai-internal"),
    ("dall-e-3", 1698785189, "system"),
    ("omni-moderation-latest", 1731689265, "system"),
)
_BY_ID = {m[0]: m for m in MODELS}


def _model(entry: tuple[str, int, str]) -> Body:
    model_id, created, owned_by = entry
    return {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}


def list_(call: Call) -> Body:
    return {"object": "list", "data": [_model(m) for m in MODELS]}


def retrieve(call: Call) -> Body:
    model_id = call.args["model"]
    entry = _BY_ID.get(model_id)
    if entry is None:
        raise ApiError(
            404,
            f"The model '{model_id}' does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    return _model(entry)

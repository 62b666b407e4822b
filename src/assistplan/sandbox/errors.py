"""OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer. Raised before the store is touched, so a failed request changes nothing."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def not_found(noun: str, id_: str) -> ApiError:
    """The live server's wording: ``No assistant found with id 'asst_x'.``"""
    return ApiError(404, f"No {noun} found with id '{id_}'.")


def missing_reference(noun: str, id_: str, param: str) -> ApiError:
    """A request body naming an object that does not exist (400, with the body path as param)."""
    return ApiError(400, f"No {noun} found with id '{id_}'.", param=param, code="invalid_value")


def invalid_url(method: str, path: str, status: int = 404) -> ApiError:
    return ApiError(status, f"Invalid URL ({method} {path})")


SERVER_ERROR_MESSAGE = (
    "The server had an error while processing your request. Sorry about that! You can retry your request, "
    "or contact us through our help center at help.openai.com if the error persists."
)


def server_error() -> ApiError:
    return ApiError(500, SERVER_ERROR_MESSAGE, type="server_error")


def rate_limited() -> ApiError:
    return ApiError(
        429,
        "Rate limit reached for requests (injected by the assistplan sandbox). Please try again in 1s.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after": "1"},
    )

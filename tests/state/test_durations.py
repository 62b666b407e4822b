"""parse_duration: the values `--lock-timeout` accepts."""

from __future__ import annotations

import pytest

from assistplan.state import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0", 0.0),
        ("10", 10.0),
        ("2.5", 2.5),
        ("0s", 0.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("1.5m", 90.0),
        ("1s500ms", 1.5),
        (" 30s\n", 30.0),
    ],
)
def test_valid_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", " ", "s", "-1s", "-5", "1x", "5 m", "1d", "ms", "1m-30s", "inf", "nan", "1e3", "30S", ".5s", "1.s"],
)
def test_invalid_durations(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert message.startswith(f"invalid duration {text!r}: ")
    assert "30s" in message and "\n" not in message

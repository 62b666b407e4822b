"""Parse the duration values of `--lock-timeout` (and any later `DUR` flag).

Accepted forms (whitespace around the value is ignored):

- a plain non-negative number of seconds: `10`, `2.5`
- one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`: `0s`, `30s`, `5m`, `1m30s`, `250ms`, `1h`

Everything else raises ValueError with a message that repeats the value and shows the forms.
"""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = r"(\d+(?:\.\d+)?)(ms|s|m|h)"
_PARTS_RE = re.compile(rf"(?:{_PART})+")
_PART_RE = re.compile(_PART)
_PLAIN_RE = re.compile(r"\d+(?:\.\d+)?")

__all__ = ["parse_duration"]


def parse_duration(text: str) -> float:
    """Return the duration `text` names, in seconds (always finite and >= 0)."""
    value = text.strip()
    if _PLAIN_RE.fullmatch(value):
        seconds = float(value)
    elif _PARTS_RE.fullmatch(value):
        seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART_RE.findall(value))
    else:
        raise ValueError(
            f"invalid duration {text!r}: use seconds (10) or a number with a unit "
            "ms, s, m or h, e.g. 250ms, 30s, 5m, 1m30s"
        )
    if not math.isfinite(seconds):
        raise ValueError(f"invalid duration {text!r}: too large")
    return seconds

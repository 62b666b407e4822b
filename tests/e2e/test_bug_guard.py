"""The e2e runners fail any test whose CLI run showed a bug, whatever that test expects."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import no_bug_shown

BUGS = {
    "internal error": "Error: internal error: KeyError: 'id' (set ASSISTPLAN_DEBUG=1 for details)\n",
    "traceback": 'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nKeyError: 1\n',
}


@pytest.mark.parametrize("shown", BUGS.values(), ids=BUGS.keys())
def test_a_run_showing_a_bug_fails_the_test(shown: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="the CLI showed"):
        no_bug_shown("Plan: 1 to add, 0 to change, 0 to destroy.\n", shown)


def test_user_errors_are_no_bug() -> None:
    no_bug_shown("", "assistants.yaml:3:9: unknown key 'modle'\n", "Error: OPENAI_API_KEY is not set\n")

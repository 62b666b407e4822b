"""The local state survives SIGKILL at every moment of its writes: journal appends, compactions
(the new document renamed in, the old journal not yet gone...) and whole writes.

`state_writer` saves a known sequence of states; it is killed right before each of its changing
file-system calls in turn. After each kill, the state read back is exactly one of the states of
the sequence, never older than the last one reported saved and never newer than the one being
saved; then a new run carries on from there to the same final state.
"""

from __future__ import annotations

from pathlib import Path

from assistplan.state.local import LocalBackend
from tests.reliability import state_writer


def test_a_kill_before_any_write_call_loses_nothing_saved(tmp_path: Path) -> None:
    final = state_writer.final_serial()
    clean = state_writer.run(str(tmp_path / "clean" / "state.json"))
    assert not clean.killed and clean.saved == list(range(1, final + 1))
    assert clean.calls > 2 * len(state_writer.SCRIPT)  # every operation is several calls
    for k in range(1, clean.calls + 1):
        path = tmp_path / f"k{k}" / "state.json"
        killed = state_writer.run(str(path), kill_at=k)
        assert killed.killed, f"kill point {k} was not reached"
        last = killed.saved[-1] if killed.saved else 0
        got = LocalBackend(path).read()
        if got is None:
            assert last == 0, f"kill point {k}: serial {last} was saved, nothing is there"
        else:
            assert last <= got.serial <= last + 1, f"kill point {k}: saved {last}, read {got.serial}"
            assert got.to_json() == state_writer.state_at(got.serial).to_json(), f"kill point {k}"
        again = state_writer.run(str(path))  # the next run goes on from whatever was left
        assert not again.killed, f"kill point {k}"
        done = LocalBackend(path).read()
        assert done is not None and done.to_json() == state_writer.state_at(final).to_json(), k

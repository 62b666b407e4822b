"""collector.building(): what a command builds is never walked by the cyclic GC."""

from __future__ import annotations

import gc

from assistplan.collector import building


def test_what_is_built_is_frozen_and_the_collector_comes_back_as_it_was() -> None:
    gc.unfreeze()
    try:
        with building():
            assert not gc.isenabled()  # paused while building
            built = [{"n": [i]} for i in range(10_000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 2 * len(built)  # each dict and its list: never walked again
        gc.disable()
        with building():
            pass
        assert not gc.isenabled()  # a paused collector stays paused
    finally:
        gc.enable()
        gc.unfreeze()

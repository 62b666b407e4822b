"""--parallelism as request slots (remote/api.py `_Slots`): never more in flight than slots,
urgent requests first, and every waiter served (a freed slot wakes only those that can take it)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistplan.remote.api import _Slots


def _until(check: Callable[[], bool]) -> None:
    """Wait until another thread has made `check` true; a guard ends a wait that never would."""
    idle = threading.Event()
    for _ in range(20_000):
        if check():
            return
        idle.wait(0.001)
    raise AssertionError("the other threads never got there")


def _queued(slots: _Slots) -> int:
    """Threads blocked waiting for a slot."""
    return sum(len(turn._waiters) for turn in (slots._urgent_turn, slots._ordinary_turn))  # type: ignore[attr-defined]


def test_a_freed_slot_goes_to_a_waiting_urgent_request_before_earlier_ordinary_ones() -> None:
    slots = _Slots(1)
    order: list[str] = []
    release = {name: threading.Event() for name in ("first", "ordinary", "urgent")}

    def request(name: str, urgent: bool) -> None:
        with slots(urgent):
            order.append(name)
            release[name].wait()

    first = threading.Thread(target=request, args=("first", False), daemon=True)
    first.start()
    _until(lambda: order == ["first"])
    ordinary = threading.Thread(target=request, args=("ordinary", False), daemon=True)
    ordinary.start()
    _until(lambda: _queued(slots) == 1)
    urgent = threading.Thread(target=request, args=("urgent", True), daemon=True)
    urgent.start()
    _until(lambda: _queued(slots) == 2)
    release["first"].set()
    _until(lambda: len(order) == 2)
    assert order == ["first", "urgent"]
    release["urgent"].set()
    release["ordinary"].set()
    for t in (first, ordinary, urgent):
        t.join()
    assert order == ["first", "urgent", "ordinary"]


def test_many_threads_never_exceed_the_slots_and_all_get_served() -> None:
    slots = _Slots(3)
    lock = threading.Lock()
    now = {"in_flight": 0, "most": 0, "served": 0}
    go = threading.Barrier(24)

    def worker(i: int) -> None:
        go.wait()
        for k in range(200):
            with slots(urgent=(i + k) % 5 == 0):
                with lock:
                    now["in_flight"] += 1
                    now["most"] = max(now["most"], now["in_flight"])
                with lock:
                    now["in_flight"] -= 1
                    now["served"] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)  # only a guard: a lost wake-up leaves threads waiting for ever
    assert not any(t.is_alive() for t in threads), "waiters left waiting with slots free"
    assert now["served"] == 24 * 200
    assert 1 <= now["most"] <= 3
    assert slots._free == 3 and slots._urgent == 0

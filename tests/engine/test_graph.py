import threading
import time

import pytest

from assistplan.graph import DAG, CycleError, walk


def test_topo_order_puts_dependencies_first():
    dag: DAG[str] = DAG()
    dag.add("assistant", ["store", "file"])
    dag.add("store", ["file"])
    order = dag.topo_order()
    assert order.index("file") < order.index("store") < order.index("assistant")


def test_cycle_is_reported_with_its_path():
    dag: DAG[str] = DAG()
    dag.add("a", ["b"])
    dag.add("b", ["c"])
    dag.add("c", ["a"])
    with pytest.raises(CycleError) as exc:
        dag.topo_order()
    assert exc.value.path[0] == exc.value.path[-1]
    assert set(exc.value.path) == {"a", "b", "c"}


def test_walk_respects_order_and_bounds_parallelism():
    """The first four nodes after the root meet at a barrier: they can only pass it if all four
    run at once (a walk running fewer breaks it, failing those nodes); never more than four run."""
    dag: DAG[int] = DAG()
    for i in range(20):
        dag.add(i, [100])
    dag.add(100)
    seen: list[int] = []
    running = 0
    peak = 0
    lock = threading.Lock()
    first_wave = threading.Barrier(4, timeout=30)

    def fn(n: int) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            seen.append(n)
            waits = n != 100 and len(seen) <= 5
        if waits:
            first_wave.wait()
        with lock:
            running -= 1

    result = walk(dag, fn, parallelism=4)
    assert seen[0] == 100
    assert not result.failed and sorted(result.done) == sorted(dag.deps)
    assert peak == 4


def test_walk_stops_starting_new_work_after_a_failure():
    dag: DAG[str] = DAG()
    dag.add("b", ["a"])
    dag.add("c", ["b"])

    def fn(n: str) -> None:
        if n == "b":
            raise RuntimeError("boom")

    result = walk(dag, fn, parallelism=2)
    assert result.done == ["a"]
    assert list(result.failed) == ["b"]
    assert result.skipped == ["c"]


def test_topo_order_keeps_insertion_order_where_the_edges_allow():
    dag: DAG[str] = DAG()
    for n in ["file.a", "file.b", "store", "bot", "other-bot", "file.late"]:
        dag.add(n)
    dag.add("store", ["file.a"])
    dag.add("bot", ["store"])
    dag.add("other-bot", ["file.b"])
    dag.add("file.a", ["file.late"])
    assert dag.topo_order() == ["file.b", "other-bot", "file.late", "file.a", "store", "bot"]


def test_walk_starts_nothing_new_once_stopped_and_lets_the_running_finish():
    dag: DAG[str] = DAG()
    dag.add("a")
    dag.add("b", ["a"])
    dag.add("c", ["b"])
    stop = threading.Event()
    ran: list[str] = []

    def fn(n: str) -> None:
        if n == "b":
            stop.set()  # as Ctrl-C would, while "b" runs
        ran.append(n)

    result = walk(dag, fn, parallelism=2, stop=stop)
    assert ran == ["a", "b"] and result.done == ["a", "b"] and result.skipped == ["c"]


def independent(count: int) -> DAG[int]:
    dag: DAG[int] = DAG()
    for i in range(count):
        dag.add(i)
    return dag


def test_a_stop_leaves_queued_independent_nodes_unstarted():
    """More ready nodes than workers: once `stop` is set while the first two run, none of the
    others starts (they are not handed to the pool ahead of time)."""
    dag = independent(20)
    stop = threading.Event()
    both_running = threading.Barrier(2, timeout=30)
    ran: list[int] = []
    lock = threading.Lock()

    def fn(n: int) -> None:
        with lock:
            ran.append(n)
            first = len(ran) <= 2
        if first:
            both_running.wait()  # both workers are busy: the other 18 wait for a worker
            time.sleep(0.05)  # lets the walker hand out whatever it would (no assertion on time)
            stop.set()  # as Ctrl-C would

    result = walk(dag, fn, parallelism=2, stop=stop)
    assert len(ran) == 2 and sorted(result.done) == sorted(ran)
    assert len(result.skipped) == 18 and not result.failed


def test_a_failure_leaves_queued_independent_nodes_unstarted():
    dag = independent(20)
    both_running = threading.Barrier(2, timeout=30)
    other_may_finish = threading.Event()
    ran: list[int] = []
    lock = threading.Lock()

    def fn(n: int) -> None:
        with lock:
            ran.append(n)
            order = len(ran)
        if order <= 2:
            both_running.wait()
        if order == 1:
            try:
                raise RuntimeError("boom")
            finally:
                other_may_finish.set()
        if order == 2:
            other_may_finish.wait(30)  # finishes after the failure is known

    result = walk(dag, fn, parallelism=2)
    assert len(ran) <= 3  # at most one more node started before the failure came back
    assert len(result.failed) == 1 and len(result.done) == len(ran) - 1
    assert len(result.skipped) == 20 - len(ran)

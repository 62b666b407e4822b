"""A small generic DAG: topological order with cycle paths, and a bounded-parallel walker.

Knows nothing about OpenAI or resources (as Terraform's dag package): nodes are any
hashable keys, an edge `a -> b` means "a needs b first".
"""

from __future__ import annotations

import heapq
import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

N = TypeVar("N", bound=Hashable)


class CycleError(ValueError):
    def __init__(self, path: list[object]):
        self.path = path
        super().__init__("dependency cycle: " + " -> ".join(str(p) for p in path))


@dataclass
class DAG(Generic[N]):
    """Nodes with dependencies; `deps[a]` is the set of nodes `a` needs first."""

    deps: dict[N, set[N]] = field(default_factory=dict)

    def add(self, node: N, needs: Iterable[N] = ()) -> None:
        self.deps.setdefault(node, set()).update(needs)
        for n in needs:
            self.deps.setdefault(n, set())

    def __contains__(self, node: object) -> bool:
        return node in self.deps

    def __len__(self) -> int:
        return len(self.deps)

    def dependents(self) -> dict[N, set[N]]:
        out: dict[N, set[N]] = {n: set() for n in self.deps}
        for n, needs in self.deps.items():
            for m in needs:
                out[m].add(n)
        return out

    def topo_order(self) -> list[N]:
        """Dependencies first; among the nodes ready at a time, the earliest added goes first
        (so an order that already respects the edges comes back unchanged). Raises CycleError
        with the cycle's path."""
        index = {n: i for i, n in enumerate(self.deps)}
        indeg = {n: len(needs) for n, needs in self.deps.items()}
        users = self.dependents()
        ready = [index[n] for n in self.deps if indeg[n] == 0]
        nodes = list(self.deps)
        order: list[N] = []
        while ready:
            n = nodes[heapq.heappop(ready)]
            order.append(n)
            for u in users[n]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(ready, index[u])
        if len(order) != len(self.deps):
            raise CycleError(self._find_cycle({n for n in self.deps if indeg[n] > 0}))
        return order

    def _find_cycle(self, candidates: set[N]) -> list[object]:
        start = next(iter(candidates))
        seen: dict[N, int] = {}
        path: list[N] = []
        node = start
        while node not in seen:
            seen[node] = len(path)
            path.append(node)
            node = next(m for m in self.deps[node] if m in candidates)
        return [*path[seen[node] :], node]


@dataclass
class WalkResult(Generic[N]):
    done: list[N] = field(default_factory=list)
    failed: dict[N, BaseException] = field(default_factory=dict)
    skipped: list[N] = field(default_factory=list)


def walk(
    dag: DAG[N], fn: Callable[[N], None], parallelism: int = 10, stop: threading.Event | None = None
) -> WalkResult[N]:
    """Run `fn` on every node once its dependencies are done, at most `parallelism` at a time.

    After the first failure, or once `stop` is set, no new node starts (running ones finish);
    the rest are skipped. Ready nodes wait here, not in the pool's queue, so that holds for
    them too; a node handed out just as the walk stops is skipped before `fn` runs.
    """
    dag.topo_order()  # raises on cycles before anything runs
    users = dag.dependents()
    pending = {n: len(needs) for n, needs in dag.deps.items()}
    ready = deque(n for n, c in pending.items() if c == 0)
    result: WalkResult[N] = WalkResult()
    workers = max(1, parallelism)
    running: dict[Future[bool], N] = {}
    done: queue.SimpleQueue[Future[bool]] = queue.SimpleQueue()  # finished steps, in order: O(1) each

    def stopping() -> bool:
        return bool(result.failed) or (stop is not None and stop.is_set())

    def run(n: N) -> bool:
        """False: not started, the walk stopped while `n` waited for its thread."""
        if stopping():
            return False
        fn(n)
        return True

    with ThreadPoolExecutor(max_workers=workers) as pool:
        while ready or running:
            while ready and len(running) < workers and not stopping():
                n = ready.popleft()
                fut = pool.submit(run, n)
                running[fut] = n
                fut.add_done_callback(done.put)
            if not running:
                break
            finished = [done.get()]
            while not done.empty():
                finished.append(done.get())
            for fut in finished:
                n = running.pop(fut)
                exc = fut.exception()
                if exc is not None:
                    result.failed[n] = exc
                elif fut.result():
                    result.done.append(n)
                    for u in users[n]:
                        pending[u] -= 1
                        if pending[u] == 0:
                            ready.append(u)
    finished_nodes = set(result.done) | set(result.failed)
    result.skipped = [n for n in dag.deps if n not in finished_nodes]
    return result

"""Sorted id index with OpenAI-style cursor pagination.

Objects are ordered by ``(created_at, seq)``: many objects share a second, so the store's
monotonic insertion sequence breaks ties. Every operation is O(log n) plus the page size
(inserts at the end, the common case, are O(1)); removing shifts a list, which is a memmove.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

Key = tuple[int, int]

_MAX_TOMBSTONES = 100_000


@dataclass(frozen=True)
class Page:
    """One page of ids in the requested order, and whether more lie beyond it."""

    ids: list[str]
    has_more: bool


class OrderedIndex:
    """Ids kept sorted by key. Invariant: ``_keys`` is strictly increasing and ``_ids[i]``
    is the id whose key is ``_keys[i]``; ``_key_of`` maps every live id to its key.

    Removed ids keep their key as a tombstone, so a cursor naming an object deleted
    between two page requests still marks a place in the list.
    """

    def __init__(self) -> None:
        self._keys: list[Key] = []
        self._ids: list[str] = []
        self._key_of: dict[str, Key] = {}
        self._tombstones: dict[str, Key] = {}

    @classmethod
    def of(cls, entries: Iterable[tuple[str, Key]]) -> OrderedIndex:
        """An index of ``(id, key)`` entries built with one sort (as loading a store needs);
        a later entry for the same id replaces the earlier one, as with :meth:`add`."""
        index = cls()
        index._key_of = dict(entries)
        pairs = sorted((key, id_) for id_, key in index._key_of.items())
        index._keys = [key for key, _ in pairs]
        index._ids = [id_ for _, id_ in pairs]
        return index

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: str) -> bool:
        return id_ in self._key_of

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))

    def add(self, id_: str, key: Key) -> None:
        if id_ in self._key_of:
            self.remove(id_)
        if not self._keys or key > self._keys[-1]:
            self._keys.append(key)
            self._ids.append(id_)
        else:
            i = bisect_left(self._keys, key)
            self._keys.insert(i, key)
            self._ids.insert(i, id_)
        self._key_of[id_] = key
        self._tombstones.pop(id_, None)

    def remove(self, id_: str) -> None:
        key = self._key_of.pop(id_, None)
        if key is None:
            return
        i = bisect_left(self._keys, key)
        del self._keys[i]
        del self._ids[i]
        if len(self._tombstones) >= _MAX_TOMBSTONES:
            self._tombstones.pop(next(iter(self._tombstones)))
        self._tombstones[id_] = key

    def cursor_key(self, id_: str) -> Key | None:
        """The key of a live or recently removed id, or None when it was never here."""
        return self._key_of.get(id_) or self._tombstones.get(id_)

    def page(
        self,
        *,
        limit: int,
        order: str = "desc",
        after: Key | None = None,
        before: Key | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> Page:
        """The ids of one page, in ``order``.

        ``after`` keeps the objects that follow that key in the chosen order and ``before``
        the ones that precede it. Without ``after``, a ``before`` page holds the ``limit``
        objects closest to the cursor and ``has_more`` says whether more precede them;
        otherwise the page starts at the beginning (or after the cursor) and ``has_more``
        says whether more follow it.
        """
        keys = self._keys
        if order == "asc":
            lo = bisect_right(keys, after) if after is not None else 0
            hi = bisect_left(keys, before) if before is not None else len(keys)
            forward = True
        else:
            lo = bisect_right(keys, before) if before is not None else 0
            hi = bisect_left(keys, after) if after is not None else len(keys)
            forward = False
        if before is not None and after is None:
            forward = not forward  # walk from the cursor back towards the start
        positions = range(lo, hi) if forward else range(hi - 1, lo - 1, -1)
        ids: list[str] = []
        has_more = False
        for i in positions:
            id_ = self._ids[i]
            if keep is not None and not keep(id_):
                continue
            if len(ids) == limit:
                has_more = True
                break
            ids.append(id_)
        if before is not None and after is None:
            ids.reverse()  # collected nearest-first; present them in the requested order
        return Page(ids, has_more)

"""One item ahead: overlap producing the next item with consuming the current one."""

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def fetched_ahead(items: Iterable[T]) -> Iterator[T]:
    """The same items in the same order, the next one produced in a thread while the caller works on
    the current one. It pays where producing releases the GIL (file reads, gunzip, hashing, DuckDB).
    At most one item is held beyond the caller's. Items must not be None."""
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(next, iterator, None)
        while (item := upcoming.result()) is not None:
            upcoming = pool.submit(next, iterator, None)
            yield item

"""Columns of text for lines formatted many at once: numpy writes the parts of equal width into
fixed-width rows, Arrow keeps the rest and joins the parts (see usage.track_lines)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class TextColumn:
    """A column of ASCII texts that grows by appending, kept as one byte buffer and its offsets (as
    Arrow keeps strings), so that the texts of many rows are gathered by one Arrow `take`. Texts
    appended since the last `take` are copied into the buffer together."""

    def __init__(self) -> None:
        self.data = np.zeros(1 << 16, np.uint8)
        self.offsets = np.zeros(1 << 10, np.int32)  # text k is data[offsets[k]:offsets[k + 1]]
        self.kept = 0  # texts in the buffer
        self.appended: list[str] = []  # and after them
        self.count = 0

    def append(self, text: str) -> None:
        self.appended.append(text)
        self.count += 1

    def take(self, rows: np.ndarray) -> pa.Array:
        """The texts of `rows` (indices), as an Arrow string array."""
        if self.appended:
            lengths = np.fromiter(map(len, self.appended), np.int32, len(self.appended))
            added = "".join(self.appended).encode()
            if len(added) != lengths.sum():  # a character's length is its byte's only in ASCII
                raise ValueError("a TextColumn holds ASCII texts only")
            size, count = int(self.offsets[self.kept]), self.kept + len(self.appended)
            self.data = _room(self.data, size + len(added))
            self.offsets = _room(self.offsets, count + 1)
            self.data[size : size + len(added)] = np.frombuffer(added, np.uint8)
            self.offsets[self.kept + 1 : count + 1] = size + np.cumsum(lengths)
            self.kept, self.appended = count, []
        buffers = [None, pa.py_buffer(self.offsets[: self.count + 1]), pa.py_buffer(self.data)]
        return pa.Array.from_buffers(pa.string(), self.count, buffers).take(rows)


def _room(array: np.ndarray, size: int) -> np.ndarray:
    """`array`, or a copy twice as long, so that it holds at least `size` items."""
    if size <= len(array):
        return array
    grown = np.zeros(max(size, 2 * len(array)), array.dtype)
    grown[: len(array)] = array
    return grown


_POWERS = 10 ** np.arange(10, -1, -1, dtype=np.int64)


def digits(numbers: np.ndarray) -> np.ndarray:
    """Numbers below 10**11 as 11 ASCII digits with leading zeros, one row each."""
    if len(numbers) and not 0 <= numbers.min() <= numbers.max() < 10**11:
        raise ValueError("digits writes numbers from 0 to 10**11 - 1")
    return (numbers[:, None] // _POWERS % 10 + ord("0")).astype(np.uint8)


def fixed_width(parts: list[bytes | np.ndarray]) -> pa.Array:
    """Rows of equal width, each the concatenation of `parts`: constant bytes, or one row of bytes per
    row (uint8 arrays of shape (rows, width)), as an Arrow string array (ASCII) over the same memory."""
    rows = next(len(part) for part in parts if isinstance(part, np.ndarray))
    widths = [len(part) if isinstance(part, bytes) else part.shape[1] for part in parts]
    block = np.empty((rows, sum(widths)), np.uint8)
    at = 0
    for part, width in zip(parts, widths, strict=True):
        block[:, at : at + width] = np.frombuffer(part, np.uint8) if isinstance(part, bytes) else part
        at += width
    offsets = np.arange(0, (rows + 1) * block.shape[1], block.shape[1], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(block)])

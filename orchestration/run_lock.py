"""One run at a time per warehouse directory.

Two runs interleaving their steps could publish marts that the other run built and never checked, so a
run takes an exclusive lock on `<warehouse>/.run.lock` for its whole duration. The lock is a kernel
`flock`: it is released when the process ends, however it ends (a run killed with SIGKILL leaves no
stale lock behind). The file records who holds it, for the message the second run prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".run.lock"


class RunInProgressError(RuntimeError):
    """Another run holds the warehouse directory."""


@contextmanager
def exclusive_run(warehouse_dir: Path) -> Iterator[None]:
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path = warehouse_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown process"
            raise RunInProgressError(
                f"another run is in progress on {warehouse_dir} ({holder}); this run did nothing. "
                "Wait for it to finish, or stop it, then run again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

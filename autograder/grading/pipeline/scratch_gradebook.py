"""A unit's gradebook is scratch: a copy of the grader's, written by nbgrader's autograde and read back by
collect in the same grading process, then left (a unit that did not finish is graded again, from a new
copy). nbgrader opens it a dozen times per unit and commits about 35 times; sqlite's default makes every
commit wait for the disk (fsync), 0.1-0.3 s of a unit on a busy machine. While a unit runs, connections
to its gradebook skip that wait (synchronous OFF, the journal in memory); every other database (the
course's gradebook, the grader's master) keeps sqlite's defaults."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine

_SCRATCH: set[str] = set()


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(connection: Any, record: Any) -> None:
    if not _SCRATCH or not isinstance(connection, sqlite3.Connection):
        return
    databases = connection.execute("PRAGMA database_list").fetchall()
    if any(row[2] in _SCRATCH for row in databases if row[1] == "main"):
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA journal_mode=MEMORY")


@contextmanager
def scratch(path: Path) -> Iterator[None]:
    """Connections opened to the gradebook at `path` within the block skip the disk's wait."""
    keys = {str(path), str(path.resolve())}
    _SCRATCH.update(keys)
    try:
        yield
    finally:
        _SCRATCH.difference_update(keys)

"""The service's own state, in sqlite beside the course's gradebook: every submission it has seen,
what was decided for it, and whether it is graded. It survives a restart: a submission whose grading
was under way when the service stopped is queued again, and graded to the end once.

One row per inbound folder (its name is nbgrader's `student+assignment+timestamp+random`):
  state: queued -> grading -> done (or failed: the grading machine's fault; it uses no attempt);
         deferred (after the deadline) -> queued | not_counted;
         superseded (replaced by a newer submission while it waited); refused (a bad inbound entry, not the
         student's own, or over the size limits: inbound.py; note says why);
         ignored (an assignment this service does not grade)
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator, Optional

from .policy import Claimed

SCHEMA = """
CREATE TABLE IF NOT EXISTS submission (
    name TEXT PRIMARY KEY,          -- the inbound folder's name
    seq INTEGER NOT NULL,           -- arrival order
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    timestamp TEXT NOT NULL,        -- the time in its name, as nbgrader collect reads it
    arrived REAL NOT NULL,          -- when the service saw it complete (epoch seconds)
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    started REAL,                   -- when its grading (last) started
    finished REAL,                  -- when its feedback was released
    gradings INTEGER NOT NULL DEFAULT 0,  -- completed gradings (1 for every done submission)
    score REAL,
    max_score REAL,
    note TEXT NOT NULL DEFAULT '',
    timings TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS by_student ON submission (student, assignment, seq);
CREATE INDEX IF NOT EXISTS by_state ON submission (state, not_before);
"""
# columns added since the first state files, added to an older file when it is opened
ADDED = {"owner": "TEXT NOT NULL DEFAULT ''",          # the inbound folder's Unix owner
         "kept_bytes": "INTEGER NOT NULL DEFAULT 0"}    # what the service's copy of it holds
CLAIMING = ("queued", "grading", "done")   # states that hold a graded attempt
# A waiting submission's round (of `s`, in the queue since its time came): how many of the same student's
# submissions are ahead of it in the queue, or began their grading while it waited. Graded by round, a
# student's second waits for everyone's first.
ROUND = ("SELECT COUNT(*) FROM submission o WHERE o.student = s.student AND o.name != s.name AND ("
         "(o.state = 'queued' AND o.not_before <= s.not_before AND (o.not_before < s.not_before OR o.seq < s.seq)) "
         "OR (o.started IS NOT NULL AND o.started >= MAX(s.arrived, s.not_before)))")


@dataclass
class Row:
    name: str
    seq: int
    student: str
    assignment: str
    timestamp: str
    arrived: float
    state: str
    attempt: int = 0
    not_before: float = 0.0
    started: Optional[float] = None
    finished: Optional[float] = None
    gradings: int = 0
    score: Optional[float] = None
    max_score: Optional[float] = None
    note: str = ""
    timings: str = "{}"
    owner: str = ""
    kept_bytes: int = 0

    @property
    def timing(self) -> dict[str, float]:
        return json.loads(self.timings)


COLUMNS = [f.name for f in fields(Row)]


class State:
    """The sqlite file, shared by the service's threads (one connection, one lock: writes are tiny)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.RLock()
        self.db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")   # a release is never recorded before it is on disk
        self.db.executescript(SCHEMA)
        have = {r[1] for r in self.db.execute("PRAGMA table_info(submission)")}
        for column, kind in ADDED.items():
            if column not in have:
                self.db.execute(f"ALTER TABLE submission ADD COLUMN {column} {kind}")

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _rows(self, sql: str, args: tuple = ()) -> list[Row]:
        with self.lock:
            cur = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM submission {sql}", args)
            return [Row(*r) for r in cur.fetchall()]

    def get(self, name: str) -> Optional[Row]:
        rows = self._rows("WHERE name = ?", (name,))
        return rows[0] if rows else None

    def names(self) -> set[str]:
        with self.lock:
            return {r[0] for r in self.db.execute("SELECT name FROM submission")}

    def all(self) -> list[Row]:
        return self._rows("ORDER BY seq")

    def deferred(self) -> list[Row]:
        return self._rows("WHERE state = 'deferred' ORDER BY seq")

    def of(self, student: str, assignment: str) -> list[Row]:
        return self._rows("WHERE student = ? AND assignment = ? ORDER BY seq", (student, assignment))

    def claimed(self, student: str, assignment: str) -> list[Claimed]:
        return [Claimed(r.name, r.attempt, r.not_before, r.state != "done", r.state == "queued")
                for r in self.of(student, assignment) if r.state in CLAIMING]

    def kept_bytes(self, student: str) -> int:
        """What the service keeps of this student's submissions, in bytes."""
        with self.lock:
            return self.db.execute("SELECT COALESCE(SUM(kept_bytes), 0) FROM submission WHERE student = ?",
                                   (student,)).fetchone()[0]

    def next_seq(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM submission").fetchone()[0]

    def add(self, row: Row, supersedes: Optional[str] = None) -> bool:
        """A new submission with its decision, and the waiting one it replaces, in one transaction;
        False (nothing written) if that one is no longer waiting: its grading has begun."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                row.seq = row.seq or self.next_seq()
                if supersedes:
                    changed = self.db.execute("UPDATE submission SET state = 'superseded', note = ? WHERE name = ? "
                                              "AND state = 'queued'", (f"replaced by {row.name}", supersedes)).rowcount
                    if not changed:
                        self.db.execute("ROLLBACK")
                        return False
                self.db.execute(f"INSERT INTO submission ({', '.join(COLUMNS)}) VALUES "
                                f"({', '.join('?' * len(COLUMNS))})", tuple(getattr(row, c) for c in COLUMNS))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return True

    def set(self, name: str, **values: object) -> None:
        with self.lock:
            sets = ", ".join(f"{k} = ?" for k in values)
            self.db.execute(f"UPDATE submission SET {sets} WHERE name = ?", (*values.values(), name))

    def recover(self) -> list[Row]:
        """After a restart: submissions whose grading was under way are queued again (returned)."""
        with self.lock:
            rows = self._rows("WHERE state = 'grading'")
            self.db.execute("UPDATE submission SET state = 'queued' WHERE state = 'grading'")
            return rows

    def queue(self, now: float) -> list[Row]:
        """The submissions whose time has come and that wait for a grading slot, in the order they are
        graded (claim's): round by round, each student's first waiting submission before anyone's
        second, each round in order of arrival (a replaced submission's place is its replacement's)."""
        return self._rows(f"s WHERE state = 'queued' AND not_before <= ? ORDER BY ({ROUND}), not_before, seq",
                          (now,))

    def claim(self, now: Optional[float] = None) -> Optional[Row]:
        """The next submission to grade, marked as grading: the first in the queue's order (round robin
        by student: one student's many submissions never hold back the others) among those with no
        other submission of the same student's assignment being graded or waiting before it (so each
        student's are graded in their order)."""
        now = time.time() if now is None else now
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                row = self.db.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM submission s WHERE state = 'queued' AND not_before <= ? "
                    "AND NOT EXISTS (SELECT 1 FROM submission o WHERE o.student = s.student AND "
                    "o.assignment = s.assignment AND (o.state = 'grading' OR (o.state = 'queued' AND o.seq < s.seq)))"
                    f" ORDER BY ({ROUND}), not_before, seq LIMIT 1", (now,)).fetchone()
                if row is not None:
                    self.db.execute("UPDATE submission SET state = 'grading', started = ? WHERE name = ?",
                                    (now, row[0]))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        if row is None:
            return None
        found = Row(*row)
        found.state, found.started = "grading", now
        return found

    def grading(self) -> list[Row]:
        return self._rows("WHERE state = 'grading' ORDER BY started")

    def recent_done(self, n: int) -> list[Row]:
        """The last n submissions graded, latest first."""
        return self._rows("WHERE state = 'done' AND finished IS NOT NULL ORDER BY finished DESC LIMIT ?", (n,))

    def next_due(self) -> Optional[float]:
        with self.lock:
            return self.db.execute("SELECT MIN(not_before) FROM submission WHERE state = 'queued'").fetchone()[0]

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.db.execute("SELECT state, COUNT(*) FROM submission GROUP BY state").fetchall())

    def waiting(self, now: float) -> Iterator[float]:
        """Seconds each submission due now and not yet being graded has waited since it became due."""
        with self.lock:
            for arrived, nb in self.db.execute("SELECT arrived, not_before FROM submission WHERE state = 'queued' "
                                               "AND not_before <= ?", (now,)):
                yield now - max(arrived, nb)

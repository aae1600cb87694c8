"""The launch records (SQLite, LTITool.records): written by the hub (as root) at each accepted launch,
read by the passback (as the instructor, read-only).

- person: every LMS student who launched, and the account made for them (accounts.py); a student's
  account name, once given, is theirs for good;
- membership: which LMS course (deployment, context) each student launched from: their scores go there;
- grade_service: each LMS course's Assignment and Grade Services endpoint, from its latest launch;
- seen_nonce: the nonce of every accepted launch until it expires, so that a launch is never
  accepted twice (a replay), whatever the browser's cookies.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from . import accounts
from .records import GradeService, Person

SCHEMA = """
CREATE TABLE IF NOT EXISTS person (
    issuer TEXT NOT NULL, subject TEXT NOT NULL, username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '', given_name TEXT NOT NULL DEFAULT '', family_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '', first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (issuer, subject));
CREATE TABLE IF NOT EXISTS membership (
    issuer TEXT NOT NULL, subject TEXT NOT NULL, deployment_id TEXT NOT NULL, context_id TEXT NOT NULL,
    last_seen REAL NOT NULL, PRIMARY KEY (issuer, subject, deployment_id, context_id));
CREATE TABLE IF NOT EXISTS grade_service (
    issuer TEXT NOT NULL, deployment_id TEXT NOT NULL, context_id TEXT NOT NULL, title TEXT NOT NULL,
    lineitems TEXT NOT NULL, scopes TEXT NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (issuer, deployment_id, context_id));
CREATE TABLE IF NOT EXISTS seen_nonce (nonce TEXT PRIMARY KEY, expires REAL NOT NULL);
"""
PERSON = ("issuer", "subject", "username", "name", "given_name", "family_name", "email")
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"


@contextmanager
def transaction(path: Path, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    """One short transaction on a SQLite file, begun IMMEDIATE (writers wait their turn, never
    interleave) and committed, or rolled back on any error; readonly: a plain read-only connection."""
    if readonly:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
            yield db
        return
    with closing(sqlite3.connect(str(path), timeout=30, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


class LaunchRecords:
    """The records file; every method opens it for one short transaction (the hub's requests and
    the passback's reads never hold it)."""

    def __init__(self, path: Path, readonly: bool = False, group: int = -1):
        """readonly: the passback's view; otherwise the file is made if missing, readable by its owner
        and, when given, one group (the instructor's: the passback reads it), nobody else (it holds
        the students' names and e-mail addresses)."""
        self.path, self.readonly = Path(path), readonly
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            if group >= 0:
                os.chown(self.path, -1, group)
                self.path.chmod(0o640)
            with closing(sqlite3.connect(str(self.path), timeout=10)) as db:
                db.executescript(SCHEMA)

    def _db(self) -> Any:
        return transaction(self.path, self.readonly)

    # ---------- written by the hub, at each accepted launch
    def first_use(self, nonce: str, expires: float) -> bool:
        """Record a launch's nonce; False if it was seen before (the launch is a replay)."""
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM seen_nonce WHERE expires < ?", (now - 3600,))
            try:
                db.execute("INSERT INTO seen_nonce VALUES (?, ?)", (nonce, expires))
            except sqlite3.IntegrityError:
                return False
        return True

    def student(self, claims: dict, prefix: str, taken: Callable[[str], bool]) -> Person:
        """The account of the student this launch is for: theirs if they came before, else a new name
        (accounts.new_name), never one another LMS identity or an existing account holds. Their
        names and e-mail address are brought up to date; the account name never changes."""
        now = time.time()
        issuer, subject = str(claims["iss"]), str(claims["sub"])
        names = {k: str(claims.get(k) or "") for k in ("name", "given_name", "family_name", "email")}
        with self._db() as db:
            row = db.execute("SELECT username FROM person WHERE issuer = ? AND subject = ?",
                             (issuer, subject)).fetchone()
            if row:
                username = row[0]
                db.execute("UPDATE person SET name = ?, given_name = ?, family_name = ?, email = ?, last_seen = ? "
                           "WHERE issuer = ? AND subject = ?", (*names.values(), now, issuer, subject))
            else:
                def used(name: str) -> bool:
                    return taken(name) or db.execute("SELECT 1 FROM person WHERE username = ?", (name,)).fetchone() is not None
                username = accounts.new_name(claims, prefix, used)
                db.execute("INSERT INTO person VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (issuer, subject, username, *names.values(), now, now))
            deployment, context = str(claims.get(DEPLOYMENT_CLAIM, "")), str((claims.get(CONTEXT_CLAIM) or {}).get("id", ""))
            db.execute("INSERT OR REPLACE INTO membership VALUES (?, ?, ?, ?, ?)", (issuer, subject, deployment, context, now))
        return Person(issuer, subject, username, **names)

    def grade_service(self, claims: dict) -> Optional[GradeService]:
        """The launch's LMS course and its grade service endpoint (kept: the passback posts there);
        None if the launch carries no line items URL (the LMS did not grant the tool its grade service)."""
        ags = claims.get(AGS_CLAIM) or {}
        context = claims.get(CONTEXT_CLAIM) or {}
        if not ags.get("lineitems"):
            return None
        service = GradeService(str(claims["iss"]), str(claims.get(DEPLOYMENT_CLAIM, "")), str(context.get("id", "")),
                               str(context.get("title") or context.get("label") or ""), str(ags["lineitems"]),
                               tuple(str(s) for s in ags.get("scope", [])))
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO grade_service VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (service.issuer, service.deployment_id, service.context_id, service.title, service.lineitems,
                        json.dumps(service.scopes), time.time()))
        return service

    # ---------- read by the passback
    def people(self) -> dict[str, Person]:
        """Every student who launched, by account name."""
        if not self.path.exists():
            return {}
        with self._db() as db:
            rows = db.execute(f"SELECT {', '.join(PERSON)} FROM person").fetchall()
        return {r[2]: Person(*r) for r in rows}

    def services_of(self, person: Person) -> list[GradeService]:
        """The grade services of the LMS courses this student launched from."""
        with self._db() as db:
            rows = db.execute(
                "SELECT g.issuer, g.deployment_id, g.context_id, g.title, g.lineitems, g.scopes FROM membership m "
                "JOIN grade_service g ON g.issuer = m.issuer AND g.deployment_id = m.deployment_id AND "
                "g.context_id = m.context_id WHERE m.issuer = ? AND m.subject = ? ORDER BY m.last_seen",
                (person.issuer, person.subject)).fetchall()
        return [GradeService(*r[:5], tuple(json.loads(r[5]))) for r in rows]

    def services(self) -> dict[str, GradeService]:
        """Every LMS course's grade service, by its key."""
        if not self.path.exists():
            return {}
        with self._db() as db:
            rows = db.execute("SELECT issuer, deployment_id, context_id, title, lineitems, scopes FROM grade_service").fetchall()
        found = [GradeService(*r[:5], tuple(json.loads(r[5]))) for r in rows]
        return {s.key: s for s in found}

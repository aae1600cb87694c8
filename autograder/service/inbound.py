"""The exchange's inbound folder of one course, as `nbgrader submit` fills it.

`nbgrader submit` (nbgrader/exchange/default/submit.py) copies the student's files into
`<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/`, then writes
timestamp.txt, then submission_secret.txt (the key of the student's feedback), and last makes the
folder mode 0777. A submission is taken once its secret is complete and that last step is done (or
the folder has not changed for a while, for an exchange that sets other modes).
"""
from __future__ import annotations

import os
import pwd
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

SECRET_LENGTH = 128        # secrets.token_hex(64)
SETTLED_SECONDS = 2.0      # a folder unchanged this long is complete whatever its mode
NAME = re.compile(r"^(?P<student>[^+*/]+)\+(?P<assignment>[^+*/]+)\+(?P<timestamp>[^+/]+)(?:\+(?P<random>[^+/]*))?$")


@dataclass(frozen=True)
class Submission:
    """One folder in the inbound folder."""
    path: Path
    student: str
    assignment: str
    timestamp: str      # from the folder name, as nbgrader collect reads it

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def secret(self) -> str:
        return (self.path / "submission_secret.txt").read_text().strip()


def inbound(exchange: Path, course_id: str) -> Path:
    return exchange / course_id / "inbound"


def parse(path: Path) -> Optional[Submission]:
    m = NAME.match(path.name)
    if m is None:
        return None
    return Submission(path, m["student"], m["assignment"], m["timestamp"])


def scan(folder: Path, known: set[str]) -> Iterator[Submission]:
    """New, complete submissions in `folder`, in the order of their timestamps."""
    try:
        entries = [e for e in os.scandir(folder) if e.name not in known and not e.name.startswith(".")]
    except FileNotFoundError:
        return
    found = [s for s in (parse(Path(e.path)) for e in entries) if s is not None]
    for sub in sorted(found, key=lambda s: (s.timestamp, s.name)):
        if complete(sub.path):
            yield sub


def complete(path: Path, now: Optional[float] = None) -> bool:
    try:
        secret = (path / "submission_secret.txt").read_text()
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return False
    if len(secret.strip()) != SECRET_LENGTH:
        return False
    now = time.time() if now is None else now
    return (st.st_mode & 0o777) == 0o777 or now - st.st_mtime > SETTLED_SECONDS


def owner_problem(sub: Submission, check_owner: bool) -> str:
    """Why this folder cannot be graded as the work of the student its name claims ("" when it can).
    On a multi-user exchange each student's `nbgrader submit` runs as that student, so the folder's
    owner is the student: a name claiming someone else is refused (nbgrader collect only warns)."""
    if not check_owner:
        return ""
    try:
        uid = sub.path.stat().st_uid
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"owned by user id {uid}, which has no name, not by {sub.student}"
    except FileNotFoundError:
        return "removed before it could be read"
    if owner != sub.student:
        return f"named as {sub.student}'s but owned by {owner}"
    return ""

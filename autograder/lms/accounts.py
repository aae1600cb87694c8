"""Which account a launch logs into: the LMS role decides instructor or student; a student's account
name is made once from their LMS identity and kept (store.py), so that it is

- stable: the same LMS person (issuer, subject) always gets the same account, whatever later changes
  of their name or e-mail address;
- safe: a valid Unix user name (lower-case letters, digits, '-' and '_', starting with a letter, at
  most 32 characters), never an account that exists already on the machine (root, the instructor,
  a system user), never one chosen by what a student typed;
- readable: from the e-mail address or the name the LMS sends, so that Formgrader and grades.csv
  show `ada-lovelace`, not a hash; with a number appended when it is taken (`ada-lovelace-2`);
  two LMS users never share one.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Callable, Iterator, Optional

MAX_LENGTH = 32                        # useradd's limit
UNIX_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
PREFIX = re.compile(r"^([a-z][a-z0-9_-]*)?$")


def role_of(roles: list[str], instructor_roles: list[str], learner_roles: list[str]) -> Optional[str]:
    """'instructor' if the launch carries an instructor role, else 'learner' if a learner role, else
    None (no account: a mentor, an administrator without a course role, a guest)."""
    if any(r in instructor_roles for r in roles):
        return "instructor"
    if any(r in learner_roles for r in roles):
        return "learner"
    return None


def _plain(text: str) -> str:
    """Lower-case ASCII letters and digits, every other run of characters one '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def base_name(claims: dict, prefix: str = "") -> str:
    """What a new student's account name is made from: the e-mail address's local part, else the
    given and family names, else the full name; without any of them (an LMS that withholds names)
    a digest of the LMS identity. Always a valid Unix name of at most MAX_LENGTH - 4 characters
    (room for a '-NNN' suffix)."""
    if not PREFIX.match(prefix):
        raise ValueError(f"username_prefix {prefix!r}: letters, digits, '-' or '_', starting with a letter")
    email = str(claims.get("email") or "")
    given = f"{claims.get('given_name') or ''} {claims.get('family_name') or ''}"
    for source in (email.partition("@")[0], given, str(claims.get("name") or "")):
        word = _plain(source)
        word = re.sub(r"^[^a-z]+", "", word)     # a Unix name starts with a letter
        if word:
            break
    else:
        digest = hashlib.sha256(f"{claims.get('iss')}|{claims.get('sub')}".encode()).hexdigest()
        word = f"u{digest[:10]}"
    room = MAX_LENGTH - 4 - len(prefix)
    return (prefix + word[:room]).rstrip("-_")


def candidates(base: str) -> Iterator[str]:
    """base, base-2, base-3, ...: every one a valid name of at most MAX_LENGTH characters."""
    yield base
    n = 2
    while True:
        suffix = f"-{n}"
        yield base[:MAX_LENGTH - len(suffix)] + suffix
        n += 1


def new_name(claims: dict, prefix: str, taken: Callable[[str], bool]) -> str:
    """The first candidate that is not taken (by another LMS identity, or an account on this machine)."""
    for name in candidates(base_name(claims, prefix)):
        assert UNIX_NAME.match(name) and len(name) <= MAX_LENGTH, name
        if not taken(name):
            return name
    raise AssertionError("unreachable: candidates never end")

"""The exchange's inbound folder of one course, as `nbgrader submit` fills it, read as hostile ground.

`nbgrader submit` (nbgrader/exchange/default/submit.py) copies the student's files into
`<exchange>/<course>/inbound/<student>+<assignment>+<timestamp>+<random>/`, then writes
timestamp.txt, then submission_secret.txt (the key of the student's feedback), and last makes the
folder mode 0777. A submission is taken once its secret is complete and that last step is done (or
the folder has not changed for a while, for an exchange that sets other modes).

Every student can write into inbound/, and the service reads it as root or as the instructor, so
nothing there is trusted. A bad entry costs only itself: it is reported once (`Submission.problem`)
and never read again, and the scan never waits on it.
- Names are read as `nbgrader collect` reads them (nbgrader/exchange/default/collect.py
  `_path_to_record`: `rsplit('+', 3)`, the time parsed by `nbgrader.utils.parse_utc`): the student is
  everything before the last three `+`, so a Unix name holding `+` (which `nbgrader submit` takes from
  the account when no --student is given) is that student's.
- An entry is opened once, without following a link (O_NOFOLLOW), and all else is read relative to
  that handle: a symlink, a file or a FIFO where a folder should be is reported, never followed, and a
  folder cannot be swapped for a link between two checks.
- Its Unix owner is read from that handle and checked before anything inside is read.
- submission_secret.txt is opened with O_NOFOLLOW | O_NONBLOCK: a FIFO, a device or a link is reported
  without blocking or streaming; only a regular file is read, at most SECRET_READ bytes.
- `keep` copies regular files only (links stay links, which the grader's intake refuses; FIFOs,
  sockets and devices are left out), after counting entries and bytes against the service's limits:
  a submission over them is refused whole, before a byte of it is copied.
"""
from __future__ import annotations

import errno
import itertools
import os
import pwd
import re
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

SECRET_LENGTH = 128        # secrets.token_hex(64)
SECRET_READ = 1024         # bytes read of a secret at most: a real one has 128
SETTLED_SECONDS = 2.0      # a folder unchanged this long is complete whatever its mode
INCOMPLETE_SECONDS = 120.0  # a folder still without a complete secret this long after it was seen is bad
KEYS = ("timestamp.txt", "submission_secret.txt")   # written by the service into its copy, never copied
SKIPPED = (".ipynb_checkpoints",)                   # left out as the grader's intake leaves them out
HEX = re.compile(r"^[0-9a-f]+$")
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


@dataclass(frozen=True)
class Limits:
    """What the service copies of one submission, and keeps of one student (FeedbackService's traits)."""
    submission_bytes: int = 50_000_000
    student_bytes: int = 500_000_000
    entries: int = 1000


@dataclass(frozen=True)
class Submission:
    """One entry of the inbound folder, as the service found it."""
    path: Path
    student: str = ""         # as its name gives them (nbgrader collect's reading); "" if the name is not one
    assignment: str = ""
    timestamp: str = ""       # from the name, as nbgrader collect reads it
    owner: str = ""           # its Unix owner ("uid N" when the account has no name)
    secret: str = ""          # submission_secret.txt as written (the key of its feedback), when usable
    notebooks: tuple[str, ...] = ()   # the .ipynb names at its top level
    problem: str = ""         # why it is not graded ("" when it is complete and its own)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Kept:
    """What `keep` copied."""
    bytes: int
    left_out: tuple[str, ...] = ()   # entries not copied, each with why


class TooBig(Exception):
    """A submission over the service's limits: refused whole, nothing copied."""


def inbound(exchange: Path, course_id: str) -> Path:
    return exchange / course_id / "inbound"


def parse(path: Path) -> Optional[Submission]:
    """The student, assignment and time a folder's name gives, as nbgrader collect reads them."""
    from nbgrader.utils import parse_utc   # nbgrader: 1.6 s of start-up; service/settings.py (the options) imports this module without it
    parts = path.name.rsplit("+", 3)
    if len(parts) < 3 or not all(parts[:3]):
        return None
    try:
        parse_utc(parts[2])
    except (ValueError, OverflowError, TypeError):
        return None
    return Submission(path, student=parts[0], assignment=parts[1], timestamp=parts[2])


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISREG, "a file")):
        if test(mode):
            return name
    return "not a file"


def _read_small(dir_fd: int, name: str, limit: int) -> tuple[Optional[str], str]:
    """(the text of a regular file, ""), or (None, why not): never follows a link, never blocks."""
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None, ""
    except PermissionError:   # not readable yet (a submit under a strict umask): as if not written yet
        return None, ""
    except OSError as err:
        if err.errno == errno.ELOOP:
            return None, f"its {name} is a symbolic link"
        return None, f"its {name} cannot be opened ({err.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"its {name} is {_kind(st.st_mode)}, not a file"
        data = os.read(fd, limit)
    finally:
        os.close(fd)
    return data.decode("ascii", "replace"), ""


class Inbound:
    """The inbound folder, read as hostile (see the module's docstring)."""

    def __init__(self, folder: Path, check_owner: bool = True, limits: Limits = Limits()):
        self.folder, self.check_owner, self.limits = folder, check_owner, limits
        self.first_seen: dict[str, float] = {}   # incomplete folders, by name: when first seen

    def scan(self, known: set[str], now: Optional[float] = None) -> Iterator[Submission]:
        """New entries that are decided: complete submissions and bad entries (with their problem), in
        the order of their timestamps. An incomplete folder is looked at again on the next scan."""
        now = time.time() if now is None else now
        try:
            entries = [e for e in os.scandir(self.folder) if e.name not in known and not e.name.startswith(".")]
        except FileNotFoundError:
            return
        found = [s for s in (self.read_entry(Path(e.path), now) for e in entries) if s is not None]
        for sub in sorted(found, key=lambda s: (s.timestamp, s.name)):
            self.first_seen.pop(sub.name, None)
            yield sub

    def read_entry(self, path: Path, now: float) -> Optional[Submission]:
        try:
            return self.look(path, now)
        except OSError as err:   # whatever else the entry does to a read: it alone
            return Submission(path, problem=f"could not be read ({type(err).__name__}: {err.strerror or err})")

    def look(self, path: Path, now: float) -> Optional[Submission]:
        """What this entry is (None: an incomplete folder, to look at again later)."""
        claimed = parse(path) or Submission(path)
        try:
            fd = os.open(path, DIR_FLAGS)
        except FileNotFoundError:
            return None
        except OSError as err:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return None
            kind = _kind(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                kind += f" to {os.readlink(path)}"
            if err.errno in (errno.ELOOP, errno.ENOTDIR):
                return self._bad(claimed, _owner(st.st_uid), f"{kind}, not a folder: not followed")
            # closed to the service (run as the instructor): a submit under a strict umask opens it at its end
            return self._later(claimed, now, _owner(st.st_uid), f"it cannot be opened ({err.strerror})")
        try:
            return self._look_inside(fd, claimed, now)
        finally:
            os.close(fd)

    def _later(self, sub: Submission, now: float, owner: str, why: str, problem: str = "") -> Optional[Submission]:
        """None (looked at again) until the entry has been incomplete for INCOMPLETE_SECONDS, then bad
        (with `problem`, when one is known already)."""
        first = self.first_seen.setdefault(sub.name, now)
        if now - first < INCOMPLETE_SECONDS:
            return None
        return self._bad(sub, owner, problem or f"{why} {INCOMPLETE_SECONDS:g} s after it appeared: not a finished "
                                                "nbgrader submit")

    def _bad(self, sub: Submission, owner: str, problem: str) -> Submission:
        return Submission(sub.path, sub.student, sub.assignment, sub.timestamp, owner=owner, problem=problem)

    def _look_inside(self, fd: int, claimed: Submission, now: float) -> Optional[Submission]:
        st = os.fstat(fd)
        owner = _owner(st.st_uid)
        if not claimed.student:
            return self._bad(claimed, owner, "its name is not student+assignment+time+random as nbgrader submit "
                                             "makes it (or its time cannot be read)")
        # decided before anything inside is read; its secret is still read (as safely as any other's), so
        # that whoever holds it learns why nothing is graded
        problem = f"named as {claimed.student}'s but owned by {owner}" if self.check_owner and \
            owner != claimed.student else ""
        text, why = _read_small(fd, "submission_secret.txt", SECRET_READ)
        stripped = (text or "").strip()
        if not why and stripped and (len(stripped) > SECRET_LENGTH or not HEX.match(stripped)):
            why = f"its submission_secret.txt is not the {SECRET_LENGTH} hexadecimal characters nbgrader submit writes"
        if why:
            return self._bad(claimed, owner, problem or why)
        secret = text if len(stripped) == SECRET_LENGTH else ""
        settled = (st.st_mode & 0o777) == 0o777 or now - st.st_mtime > SETTLED_SECONDS
        if not (secret and settled):
            return self._later(claimed, now, owner, "no complete submission_secret.txt", problem)
        with os.scandir(fd) as it:   # names only, and no more of them than a submission may hold
            notebooks = tuple(sorted(e.name for e in itertools.islice(it, self.limits.entries)
                                     if e.name.endswith(".ipynb")))
        return Submission(claimed.path, claimed.student, claimed.assignment, claimed.timestamp, owner=owner,
                          secret=secret, notebooks=notebooks, problem=problem)

    # ---------- the copy
    def keep(self, sub: Submission, dest: Path, already: int = 0) -> Kept:
        """Copy the submission into `dest` (the service's own folder), with the secret and time it was
        taken with; TooBig (nothing copied) past the limits, `already` being what the student's other
        kept submissions hold. The folder is opened again without following links, and must still be
        owned by whom it was when it was scanned."""
        fd = os.open(sub.path, DIR_FLAGS)
        try:
            if _owner(os.fstat(fd).st_uid) != sub.owner:
                raise PermissionError(f"{sub.name} changed owner since it was read")
            plan, left_out = self._plan(fd)
            total = sum(size for _, size in plan.values() if size is not None)
            if total > self.limits.submission_bytes:
                raise TooBig(f"it holds {_mb(total)} in files; the course's grader takes a submission of up to "
                             f"{_mb(self.limits.submission_bytes)}")
            if already + total > self.limits.student_bytes:
                raise TooBig(f"your submissions kept for feedback would hold {_mb(already + total)}, over the "
                             f"{_mb(self.limits.student_bytes)} kept per student")
            if dest.exists():   # a copy begun before the service was stopped
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            copied = self._copy(fd, plan, dest)
        finally:
            os.close(fd)
        (dest / "timestamp.txt").write_text(sub.timestamp)
        (dest / "submission_secret.txt").write_text(sub.secret)
        return Kept(copied, tuple(left_out))

    def _plan(self, top: int) -> tuple[dict[str, tuple[str, Optional[int]]], list[str]]:
        """relative path -> (kind, size of a file), walking without following links; TooBig past the
        number of entries (read no further)."""
        plan: dict[str, tuple[str, Optional[int]]] = {}
        left_out: list[str] = []
        todo = [("", top)]
        try:
            while todo:
                rel, fd = todo.pop()
                try:
                    with os.scandir(fd) as it:
                        for e in it:
                            if len(plan) + len(left_out) >= self.limits.entries:
                                raise TooBig(f"it holds more than {self.limits.entries} files and folders")
                            if e.name in SKIPPED or (not rel and e.name in KEYS):
                                continue
                            path, st = f"{rel}{e.name}", e.stat(follow_symlinks=False)
                            if stat.S_ISDIR(st.st_mode):
                                plan[path] = ("dir", None)
                                todo.append((path + "/", os.open(e.name, DIR_FLAGS, dir_fd=fd)))
                            elif stat.S_ISREG(st.st_mode):
                                plan[path] = ("file", st.st_size)
                            elif stat.S_ISLNK(st.st_mode):
                                plan[path] = ("link", None)
                            else:
                                left_out.append(f"{path} ({_kind(st.st_mode)})")
                finally:
                    if fd != top:
                        os.close(fd)
        finally:
            for _, fd in todo:
                if fd != top:
                    os.close(fd)
        return plan, left_out

    def _copy(self, top: int, plan: dict[str, tuple[str, Optional[int]]], dest: Path) -> int:
        copied = 0
        for rel, (kind, size) in sorted(plan.items()):
            target = dest / rel
            if kind == "dir":
                target.mkdir(parents=True, exist_ok=True)
                continue
            parent = _open_path(top, rel.rpartition("/")[0])
            try:
                name = rel.rpartition("/")[2]
                if kind == "link":   # kept as a link (never followed here), which intake refuses and reports
                    os.symlink(os.readlink(name, dir_fd=parent), target)
                    continue
                fd = os.open(name, FILE_FLAGS, dir_fd=parent)
            finally:
                if parent != top:
                    os.close(parent)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):   # swapped since the plan: left out
                    continue
                left = size or 0                              # no more than it held when counted
                with open(target, "wb") as out:
                    while left > 0:
                        chunk = os.read(fd, min(left, 1 << 20))
                        if not chunk:
                            break
                        out.write(chunk)
                        left -= len(chunk)
                        copied += len(chunk)
            finally:
                os.close(fd)
        return copied


def _open_path(top: int, rel: str) -> int:
    """A folder below `top`, opened component by component without following links."""
    fd = top
    for part in [p for p in rel.split("/") if p]:
        nxt = os.open(part, DIR_FLAGS, dir_fd=fd)
        if fd != top:
            os.close(fd)
        fd = nxt
    return fd


def _mb(n: int) -> str:
    """A size as the service's messages write it: 1.07 GB, 50 MB, 16 kB (powers of 1000, as the traits)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n / 1e3:.3g} kB"

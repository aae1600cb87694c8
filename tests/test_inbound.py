"""The grading service reads the exchange's inbound folder, which every student can write, as hostile
(autograder/service/inbound.py), on small planted folders (fast tier). Each bad entry costs only
itself: it is decided at once, never blocks or streams, is copied never, and is named with why. The
whole service with real accounts and nbgrader's own submit is tests/test_inbound_service.py."""
import os
import pwd
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from autograder.paths import ROOT
from autograder.service.inbound import Inbound, Limits, TooBig, parse
from tests.exchange_class import app, blank_gradebook
from tests.test_service_policy import SECRET, released_page, service, submission

A = "01_conv_forward"
TS = "2026-12-01 10:00:00.000000 UTC"


def decided(inbound: Inbound, seconds: float = 5.0) -> dict:
    """name -> problem of each entry the scan decides, from a thread given `seconds`: a read that blocks
    (a FIFO opened without O_NONBLOCK) fails the test instead of hanging it."""
    found: dict = {}

    def scan() -> None:
        found.update({s.name: s.problem for s in inbound.scan(set())})
    worker = threading.Thread(target=scan, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the scan blocked on an entry"
    return found


def test_a_secret_that_is_a_fifo_a_device_or_a_link_is_named_at_once_and_never_read(tmp_path):
    fifo = submission(tmp_path, f"ann+{A}+{TS}+fifo")
    (fifo / "submission_secret.txt").unlink()
    os.mkfifo(fifo / "submission_secret.txt")
    zero = submission(tmp_path, f"bea+{A}+{TS}+zero")
    (zero / "submission_secret.txt").unlink()
    (zero / "submission_secret.txt").symlink_to("/dev/zero")
    huge = submission(tmp_path, f"cid+{A}+{TS}+huge")      # a sparse GiB of hex: 1 KiB of it is read
    with open(huge / "submission_secret.txt", "w") as fh:
        fh.write("a" * 200)
        fh.truncate(2 ** 30)
    honest = submission(tmp_path, f"dan+{A}+{TS}+ok")
    start = time.monotonic()
    found = decided(Inbound(tmp_path, check_owner=False))
    assert time.monotonic() - start < 2
    assert found == {fifo.name: "its submission_secret.txt is a FIFO, not a file",
                     zero.name: "its submission_secret.txt is a symbolic link",
                     huge.name: "its submission_secret.txt is not the 128 hexadecimal characters nbgrader submit writes",
                     honest.name: ""}


def test_entries_that_are_not_folders_are_never_followed(tmp_path):
    other = submission(tmp_path / "elsewhere", f"ann+{A}+{TS}+real")
    inbound = tmp_path / "inbound"
    inbound.mkdir()
    (inbound / f"mal+{A}+{TS}+link").symlink_to(other)                   # a link to another student's folder
    (inbound / f"mal+{A}+{TS}+file").write_text(SECRET)
    os.mkfifo(inbound / f"mal+{A}+{TS}+fifo")
    (inbound / "mal-was-here").mkdir()
    found = decided(Inbound(inbound, check_owner=False))
    assert found == {f"mal+{A}+{TS}+link": f"a symbolic link to {other}, not a folder: not followed",
                     f"mal+{A}+{TS}+file": "a file, not a folder: not followed",
                     f"mal+{A}+{TS}+fifo": "a FIFO, not a folder: not followed",
                     "mal-was-here": "its name is not student+assignment+time+random as nbgrader submit makes it "
                                     "(or its time cannot be read)"}


@contextmanager
def as_nobody() -> Iterator[Path]:
    """A folder readable by all, and this process as `nobody` meanwhile (as a service run by the
    instructor reads inbound, which root never does: root opens everything)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user")
    base = Path(tempfile.mkdtemp(prefix="cnn-inbound-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        os.seteuid(0)
        shutil.rmtree(base, ignore_errors=True)


def test_a_folder_that_never_completes_is_named_after_a_while():
    with as_nobody() as base:
        stuck = base / f"ann+{A}+{TS}+stuck"
        stuck.mkdir()
        closed = submission(base, f"bea+{A}+{TS}+closed")    # as a submit under umask 077 leaves it midway
        closed.chmod(0o700)
        inbound = Inbound(base, check_owner=False)
        now = time.time()
        os.seteuid(pwd.getpwnam("nobody").pw_uid)
        assert list(inbound.scan(set(), now)) == []                # maybe still being written: wait
        assert list(inbound.scan(set(), now + 60)) == []
        late = {s.name: s.problem for s in inbound.scan(set(), now + 600)}
        os.seteuid(0)
    assert late == {stuck.name: "no complete submission_secret.txt 120 s after it appeared: not a finished nbgrader submit",
                    closed.name: "it cannot be opened (Permission denied) 120 s after it appeared: not a finished "
                                 "nbgrader submit"}


def test_the_copy_takes_regular_files_within_the_limits_and_nothing_else(tmp_path):
    inbound = Inbound(tmp_path / "inbound", check_owner=False, limits=Limits(submission_bytes=10_000, student_bytes=15_000,
                                                                            entries=20))
    folder = submission(tmp_path / "inbound", f"ann+{A}+{TS}+r")
    (folder / "data").mkdir()
    (folder / "data" / "notes.txt").write_text("x" * 1000)
    (folder / "data" / "answers").symlink_to("/etc/shadow")                 # kept as a link: intake refuses it
    os.mkfifo(folder / "data" / "pipe")
    (folder / "submission_secret.txt").write_text(SECRET)
    sub = inbound.look(folder, time.time())
    kept = inbound.keep(sub, tmp_path / "kept")
    assert sorted(str(p.relative_to(tmp_path / "kept")) for p in (tmp_path / "kept").rglob("*")) == \
        [f"{A}.ipynb", "data", "data/answers", "data/notes.txt", "submission_secret.txt", "timestamp.txt"]
    assert (tmp_path / "kept" / "data" / "answers").is_symlink()
    assert kept.bytes == 1002 and kept.left_out == ("data/pipe (a FIFO)",)
    assert (tmp_path / "kept" / "timestamp.txt").read_text() == TS          # the name's time, not the file's

    with open(folder / "data" / "big.bin", "wb") as fh:                     # sparse: costs no disk
        fh.truncate(2 ** 30)
    with pytest.raises(TooBig, match="holds 1.07 GB in files; the course's grader takes a submission of up to 10 kB"):
        inbound.keep(sub, tmp_path / "big")
    assert not (tmp_path / "big").exists()                                  # refused before a byte was copied
    (folder / "data" / "big.bin").unlink()
    with pytest.raises(TooBig, match="would hold 16 kB, over the 15 kB kept per student"):
        inbound.keep(sub, tmp_path / "again", already=15_000)
    for i in range(30):
        (folder / "data" / f"f{i}").touch()
    with pytest.raises(TooBig, match="more than 20 files and folders"):
        inbound.keep(sub, tmp_path / "many")


def test_names_are_read_as_nbgrader_collect_reads_them(tmp_path):
    """A student id with '+', '.', '-' and digits: nbgrader's own collect and the service agree on whose
    submission each folder is and when it was made."""
    course, inbound = tmp_path / "course", tmp_path / "exchange" / "cnn-inside" / "inbound"
    course.mkdir()
    inbound.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.course_id = 'cnn-inside'\n"
                                               f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n")
    blank_gradebook(course / "gradebook.db")
    times = {"ann": "2026-12-01 10:00:00.000000 UTC", "b.o-9": "2026-12-01 10:01:00.000000 UTC",
             "c+d": "2026-12-01 10:02:00.000000 UTC"}
    names = {student: f"{student}+{A}+{t}+{student[0]}R4nd_-" for student, t in times.items()}
    for student, name in names.items():
        (submission(inbound, name) / "timestamp.txt").write_text(times[student])
    app(course, "collect", A)
    collected = {p.name: (p / A / "timestamp.txt").read_text() for p in (course / "submitted").iterdir()}
    assert collected == times
    assert {parse(inbound / n).student: parse(inbound / n).timestamp for n in names.values()} == collected


def test_refused_folders_tell_their_student_why_and_the_instructor_by_name(tmp_path):
    svc = service(tmp_path, None)
    svc.inbound.limits = Limits(submission_bytes=100_000)
    big = submission(svc.folder, f"bob+{A}+{TS}+big")
    with open(big / "data.bin", "wb") as fh:
        fh.truncate(2 ** 30)
    fifo = submission(svc.folder, f"cy+{A}+{TS}+fifo")
    (fifo / "submission_secret.txt").unlink()
    os.mkfifo(fifo / "submission_secret.txt")
    plus = submission(svc.folder, f"c+d+{A}+{TS}+ok")
    for sub in svc.inbound.scan(set()):
        svc.arrive(sub, time.time())
    assert {r.name: r.state for r in svc.state.all()} == {big.name: "refused", fifo.name: "refused", plus.name: "queued"}
    page = released_page(svc.setup.exchange)                       # bob's secret is usable: he is told
    assert "submission not graded" in page and "1.07 GB in files" in page and "used no attempt" in page
    svc.write_status()
    status = (tmp_path / "autograder-service.html").read_text()
    assert big.name in status and fifo.name in status and "its submission_secret.txt is a FIFO" in status
    assert "Entries in inbound that were not graded (2)" in status
    assert "Students whose user name holds + (1)" in status and "<li><code>c+d</code></li>" in status
    assert (tmp_path / "autograder-service.html").stat().st_mode & 0o077 == 0   # the instructor's alone


def test_a_student_whose_name_holds_a_plus_fetches_their_feedback(tmp_path):
    """nbgrader 0.9.6's own fetch_feedback stops on a cache folder of a user named `c+d` (its three-way
    split of the name) and fetches nothing; with the hub's students' configuration
    (hub/students_nbgrader_config.py) it fetches the page released for that submission (and the other
    user's)."""
    from nbgrader.utils import notebook_hash
    exchange, cache, home = tmp_path / "exchange", tmp_path / "cache", tmp_path / "home"
    (exchange / "cnn-inside" / "feedback").mkdir(parents=True)
    home.mkdir()
    stamps = {"c+d": "2026-12-01 10:02:00.000000 UTC", "ann": "2026-12-01 10:03:00.000000 UTC"}
    for student, stamp in stamps.items():
        secret = (student.replace("+", "p") * 128)[:128]
        folder = cache / "cnn-inside" / f"{student}+{A}+{stamp}"    # as nbgrader submit caches it
        folder.mkdir(parents=True)
        (folder / f"{A}.ipynb").write_text("{}")
        (folder / "submission_secret.txt").write_text(secret)
        (exchange / "cnn-inside" / "feedback" / f"{notebook_hash(secret=secret, notebook_id=A)}.html").write_text(
            f"the page of {student}")
    args = ["--course=cnn-inside", f"--Exchange.root={exchange}", f"--Exchange.cache={cache}",
            f"--Exchange.assignment_dir={home}", A]
    with pytest.raises(ValueError, match="too many values to unpack"):
        app(home, "fetch_feedback", *args)
    assert not (home / A).exists()
    shutil.copy(ROOT / "hub" / "students_nbgrader_config.py", home / "nbgrader_config.py")   # read from the cwd
    app(home, "fetch_feedback", *args)
    fetched = {p.parent.name: p.read_text() for p in (home / A / "feedback").glob(f"*/{A}.html")}
    assert fetched == {stamp: f"the page of {student}" for student, stamp in stamps.items()}
    assert sorted(p.name for p in (cache / "cnn-inside").iterdir()) == sorted(f"{s}+{A}+{t}" for s, t in stamps.items())

"""`nbgrader collect` in the course (its nbgrader_config.py names service/collect.py's SafeCollect) reads
inbound as the grading service does: what a student plants there (a link to the instructor's files, a
FIFO, a folder under another student's name) is left out and named, never followed, never waited on, and
every honest submission is collected. nbgrader's own collect, run on the same folder, shows why."""
import os
import shutil
import threading
from pathlib import Path

from tests.exchange_class import app, blank_gradebook
from tests.test_service_policy import submission

A = "01_conv_forward"
TS = "2026-12-01 10:00:00.000000 UTC"
LATER = "2026-12-01 11:00:00.000000 UTC"


def course_with(tmp_path: Path, collect: str, check_owner: bool) -> tuple[Path, Path]:
    course, inbound = tmp_path / "course", tmp_path / "exchange" / "cnn-inside" / "inbound"
    course.mkdir()
    inbound.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'cnn-inside'\n"
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n"
        f"c.ExchangeFactory.collect = {collect!r}\nc.ExchangeCollect.check_owner = {check_owner}\n")
    blank_gradebook(course / "gradebook.db")
    return course, inbound


def collect(course: Path, seconds: float = 20.0) -> None:
    """nbgrader's CollectApp in this process, from a thread given `seconds`: a collect that blocks (a FIFO
    opened for reading) fails the test instead of hanging it."""
    worker = threading.Thread(target=app, args=(course, "collect", A), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "collect blocked on an entry of inbound"


def plant(tmp_path: Path, inbound: Path) -> Path:
    """ann's honest submission, with a link to the instructor's files and a FIFO inside; bob's name on a
    link to ann's folder, newer; a FIFO named as cat's submission. Returns the instructor's file."""
    secret = tmp_path / "instructor" / "solutions.txt"
    secret.parent.mkdir()
    secret.write_text("THE REFERENCE SOLUTION")
    ann = submission(inbound, f"ann+{A}+{TS}+r1")
    (ann / "notes.txt").symlink_to(secret)
    os.mkfifo(ann / "pipe")
    (inbound / f"bob+{A}+{LATER}+r2").symlink_to(ann)
    os.mkfifo(inbound / f"cat+{A}+{TS}+r3")
    return secret


def test_collect_takes_regular_files_and_follows_nothing(tmp_path, capfd):
    course, inbound = course_with(tmp_path, "autograder.service.collect.SafeCollect", check_owner=False)
    plant(tmp_path, inbound)
    collect(course)
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["ann"]
    got = submitted / "ann" / A
    assert (got / "notes.txt").is_symlink() and not (got / "pipe").exists()   # a link stays a link: intake refuses it
    assert "THE REFERENCE SOLUTION" not in "".join(p.read_text() for p in got.rglob("*") if p.is_file() and not p.is_symlink())
    assert (got / "timestamp.txt").read_text() == TS
    said = capfd.readouterr().err
    assert f"bob+{A}+{LATER}+r2" in said and "a symbolic link" in said and "not followed" in said
    assert f"cat+{A}+{TS}+r3" in said and "a FIFO" in said


def test_a_folder_under_another_students_name_is_left_out(tmp_path, capfd):
    """With nbgrader's check_owner (its default), a folder whose Unix owner is not the student its name
    claims is not collected (nbgrader's own collect only warns, and takes it)."""
    course, inbound = course_with(tmp_path, "autograder.service.collect.SafeCollect", check_owner=True)
    claimed = submission(inbound, f"dan+{A}+{TS}+r4")
    own = submission(inbound, f"nobody+{A}+{TS}+r5")
    for folder in (claimed, own):
        for path in (folder, *folder.iterdir()):
            os.chown(path, 65534, 65534, follow_symlinks=False)   # nobody's, as that account's submit leaves it
    collect(course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["nobody"]
    said = capfd.readouterr().err
    assert f"dan+{A}+{TS}+r4" in said and "named as dan's but owned by nobody" in said


def test_nbgrader_s_own_collect_follows_the_link(tmp_path):
    """Why the course does not use nbgrader's own: it copies the instructor's file's text into submitted/."""
    course, inbound = course_with(tmp_path, "nbgrader.exchange.default.collect.ExchangeCollect", check_owner=False)
    plant(tmp_path, inbound)
    os.remove(inbound / f"cat+{A}+{TS}+r3")     # it would block nbgrader's collect for good
    os.remove(inbound / f"ann+{A}+{TS}+r1" / "pipe")
    collect(course)
    copied = course / "submitted" / "ann" / A / "notes.txt"
    assert not copied.is_symlink() and copied.read_text() == "THE REFERENCE SOLUTION"
    shutil.rmtree(course / "submitted")

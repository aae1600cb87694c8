"""The hub launcher's decisions that need no hub (fast tier): which state folders it refuses, what it
writes into an account's home and how, how its options are read. tests/test_hub.py runs the real hub."""
from __future__ import annotations

import contextlib
import os
import pwd
import signal
from pathlib import Path

import pytest

from autograder.deploy import accounts, cgroups, hub as hubmod
from autograder.deploy.run import HubRun


@pytest.fixture
def open_tmp(tmp_path_factory):
    """A folder every account may pass through (pytest's own are 0700 from the top)."""
    import shutil
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="cnn-hub-setup-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def within(seconds: int):
    """TimeoutError in the block after that many seconds (a FIFO opened without O_NONBLOCK blocks)."""
    def expired(signum, frame):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_in(tmp_path: Path, **kw) -> HubRun:
    return HubRun(**dict(dict(port=8000, state=str(tmp_path / "state"), instructor="instructor",
                              students=("student1",), password="x" * 12, isolated=False), **kw))


def test_a_state_folder_under_a_closed_folder_is_refused(open_tmp):
    closed = open_tmp / "closed"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    why = hubmod.unservable(closed / "state" / "deeper")
    assert why.startswith(f"{closed} is closed to other accounts (mode 0700)"), why
    closed.chmod(0o711)      # others may pass through: served
    assert hubmod.unservable(closed / "state") == ""


def test_every_folder_above_is_checked(open_tmp):
    top = open_tmp / "a"
    (top / "b").mkdir(parents=True)
    top.chmod(0o750)         # a closed folder two levels up
    assert str(top) in hubmod.unservable(top / "b" / "state")


@pytest.mark.skipif(os.geteuid() != 0, reason="ownership is root's to check")
def test_a_state_folder_of_another_owner_is_refused(open_tmp):
    state = open_tmp / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    assert "belongs to user id 65534, not root" in hubmod.unservable(state)
    os.chown(state, 0, 0)
    assert hubmod.unservable(state) == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="writes as root into a home it does not own")
def test_writing_into_a_home_follows_no_planted_link(tmp_path):
    home = tmp_path / "home"
    (home / "course").mkdir(parents=True)
    target = tmp_path / "roots-file"
    target.write_text("root's\n")
    (home / ".profile").symlink_to(target)
    nobody = pwd.getpwuid(65534).pw_name
    with pytest.raises(OSError):
        accounts.write_in_home(home, ".profile", "hijacked\n", nobody)
    (home / "link").symlink_to(tmp_path, target_is_directory=True)   # a folder on the way
    with pytest.raises(OSError):
        accounts.write_in_home(home, "link/roots-file", "hijacked\n", nobody)
    os.link(target, home / "hard")
    with pytest.raises(PermissionError):
        accounts.write_in_home(home, "hard", "hijacked\n", nobody)
    os.mkfifo(home / "fifo")              # would block a plain open for writing until someone reads
    with within(10), pytest.raises(OSError) as refused:
        accounts.write_in_home(home, "fifo", "hijacked\n", nobody)
    assert not isinstance(refused.value, TimeoutError), "writing into a planted FIFO blocked"
    assert target.read_text() == "root's\n"
    accounts.write_in_home(home, "course/nbgrader_config.py", "c = 1\n", nobody)   # a plain file: written, theirs
    written = home / "course" / "nbgrader_config.py"
    assert written.read_text() == "c = 1\n" and written.stat().st_uid == 65534


def test_reading_from_a_home_takes_plain_small_files_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("# theirs\n")
    assert accounts.read_in_home(home, ".profile") == "# theirs\n"
    assert accounts.read_in_home(home, ".bash_profile") == ""          # none
    (tmp_path / "secret").write_text("root's\n")
    (home / "link").symlink_to(tmp_path / "secret")
    os.mkfifo(home / "fifo")
    with open(home / "huge", "wb") as huge:
        huge.truncate(accounts.MAX_READ + 1)
    for planted in ("link", "fifo", "huge"):
        with within(10), pytest.raises(OSError) as refused:
            accounts.read_in_home(home, planted)
        assert not isinstance(refused.value, TimeoutError), f"reading the planted {planted} blocked"


def test_the_course_config_keeps_what_follows_the_hubs_line(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setattr(HubRun, "home", lambda self, user: home)
    run = run_in(tmp_path)
    course = run.course()
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    hubmod.point_at_exchange(run)
    with (course / "nbgrader_config.py").open("a") as config:
        config.write("c.FeedbackPolicy.minutes_between = 0\n")
    hubmod.point_at_exchange(dataclass_replace(run, state=str(tmp_path / "other")))   # the next start
    lines = (course / "nbgrader_config.py").read_text().splitlines()
    assert lines == ["c = get_config()", "c.FeedbackPolicy.minutes_between = 0", hubmod.HUB_MARK,
                     f"c.Exchange.root = {str(tmp_path / 'other' / 'exchange')!r}"], lines


def dataclass_replace(run: HubRun, **kw) -> HubRun:
    import dataclasses
    return dataclasses.replace(run, **kw)


def test_the_profile_block_gives_the_role_its_environment_and_group(tmp_path, monkeypatch):
    run = run_in(tmp_path, isolated=True, cgroups="cgroup1")
    monkeypatch.setattr(cgroups, "cgroup_parents", lambda kind: [Path("/cg/memory/x"), Path("/cg/pids")])
    block = accounts.profile_block(run, "instructor")
    assert f"export PATH={run.env('instructor')}/bin:\"$PATH\"" in block
    assert f"export JUPYTER_CONFIG_PATH={run.config_dir('instructor')}" in block
    assert "for group in /cg/memory/x/cnn-hub-instructor /cg/pids/cnn-hub-instructor; do" in block
    student = accounts.profile_block(run, "student1")
    assert f"{run.env('student')}/bin" in student and "cnn-hub-student1" in student
    assert str(run.env("instructor")) not in student


def test_the_profile_block_is_replaced_not_added_again(tmp_path, monkeypatch):
    run = run_in(tmp_path, isolated=True)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("# the account's own\n")
    monkeypatch.setattr(HubRun, "home", lambda self, user: home)
    monkeypatch.setattr(accounts, "write_in_home", lambda h, rel, text, owner: (h / rel).write_text(text))
    accounts.write_profile(run, "student1")
    accounts.write_profile(run, "student1")
    text = (home / ".profile").read_text()
    assert text.startswith("# the account's own\n") and text.count(accounts.PROFILE_BEGIN) == 1, text


def hub_of(*argv: str) -> hubmod.Hub:
    app = hubmod.HubApp()
    app.initialize(list(argv))
    return app.hub()


def test_options_are_traits_from_the_command_line_and_flags(capsys):
    hub = hub_of("--Hub.port=8201", "--Hub.account_prefix=hb-", "--Hub.state_dir=/srv/x", "--no-feedback-service")
    assert (hub.port, hub.account_prefix, hub.state(), hub.feedback_service) == (8201, "hb-", Path("/srv/x"), False)
    hub = hub_of("--port", "8300", "--state=/srv/y", "--single-account")     # the short forms
    assert (hub.port, hub.state(), hub.single_account) == (8300, Path("/srv/y"), True)
    for wrong, said in (("--Hub.nope=1", "unknown option --Hub.nope"), ("--prot=1", "unknown option --prot")):
        with pytest.raises(SystemExit) as exit:
            hub_of(wrong)
        assert exit.value.code == 2 and said in capsys.readouterr().err


def test_students_are_named_as_a_class_names_them_or_refused_in_one_line(capsys):
    assert hub_of("--Hub.students=2").student_accounts() == ("student1", "student2")
    named = ["--Hub.account_prefix=hb-", "--Hub.student_names=ada", "--Hub.student_names=c+d",
             "--Hub.student_names=b.o-9"]
    assert hub_of(*named).student_accounts() == ("hb-ada", "hb-c+d", "hb-b.o-9")
    for bad in ("Ada", "../x", "a b", "-a", "a" * 25):
        with pytest.raises(SystemExit) as exit:
            hub_of(f"--Hub.student_names={bad}")
        said = capsys.readouterr().err
        assert exit.value.code == 2 and f"{bad!r} is not a user name this hub makes" in said, said


def test_the_students_nbgrader_configuration_reads_user_names_with_a_plus(tmp_path):
    """What the hub writes for the students' servers and terminals holds hub/students_nbgrader_config.py
    (nbgrader's fetch_feedback for names with '+'; tests/test_inbound.py runs it), after their exchange."""
    run = HubRun(port=1, state=str(tmp_path / "state"), instructor="i", students=("s",), password="", isolated=False)
    hubmod.write_jupyter_config(run)
    text = (run.config_dir("student") / "nbgrader_config.py").read_text()
    assert text.endswith(hubmod.STUDENTS_CONFIG.read_text()) and "c.Exchange.root" in text
    assert "FetchFeedback" not in (run.config_dir("instructor") / "nbgrader_config.py").read_text()


def test_the_banner_prints_the_instructors_commands_and_no_root_step(tmp_path):
    text = hubmod.banner(run_in(tmp_path))     # single account: homes in the state folder, no accounts needed
    for line in hubmod.instructor_commands():
        assert f"  {line}\n" in text
    assert "chown" not in text and "as root" not in text

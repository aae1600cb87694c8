"""The grading service's policy, state and inbound rules, on small inputs (fast tier). The end to end
path, through nbgrader's own submit and fetch_feedback, is in test_service.py."""
import os
import pwd
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder.service import grader as g
from autograder.service.inbound import Inbound, parse
from autograder.service.policy import Claimed, Decision, FeedbackPolicy, counted, decide
from autograder.service.serve import DueDates, Service
from autograder.service.state import Row, State
from autograder.service.status import PAGE
from tests.exchange_class import blank_gradebook

T0 = 1_800_000_000.0
MIN = 60.0


def policy(**kw) -> FeedbackPolicy:
    return FeedbackPolicy(config=Config({"FeedbackPolicy": kw}))


# ---------- decide
def test_first_attempts_are_graded_at_once_then_ten_minutes_apart():
    p = policy()
    first = decide(p, [], T0, None)
    assert (first.state, first.attempt, first.not_before) == ("queued", 1, T0)
    second = decide(p, [Claimed("a", 1, T0, False)], T0 + 3 * MIN, None)
    assert (second.state, second.attempt, second.not_before) == ("queued", 2, T0 + 10 * MIN)
    later = decide(p, [Claimed("a", 1, T0, False)], T0 + 30 * MIN, None)
    assert (later.attempt, later.not_before) == (2, T0 + 30 * MIN)


def test_resubmitting_while_waiting_replaces_the_waiting_one_and_takes_no_attempt():
    p = policy()
    claimed = [Claimed("a", 1, T0, False), Claimed("b", 2, T0 + 10 * MIN, True)]
    d = decide(p, claimed, T0 + 4 * MIN, None)
    assert (d.state, d.attempt, d.not_before, d.supersedes) == ("queued", 2, T0 + 10 * MIN, "b")


def test_past_the_limit_submissions_are_deferred_not_refused():
    p = policy(attempts=3, minutes_between=0)
    claimed = [Claimed(n, i + 1, T0 + i, False) for i, n in enumerate("abc")]
    d = decide(p, claimed, T0 + 5, None)
    assert (d.state, d.attempt) == ("deferred", 4)
    assert decide(policy(attempts=4, minutes_between=0), claimed, T0 + 5, None).state == "queued"


def test_deadline_and_switching_off():
    due = T0 + 5 * MIN
    assert decide(policy(), [], due + 1, due).state == "deferred"          # late: the instructor grades it
    waiting = decide(policy(), [Claimed("a", 1, T0, False)], T0 + MIN, due)  # its time would come too late
    assert waiting.state == "deferred"
    assert decide(policy(enabled=False), [], T0, None).state == "deferred"


def test_the_submission_that_counts():
    due = datetime(2026, 12, 1, 17, tzinfo=timezone.utc)
    times = {"early": due - timedelta(hours=2), "last": due - timedelta(minutes=1), "late": due + timedelta(hours=1)}
    assert counted(times, due, policy()) == "last"
    assert counted(times, due, policy(counts="last")) == "late"
    assert counted({"late": times["late"]}, due, policy()) == "late"   # nothing before: as collect --before-duedate
    assert counted(times, None, policy()) == "late"


def test_the_policy_in_words_names_the_numbers():
    text = policy(attempts=5, minutes_between=15).describe()
    assert "5 graded attempt(s)" in text and "15 minutes" in text
    assert "after the deadline" in policy(enabled=False).describe()
    no_wait = policy(minutes_between=0).describe()   # no "at least 0 minutes", no waiting to speak of
    assert "minutes" not in no_wait and "sooner" not in no_wait and "Submissions past the limit are kept" in no_wait


# ---------- state
def row(name: str, student: str, seq: int, state: str = "queued", not_before: float = T0, attempt: int = 1) -> Row:
    return Row(name=name, seq=seq, student=student, assignment="01", timestamp="t", arrived=T0, state=state,
               attempt=attempt, not_before=not_before)


def test_claims_follow_arrival_order_per_student_and_survive_a_restart(tmp_path):
    state = State(tmp_path / "s.db")
    state.add(row("a1", "alice", 1))
    state.add(row("a2", "alice", 2, attempt=2))
    state.add(row("b1", "bob", 3))
    state.add(row("c1", "carol", 4, not_before=T0 + 600))
    assert state.claim(T0).name == "a1"
    assert state.claim(T0).name == "b1"            # alice's second waits for her first
    assert state.claim(T0) is None                 # carol's time has not come
    state.close()
    again = State(tmp_path / "s.db")               # the service was killed while grading a1 and b1
    assert sorted(r.name for r in again.recover()) == ["a1", "b1"]
    assert [again.claim(T0).name for _ in range(2)] == ["a1", "b1"]
    again.set("a1", state="done")
    assert again.claim(T0).name == "a2"
    assert again.claim(T0 + 601).name == "c1"
    assert again.claimed("alice", "01") == [Claimed("a1", 1, T0, False), Claimed("a2", 2, T0, True)]
    assert again.claim(T0 + 602) is None


def test_one_students_many_submissions_never_hold_back_the_others(tmp_path):
    """Round robin by student: alice's three waiting submissions (three assignments) and bob's and carol's
    one each are graded alice, bob, carol, then alice's second and third; the queue's order is claim's."""
    state = State(tmp_path / "s.db")
    for seq, (name, student, assignment) in enumerate([("a1", "alice", "01"), ("a2", "alice", "02"),
                                                       ("a3", "alice", "03"), ("b1", "bob", "01"),
                                                       ("c1", "carol", "01")], start=1):
        state.add(Row(name=name, seq=seq, student=student, assignment=assignment, timestamp="t", arrived=T0 + seq,
                      state="queued", attempt=1, not_before=T0 + seq))
    now = T0 + 10
    assert [r.name for r in state.queue(now)] == ["a1", "b1", "c1", "a2", "a3"]
    assert [state.claim(now).name for _ in range(5)] == ["a1", "b1", "c1", "a2", "a3"]


def test_a_submission_waiting_in_the_queue_is_replaced_by_the_students_newer_one():
    p = policy(minutes_between=0, attempts=3)
    claimed = [Claimed("a", 1, T0, False), Claimed("b", 2, T0 + 5, True, queued=True)]
    d = decide(p, claimed, T0 + 9, None)   # b's time came at T0 + 5; it waits for a grading slot
    assert (d.state, d.attempt, d.not_before, d.supersedes) == ("queued", 2, T0 + 5, "b")
    grading = [Claimed("a", 1, T0, False), Claimed("b", 2, T0 + 5, True, queued=False)]
    assert decide(p, grading, T0 + 9, None) == Decision("queued", 3, T0 + 9)   # b is being graded: a new attempt


def test_each_waiting_submission_knows_its_place_and_when_its_feedback_comes():
    from autograder.service.queue import expected, per_grading
    done = [row(f"d{i}", "x", i, state="done") for i in range(3)]
    for i, r in enumerate(done):
        r.finished, r.timings = T0 + i, '{"grade": 1.5, "release": 0.5}'
    assert per_grading(done) == 2.0
    busy = [row("g1", "y", 10, state="grading")]
    busy[0].started = T0 + 99                      # 1 s in: about 1 s left
    queue = [row(f"q{i}", f"s{i}", 20 + i) for i in range(3)]
    waits = expected(queue, busy, T0 + 100, jobs=2, each=2.0)
    assert [(w.place, w.expected) for w in waits] == [(1, 2.0), (2, 3.0), (3, 4.0)]
    assert "2 submissions of the class are graded before it" in waits[2].line(T0 + 100)


def test_a_newer_submission_supersedes_the_waiting_one_in_one_step(tmp_path):
    state = State(tmp_path / "s.db")
    state.add(row("a1", "alice", 1, state="done"))
    state.add(row("a2", "alice", 2, not_before=T0 + 600, attempt=2))
    state.add(row("a3", "alice", 3, not_before=T0 + 600, attempt=2), supersedes="a2")
    assert [(r.name, r.state) for r in state.of("alice", "01")] == [("a1", "done"), ("a2", "superseded"),
                                                                    ("a3", "queued")]


# ---------- inbound
SECRET = "ab" * 64


def submission(inbound: Path, name: str, notebook: str = "01_conv_forward.ipynb") -> Path:
    """A folder as nbgrader submit leaves it (files, timestamp.txt, submission_secret.txt, mode 0777)."""
    folder = inbound / name
    folder.mkdir(parents=True)
    (folder / notebook).write_text("{}")
    (folder / "timestamp.txt").write_text(name.split("+")[2])
    (folder / "submission_secret.txt").write_text(SECRET)
    os.chmod(folder, 0o777)
    return folder


def test_inbound_names_and_complete_folders(tmp_path):
    sub = parse(tmp_path / "alice+01_conv_forward+2026-12-01 10:00:00.000000 UTC+xyz")
    assert (sub.student, sub.assignment, sub.timestamp) == ("alice", "01_conv_forward", "2026-12-01 10:00:00.000000 UTC")
    assert parse(tmp_path / "not-a-submission") is None
    inbound = Inbound(tmp_path, check_owner=False)
    folder = tmp_path / "bob+01+2026-12-01 10:00:00.000000 UTC+r"
    folder.mkdir()
    (folder / "submission_secret.txt").write_text(SECRET[:40])   # submit is still writing it
    assert inbound.look(folder, time.time()) is None
    (folder / "submission_secret.txt").write_text(SECRET)
    os.chmod(folder, 0o755)                                      # its last step (chmod 0777) not done yet
    assert inbound.look(folder, time.time()) is None
    os.chmod(folder, 0o777)
    assert [(s.name, s.problem, s.secret) for s in inbound.scan(set())] == [(folder.name, "", SECRET)]
    assert list(inbound.scan({folder.name})) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_folder_named_for_another_student_is_refused(tmp_path):
    nobody = pwd.getpwnam("nobody")
    folder = submission(tmp_path, "alice+01+2026-12-01 10:00:00.000000 UTC+r")
    os.chown(folder, nobody.pw_uid, nobody.pw_gid)
    assert "owned by nobody" in Inbound(tmp_path).look(folder, time.time()).problem
    assert Inbound(tmp_path, check_owner=False).look(folder, time.time()).problem == ""
    own = submission(tmp_path, "nobody+01+2026-12-01 10:00:00.000000 UTC+r")
    os.chown(own, nobody.pw_uid, nobody.pw_gid)
    assert Inbound(tmp_path).look(own, time.time()).problem == ""


# ---------- the service's decisions, released through nbgrader's ExchangeReleaseFeedback
def gradebook_with_due(path: Path, due: datetime) -> str:
    """A course gradebook with notebook 1's due date, made as `nbgrader db assignment add` makes it."""
    from nbgrader.api import Gradebook
    url = blank_gradebook(path)
    with Gradebook(url, "cnn-inside") as gb:
        gb.update_or_create_assignment("01_conv_forward", duedate=due.astimezone(timezone.utc).replace(tzinfo=None))
    return url


def released_page(exchange: Path, secret: str = SECRET, notebook: str = "01_conv_forward") -> str:
    from nbgrader.utils import notebook_hash
    return (exchange / "cnn-inside" / "feedback" / f"{notebook_hash(secret=secret, notebook_id=notebook)}.html").read_text()


def service(tmp_path: Path, due: datetime | None, **kw) -> Service:
    exchange = tmp_path / "exchange"
    (exchange / "cnn-inside" / "inbound").mkdir(parents=True)
    config = Config({"CourseDirectory": {"course_id": "cnn-inside"}})
    (tmp_path / "master" / "release" / "01_conv_forward").mkdir(parents=True)
    setup = g.Setup(home=tmp_path / "home", config=config, course_id="cnn-inside", exchange=exchange,
                    master=tmp_path / "master")
    dues = DueDates(gradebook_with_due(tmp_path / "gradebook.db", due) if due else "sqlite:///none", "cnn-inside")
    return Service(setup, policy(**kw), State(tmp_path / "s.db"), dues, make_grader=lambda: None, check_owner=False)


def test_the_fourth_submission_says_when_feedback_comes_and_the_deadline_grades_the_one_that_counts(tmp_path):
    due = datetime.now(timezone.utc) + timedelta(hours=1)
    svc = service(tmp_path, due, minutes_between=0)
    inbound = svc.folder
    names = [f"alice+01_conv_forward+2026-12-01 10:0{i}:00.000000 UTC+r{i}" for i in range(4)]
    now = time.time()
    for i, name in enumerate(names):
        sub = svc.inbound.look(submission(inbound, name), now)
        svc.arrive(sub, now + i)
        if i < 3:
            svc.state.set(name, state="done")
    rows = svc.state.of("alice", "01_conv_forward")
    assert [(r.state, r.attempt) for r in rows] == [("done", 1), ("done", 2), ("done", 3), ("deferred", 4)]
    page = released_page(svc.setup.exchange)
    assert "used your 3 attempts" in page and "after the deadline" in page and "is kept" in page
    assert (tmp_path / "home" / "submissions" / f"{rows[3].seq:07d}" / "alice" / "01_conv_forward" /
            "01_conv_forward.ipynb").is_file()                    # kept for the deadline
    svc.sweep(now + 10)                                           # before the deadline: nothing moves
    assert svc.state.get(names[3]).state == "deferred"
    svc.dues.dates["01_conv_forward"] = datetime.now(timezone.utc) - timedelta(seconds=1)
    svc.dues.read_at = time.monotonic()
    svc.sweep(time.time())
    assert svc.state.get(names[3]).state == "queued"              # the last before the deadline counts


def test_a_quick_resubmission_waits_and_replaces_the_waiting_one(tmp_path):
    svc = service(tmp_path, None)
    names = [f"bob+01_conv_forward+2026-12-01 10:0{i}:00.000000 UTC+r{i}" for i in range(3)]
    secrets = ["a" * 128, "b" * 128, "c" * 128]
    now = time.time()
    for i, name in enumerate(names):
        folder = submission(svc.folder, name)
        (folder / "submission_secret.txt").write_text(secrets[i])
        svc.arrive(svc.inbound.look(folder, now), now + i)
        if i == 0:
            svc.state.set(name, state="done")
    states = [(r.state, r.attempt) for r in svc.state.of("bob", "01_conv_forward")]
    assert states == [("done", 1), ("superseded", 2), ("queued", 2)]
    assert "replaced by a newer submission" in released_page(svc.setup.exchange, secrets[1])
    assert "graded at" in released_page(svc.setup.exchange, secrets[2])


def test_a_submission_behind_a_long_queue_is_told_its_place_and_the_instructor_sees_the_queue(tmp_path):
    svc = service(tmp_path, None, minutes_between=0)
    now = time.time()
    for i in range(12):   # twelve students ahead, each grading about 2 s, one job
        name = f"s{i:02d}+01_conv_forward+2026-12-01 10:00:{i:02d}.000000 UTC+r{i}"
        folder = submission(svc.folder, name)
        (folder / "submission_secret.txt").write_text(f"{i:02d}" * 64)
        svc.arrive(svc.inbound.look(folder, now), now)
    folder = submission(svc.folder, "zoe+01_conv_forward+2026-12-01 10:01:00.000000 UTC+z")
    (folder / "submission_secret.txt").write_text("f" * 128)
    svc.arrive(svc.inbound.look(folder, now), now)
    page = released_page(svc.setup.exchange, "f" * 128)
    assert "in the queue" in page and "12 submissions of the class are graded before it" in page
    assert "expected in about 25 seconds" in page                          # 13 gradings of 2 s, one job
    svc.write_status()                       # the instructor's page (status.py), with the queue
    queue = (svc.state.path.parent / PAGE).read_text()
    assert "Waiting to be graded (13)" in queue and "<th scope=\"row\">13</th><td>zoe</td>" in queue
    with pytest.raises(FileNotFoundError):   # s09's feedback is expected in 20 s: no page before it
        released_page(svc.setup.exchange, "09" * 64)
    assert "10 submissions of the class" in released_page(svc.setup.exchange, "10" * 64)


def test_a_renamed_assignment_is_not_graded_and_costs_no_attempt(tmp_path):
    svc = service(tmp_path, None)
    name = "bob+01_conv_forward_again+2026-12-01 10:00:00.000000 UTC+r"
    assert svc.arrive(svc.inbound.look(submission(svc.folder, name), time.time()), time.time()).state == "ignored"
    assert svc.state.claimed("bob", "01_conv_forward") == [] and svc.state.claim() is None


def test_withheld_hidden_tests_show_only_the_visible_verdicts():
    from autograder.grading.records import CellScore, UnitResult
    result = UnitResult("alice", "01_conv_forward", 3.0, 5.0, "x", tests={
        "01_conv_forward:test_zero_pad": CellScore(2.0, 2.0),
        "01_conv_forward:test_zero_pad_hidden": CellScore(1.0, 1.0),
        "01_conv_forward:test_conv_forward": CellScore(0.0, 2.0)})
    page = g.withheld_page(result, "01_conv_forward.ipynb", {"01_conv_forward:test_zero_pad_hidden"}, "t", "")
    assert "test_zero_pad</th><td>2 of 2</td><td>passed" in page and "test_conv_forward</th><td>0 of 2</td><td>failed" in page
    assert "test_zero_pad_hidden" not in page and "1 hidden test(s)" in page


def test_hidden_tests_are_read_from_the_solutions(first_master):
    hidden = g.hidden_tests(first_master)
    assert "01_conv_forward:test_conv_forward_hidden" in hidden and "01_conv_forward:test_conv_forward" not in hidden


def test_the_student_readme_states_the_courses_policy(tmp_path):
    from autograder.authoring.distribution import write_stage
    write_stage(tmp_path / "stage", ["01_conv_forward"])
    readme = (tmp_path / "stage" / "README.md").read_text()
    assert "## After you submit: feedback" in readme
    assert "up to 3 graded attempt(s) per assignment, at least 10 minutes apart" in readme   # nbgrader_config.py


def test_a_students_extension_moves_their_deadline_only(tmp_path):
    """nbgrader's own grant_extension, read from a real gradebook: alice's 2 hours count for her alone."""
    from nbgrader.api import Gradebook
    due = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    url = blank_gradebook(tmp_path / "gradebook.db")
    with Gradebook(url, "cnn-inside") as gb:
        gb.update_or_create_assignment("01_conv_forward", duedate=due.replace(tzinfo=None))
        gb.add_student("alice")
        gb.add_student("bob")
        gb.add_submission("01_conv_forward", "alice")   # nbgrader extends a submission's row
        gb.add_submission("01_conv_forward", "bob")
        gb.grant_extension("01_conv_forward", "alice", hours=2)
    before = sorted(tmp_path.iterdir()), (tmp_path / "gradebook.db").stat().st_mtime_ns
    dues = DueDates(url, "cnn-inside")
    assert dues.get("01_conv_forward", "alice") == due + timedelta(hours=2)
    assert dues.get("01_conv_forward", "bob") == due == dues.get("01_conv_forward")
    assert dues.get("02_pool_forward", "alice") is None
    # never written, not even where nbgrader's Gradebook would add a course it does not know
    assert DueDates(url, "another-course").get("01_conv_forward") is None
    assert (sorted(tmp_path.iterdir()), (tmp_path / "gradebook.db").stat().st_mtime_ns) == before

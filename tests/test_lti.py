"""The course's LTI 1.3 link, against the stand-in LMS (tests/lms_platform.py, lti1p3platform) on 127.0.0.1.

Fast tier: account names from LMS identities (stable, safe, never shared), the launch records, the
passback (a course gradebook written with nbgrader's Gradebook API, the stand-in's grade services: line
items, tokens, scores), the LMS's failures and time-outs, and the Canvas and Moodle import files.
Slow tier: launches into a real JupyterHub (the hub's CourseLTIAuthenticator over
jupyterhub-ltiauthenticator): a student's and the instructor's, and the bad ones (unsigned, expired,
wrongly signed, replayed, another deployment, another role), each refused with a page that says why.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from jwcrypto.jwk import JWK
from nbgrader.api import Gradebook

from autograder.deploy.accounts import remove_accounts
from autograder.lms import accounts, keys
from autograder.lms.export import LMSExport, canvas_csv, moodle_csv
from autograder.lms.passback import OUTBOX, REPORT, Outbox, Passback, course_scores
from autograder.lms.settings import GradePassback, LTITool, read_config
from autograder.lms.store import LaunchRecords
from autograder.paths import ensure_tools_on_path
from tests.lms_platform import Platform, free_lms_port

# accounts of their own (`<CNN_HUB_TEST_PREFIX>t-...`): with the bare prefix this file removed test_hub.py's
# `<prefix>instructor` and its course while make test ran the two files at once
PREFIX = os.environ.get("CNN_HUB_TEST_PREFIX", "cnnt-") + "t-"


# --- account names ----------------------------------------------------------------------------------

def never(name: str) -> bool:
    return False


def test_account_names_are_readable_valid_unix_names():
    cases = {("ada.lovelace@uni.edu", "", ""): "ada-lovelace",
             ("", "Zoë", "Ångström-Öz"): "zoe-angstrom-oz",
             ("", "", "Grace Hopper"): "grace-hopper",
             ("2024.smith@uni.edu", "", ""): "smith",                     # a Unix name starts with a letter
             ("root@evil.example", "", ""): "root",                        # valid; taken below, never reused
             ("../../etc/passwd@x", "", ""): "etc-passwd",
             ("a" * 80 + "@x", "", ""): "a" * 28}
    for (email, given, name), want in cases.items():
        family = given and name
        claims = {"email": email, "given_name": given if family else "", "family_name": name if family else "",
                  "name": "" if family else name, "iss": "i", "sub": "s"}
        got = accounts.new_name(claims, "", never)
        assert got == want and accounts.UNIX_NAME.match(got) and len(got) <= accounts.MAX_LENGTH, (claims, got)
    # an LMS that sends no name: a digest of the identity, different for each person
    anon = [accounts.new_name({"iss": "i", "sub": s}, "", never) for s in ("1", "2")]
    assert anon[0] != anon[1] and all(re.fullmatch(r"u[0-9a-f]{10}", a) for a in anon)
    assert accounts.new_name({"email": "ada@x"}, PREFIX, never) == f"{PREFIX}ada"
    with pytest.raises(ValueError):
        accounts.base_name({"email": "ada@x"}, "../")


def test_a_taken_name_is_never_given_again():
    taken = {"root", "ada", "ada-2"}
    assert accounts.new_name({"email": "root@x"}, "", taken.__contains__) == "root-2"
    assert accounts.new_name({"email": "ada@x"}, "", taken.__contains__) == "ada-3"
    long = "b" * 28
    names = set()
    for n in range(12):   # the suffix never pushes a name past 32 characters
        name = accounts.new_name({"email": f"{long}@x"}, "", names.__contains__)
        assert len(name) <= accounts.MAX_LENGTH and name not in names
        names.add(name)


def test_roles():
    tool = LTITool()
    role = lambda *r: accounts.role_of(list(r), tool.instructor_roles, tool.learner_roles)  # noqa: E731
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor") == "instructor"
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner") == "learner"
    # an institution's instructor who is a student of this course is a student here
    assert role("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner") == "learner"
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor") is None
    assert role("http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator") is None
    assert role("Instructor") is None     # LTI 1.1's short names are not LTI 1.3 roles


def test_records_keep_each_persons_account_for_good(tmp_path):
    records = LaunchRecords(tmp_path / "records.db")
    assert (tmp_path / "records.db").stat().st_mode & 0o777 == 0o600    # names and e-mail addresses: private
    ada = {"iss": "https://lms", "sub": "1", "email": "ada@uni.edu", "given_name": "Ada"}
    first = records.student(ada, "", never)
    # her e-mail address changes: same account, new address kept
    again = records.student(dict(ada, email="countess@uni.edu"), "", never)
    assert again.username == first.username == "ada" and again.email == "countess@uni.edu"
    # another person with the same address, or the same subject on another platform: another account
    other = records.student(dict(ada, sub="2"), "", never)
    elsewhere = records.student(dict(ada, iss="https://other-lms"), "", never)
    assert len({first.username, other.username, elsewhere.username}) == 3
    assert set(LaunchRecords(tmp_path / "records.db", readonly=True).people()) == {"ada", "ada-2", "ada-3"}
    # a launch's nonce is accepted once
    assert records.first_use("n-1", time.time() + 300) and not records.first_use("n-1", time.time() + 300)


def test_the_settings_come_from_one_file(tmp_path):
    (tmp_path / "lti_config.py").write_text("c.LTITool.issuer = 'https://lms.example'\n"
                                            "c.LTITool.deployment_ids = ['d1']\n"
                                            "c.GradePassback.timeout_seconds = 3.0\n")
    config = read_config(tmp_path / "lti_config.py")
    tool = LTITool(config=config)
    assert tool.issuer == "https://lms.example" and tool.deployment_ids == ["d1"]
    assert GradePassback(config=config).timeout_seconds == 3.0
    assert "LTITool.client_id" in tool.missing("launch") and "LTITool.issuer" not in tool.missing("passback")
    # the course's nbgrader_config.py loads the same file: the passback, run in the course, reads it
    from autograder.authoring.course import load_course
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(f"c = get_config()  # noqa: F821\n"
                                               f"load_subconfig({str(tmp_path / 'lti_config.py')!r})  # noqa: F821\n")
    assert LTITool(config=load_course(course).config).issuer == "https://lms.example"


# --- passback against the stand-in LMS ----------------------------------------------------------------

A1, A2 = "01_conv_forward", "02_pool_forward"
PEOPLE = {"s-ada": ("Ada", "Lovelace"), "s-bob": ("Bob", "Hopper"), "s-cy": ("Cy", "Young")}


@pytest.fixture(scope="module")
def lms():
    platform = Platform(free_lms_port()).start()
    yield platform
    platform.stop()


@pytest.fixture(scope="module")
def gradebook_file(tmp_path_factory) -> Path:
    """A course gradebook written with nbgrader's Gradebook API, once (a new gradebook costs seconds:
    nbgrader runs alembic): two assignments of 15 and 10 points, due in 2020; three students, each one
    submission of each, graded."""
    ensure_tools_on_path()
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", "cnn-inside") as gb:
        for assignment, points in ((A1, 15), (A2, 10)):
            gb.add_assignment(assignment, duedate="2020-01-01 00:00:00")
            gb.add_notebook(assignment, assignment)
            gb.add_grade_cell("tests", assignment, assignment, max_score=points, cell_type="code")
        for student, score in (("ada-lovelace", (15, 10)), ("bob-hopper", (6, 2.5)), ("cy-young", (9, 9))):
            gb.add_student(student)
            for assignment, points in zip((A1, A2), score):
                gb.add_submission(assignment, student, timestamp="2019-12-31 12:00:00")
                grade = gb.find_grade("tests", assignment, assignment, student)
                grade.auto_score, grade.needs_manual_grade = points, False
        gb.db.commit()
    return path


@pytest.fixture(scope="module")
def tool_key(tmp_path_factory) -> Path:
    return keys.ensure_key(tmp_path_factory.mktemp("tool") / "tool-key.pem")


@pytest.fixture
def course(tmp_path, lms, gradebook_file, tool_key):
    """A course folder: a copy of the gradebook, the tool's key (registered with the stand-in by value),
    the launch records of Ada and Bob (Cy never launched from the LMS)."""
    ensure_tools_on_path()
    lms.course.line_items.clear(), lms.course.scores.clear(), lms.course.received.clear()
    lms.course.duplicates = 0
    lms.fail(0)
    lms.register_tool("unused", "unused", "unused", key_set=keys.key_set(tool_key.read_text()))
    records = LaunchRecords(tmp_path / "records.db")
    for sub, (given, family) in PEOPLE.items():
        member = lms.enrol(sub, given, family)
        if sub != "s-cy":
            records.student(lms.claims(member, "n"), "", never)
            records.grade_service(lms.claims(member, "n"))
    shutil.copy(gradebook_file, tmp_path / "gradebook.db")
    tool = LTITool(issuer=lms.issuer, client_id=lms.client_id, deployment_ids=[lms.deployment_id],
                   token_url=lms.token_url, tool_key_file=str(tool_key), records=str(tmp_path / "records.db"))
    return tmp_path, f"sqlite:///{tmp_path / 'gradebook.db'}", tool


def passback(course, **settings) -> Passback:
    folder, url, tool = course
    return Passback(url, "cnn-inside", folder, tool, GradePassback(**settings))


def sub_of(username: str) -> str:
    return {"ada-lovelace": "s-ada", "bob-hopper": "s-bob"}[username]


def expected(url: str) -> dict:
    """What the LMS gradebook must show: the course's scores of the students the LMS knows."""
    return {(s.assignment, sub_of(s.student)): s.score for s in course_scores(url, "cnn-inside") if s.student != "cy-young"}


def test_each_score_is_posted_once_to_one_line_item_per_assignment(course, lms):
    folder, url, tool = course
    report = passback(course).run()
    assert lms.gradebook() == expected(url) == {(A1, "s-ada"): 15, (A2, "s-ada"): 10, (A1, "s-bob"): 6, (A2, "s-bob"): 2.5}
    items = sorted((i["label"], i["tag"], i["scoreMaximum"]) for i in lms.course.line_items.values())
    assert items == [(A1, A1, 15), (A2, A2, 10)]
    posted = {(r["lineItem"].rsplit("/", 1)[1], r["userId"]): r for r in lms.course.received}
    ada = lms.course.received[0]
    assert ada["activityProgress"] == "Completed" and ada["gradingProgress"] == "FullyGraded"   # past due, graded
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", ada["timestamp"])
    assert len(posted) == len(lms.course.received) == 4
    # Cy never launched from the LMS: reported, never guessed (not matched to anyone by name)
    assert report.unknown == [f"cy-young ({A1}: 9 of 15)", f"cy-young ({A2}: 9 of 10)"]
    assert "the LMS does not know these students" in (folder / REPORT).read_text()
    # a second pass (the gradebook unchanged) posts nothing
    assert passback(course).run().posted == [] and len(lms.course.received) == 4 and lms.course.duplicates == 0
    # the gradebook's students carry the LMS's names, e-mail address and user id (Formgrader and
    # nbgrader export show them); one who launched but never submitted is in it too, with no score posted
    records = LaunchRecords(folder / "records.db")
    records.student(lms.claims(lms.enrol("s-dee", "Dee", "Nosub"), "n"), "", never)
    assert passback(course).run().roster == ["dee-nosub"]
    with Gradebook(url, "cnn-inside") as gb:
        ada, cy = gb.find_student("ada-lovelace"), gb.find_student("cy-young")
        assert (ada.first_name, ada.last_name, ada.email, ada.lms_user_id) == ("Ada", "Lovelace", "ada.lovelace@example.edu", "s-ada")
        assert cy.lms_user_id is None and gb.find_student("dee-nosub").lms_user_id == "s-dee"
    assert len(lms.course.received) == 4


def exported(folder: Path, url: str) -> dict:
    """`nbgrader export`'s grades.csv of the course (what an instructor hands in after a review), as
    (assignment, LMS user) -> score for the students the LMS knows."""
    from tests.test_roundtrip import nbgrader, table
    nbgrader("export", f"--CourseDirectory.db_url={url}", "--CourseDirectory.course_id=cnn-inside",
             f"--to={folder / 'grades.csv'}", cwd=folder, home=folder)
    return {(r["assignment"], sub_of(r["student_id"])): float(r["score"]) for r in table(folder / "grades.csv")
            if r["student_id"] in ("ada-lovelace", "bob-hopper")}


def test_a_manual_change_and_a_late_penalty_are_posted_again(course, lms):
    """The LMS gradebook equals nbgrader export's grades.csv, before and after a review changed a score
    and a late penalty was given."""
    folder, url, tool = course
    passback(course).run()
    assert lms.gradebook() == exported(folder, url)
    with Gradebook(url, "cnn-inside") as gb:   # as Formgrader saves a manual score, and AssignLatePenalties a penalty
        gb.find_grade("tests", A1, A1, "bob-hopper").manual_score = 12
        gb.find_submission_notebook(A2, A2, "ada-lovelace").late_submission_penalty = 4
        gb.db.commit()
    report = passback(course).run()
    assert len(report.posted) == 2 and len(lms.course.received) == 6
    assert lms.gradebook() == exported(folder, url) == expected(url)
    assert lms.gradebook()[(A1, "s-bob")] == 12 and lms.gradebook()[(A2, "s-ada")] == 6
    late = lms.course.received[-1] if lms.course.received[-1]["userId"] == "s-ada" else lms.course.received[-2]
    assert "late rule took 4 point(s) of 10" in late["comment"]
    # a score that changes back is a new grade too; one that does not change is not posted
    with Gradebook(url, "cnn-inside") as gb:
        gb.find_grade("tests", A1, A1, "bob-hopper").manual_score = None
        gb.db.commit()
    passback(course).run()
    assert lms.gradebook()[(A1, "s-bob")] == 6 and len(lms.course.received) == 7


def test_the_lms_not_answering_loses_no_score(course, lms):
    folder, url, tool = course
    # the token, the line item's search and creation answer; the first score's post does not within the
    # tool's 0.5 s, and the slow LMS records it 1.5 s later anyway
    lms.fail(1, "timeout", delay=1.5, after=3)
    first = passback(course, timeout_seconds=0.5, backoff_seconds=30).run(now=1000.0)
    assert first.posted == [] and len(first.waiting) == 4 and "did not answer within 0.5 s" in first.waiting[0]
    assert "did not answer within 0.5 s" in (folder / REPORT).read_text()
    time.sleep(1.5)
    assert len(lms.course.received) == 1
    # a restart (a new Passback over the same outbox): nothing is tried before the back-off's end (the
    # other posts to that LMS wait with the one that failed), then every score goes
    assert passback(course).run(now=1029.0).posted == []
    assert len(passback(course).run(now=1030.0).posted) == 4
    assert lms.gradebook() == expected(url)
    # the score whose answer came too late went again with the same timestamp: the same score for the LMS
    assert len(lms.course.received) == 5 and lms.course.duplicates == 1


def test_a_score_changed_while_waiting_goes_alone(course, lms):
    """Bob's score changes while the LMS is down: only the newer value is posted once it is back, never
    the older one after it."""
    folder, url, tool = course
    lms.fail(1, "500")
    passback(course).run(now=100.0)
    with Gradebook(url, "cnn-inside") as gb:
        gb.find_grade("tests", A1, A1, "bob-hopper").manual_score = 14
        gb.db.commit()
    passback(course).run(now=200.0)
    item = next(i for i, li in lms.course.line_items.items() if li["label"] == A1)
    bob = [r["scoreGiven"] for r in lms.course.received if r["userId"] == "s-bob" and r["lineItem"] == item]
    assert bob == [14] and lms.gradebook() == expected(url)


def test_an_error_of_the_lms_is_retried_with_back_off(course, lms):
    folder, url, tool = course
    lms.fail(3, "500")
    pb = passback(course, backoff_seconds=10, max_backoff_seconds=25)
    outbox = Outbox(folder / OUTBOX)
    for now, retry in ((100.0, 110.0), (110.0, 130.0), (130.0, 155.0)):   # 10 s, 20 s, then the cap 25 s
        report = pb.run(now=now)
        # an LMS that fails (5xx) is not asked again in the same pass: one post tried, all four wait as long
        assert report.posted == [] and len(report.waiting) == 4 and "HTTP 500" in report.waiting[0], report.waiting
        assert {p[4] for p in outbox.pending()} == {retry}
        assert outbox.pending()[0][5].startswith("the LMS answered with an error: HTTP 500")
    assert pb.run(now=154.0).posted == []           # its time has not come
    assert len(pb.run(now=155.0).posted) == 4 and lms.gradebook() == expected(url)


def test_a_token_the_lms_refuses_keeps_the_scores_queued(course, lms):
    folder, url, tool = course
    wrong = JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
    lms.register_tool("unused", "unused", "unused", key_set=keys.key_set(wrong))   # not the tool's key
    report = passback(course).run()
    assert report.posted == [] and "refused the tool's token request" in report.waiting[0], report.waiting
    assert lms.gradebook() == {}
    lms.register_tool("unused", "unused", "unused", key_set=keys.key_set(Path(tool.tool_key_file).read_text()))
    assert len(passback(course).run(now=time.time() + 3600).posted) == 4


# --- gradebook import files (no LTI link) -------------------------------------------------------------

ROWS = [{"assignment": A1, "student_id": "1001", "last_name": "Lovelace", "first_name": "Ada", "email": "ada@uni.edu",
         "score": "15.0", "max_score": "15.0"},
        {"assignment": A2, "student_id": "1001", "last_name": "Lovelace", "first_name": "Ada", "email": "ada@uni.edu",
         "score": "2.5", "max_score": "10.0"},
        {"assignment": A1, "student_id": "1002", "last_name": "", "first_name": "", "email": "",
         "score": "0.0", "max_score": "15.0"}]


def test_canvas_import_file():
    rows = list(csv.reader(io.StringIO(canvas_csv(ROWS, LMSExport()))))
    assert rows == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A1, A2],
                    ["Points Possible", "", "", "", "", "15", "10"],
                    ["Lovelace, Ada", "1001", "", "", "", "15", "2.5"],
                    ["1002", "1002", "", "", "", "0", ""]]
    by_login = list(csv.reader(io.StringIO(canvas_csv(ROWS, LMSExport(canvas_id_column="SIS Login ID")))))
    assert by_login[2][:4] == ["Lovelace, Ada", "", "", "1001"]


def test_moodle_import_file():
    rows = list(csv.reader(io.StringIO(moodle_csv(ROWS, LMSExport()))))
    assert rows == [["Username", "First name", "Last name", "Email address", A1, A2],
                    ["1001", "Ada", "Lovelace", "ada@uni.edu", "15", "2.5"],
                    ["1002", "", "", "", "0", ""]]
    by_mail = list(csv.reader(io.StringIO(moodle_csv(ROWS, LMSExport(moodle_id_column="Email address")))))
    assert by_mail[0][:4] == ["Email address", "First name", "Last name", A1] and by_mail[1][0] == "1001"


# --- launches into a real JupyterHub (slow) -----------------------------------------------------------

HUB_CONFIG = """# the tests' hub: the course's LTI login, its settings from the one LTI file
c = get_config()  # noqa: F821
load_subconfig({lti!r})  # noqa: F821
c.JupyterHub.bind_url = {url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {pid!r}
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.JupyterHub.pid_file = "{state}/jupyterhub.pid"
c.JupyterHub.authenticator_class = "autograder.lms.launch.CourseLTIAuthenticator"
"""
LTI_CONFIG = """c = get_config()  # noqa: F821
c.LTITool.issuer = {issuer!r}
c.LTITool.client_id = {client_id!r}
c.LTITool.deployment_ids = [{deployment!r}]
c.LTITool.authorize_url = {authorize!r}
c.LTITool.key_set_url = {key_set!r}
c.LTITool.token_url = {token!r}
c.LTITool.tool_key_file = {key!r}
c.LTITool.records = {records!r}
c.LTITool.instructor_account = {instructor!r}
c.LTITool.username_prefix = {prefix!r}
"""
STUDENT_ACCOUNTS = [f"{PREFIX}ada-lovelace", f"{PREFIX}ada-lovelace-2", f"{PREFIX}instructor"]


@pytest.fixture(scope="module")
def lti_hub(tmp_path_factory, lms):
    """A JupyterHub on 127.0.0.1 whose login is the course's LTI 1.3 authenticator, registered with the
    stand-in LMS (and the stand-in with it: login, launch and key set URLs)."""
    from autograder.deploy.hub import PROXY, free_port
    if os.geteuid() != 0:
        pytest.skip("a launch creates the student's Unix account: run as root")
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: `make hub-node` installs it")
    state = tmp_path_factory.mktemp("lti-hub")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    key = keys.ensure_key(state / "tool-key.pem")
    (state / "lti_config.py").write_text(LTI_CONFIG.format(
        issuer=lms.issuer, client_id=lms.client_id, deployment=lms.deployment_id, authorize=lms.authorize_url,
        key_set=lms.key_set_url, token=lms.token_url, key=str(key), records=str(state / "records.db"),
        instructor=f"{PREFIX}instructor", prefix=PREFIX))
    (state / "jupyterhub_config.py").write_text(HUB_CONFIG.format(
        lti=str(state / "lti_config.py"), url=url, hub_port=free_port(), proxy_port=free_port(), proxy=str(PROXY),
        pid=str(state / "proxy.pid"), state=state))
    lms.register_tool(f"{url}hub/lti13/oauth_login", f"{url}hub/lti13/oauth_callback", f"{url}hub/home",
                      key_set_url=f"{url}hub/lti13/jwks")
    remove_accounts(STUDENT_ACCOUNTS)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]),
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    log = (state / "jupyterhub.log").open("wb")
    hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(state / "jupyterhub_config.py")],
                           cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert hub.poll() is None, (state / "jupyterhub.log").read_text()[-3000:]
            try:
                if requests.get(f"{url}hub/api/", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (state / "jupyterhub.log").read_text()[-3000:]
            time.sleep(0.3)
        yield url, state
    finally:
        hub.terminate()
        hub.wait(timeout=30)
        log.close()
        made = LaunchRecords(state / "records.db", readonly=True).people() if (state / "records.db").exists() else {}
        remove_accounts(sorted(set(STUDENT_ACCOUNTS) | set(made)))     # every account the launches made


def login_initiation(session: requests.Session, hub: str, lms: Platform, sub: str, **args: str) -> dict:
    """OIDC step 1 as the LMS sends it (the browser following the LMS's link); the tool's redirect to the
    LMS's authorization endpoint, with its state and nonce (and the cookies that hold them)."""
    params = {"iss": lms.issuer, "login_hint": sub, "target_link_uri": f"{hub}hub/home", "lti_message_hint": sub,
              "client_id": lms.client_id, "lti_deployment_id": lms.deployment_id, **args}
    r = session.get(f"{hub}hub/lti13/oauth_login", params=params, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith(lms.authorize_url), (r.status_code, r.text[:500])
    return {k: v[0] for k, v in parse_qs(urlparse(r.headers["Location"]).query).items()}


def post_launch(session: requests.Session, hub: str, id_token: str, state: str) -> requests.Response:
    return session.post(f"{hub}hub/lti13/oauth_callback", data={"id_token": id_token, "state": state},
                        allow_redirects=False)


def launch(session: requests.Session, lms: Platform, sub: str) -> tuple[requests.Response, dict]:
    """The whole launch as a browser makes it from the LMS course's link: LMS -> tool's login -> LMS's
    authorization (the signed launch form) -> tool; the tool's answer and the form's fields."""
    r = session.get(lms.launch_link(sub), allow_redirects=True)
    assert r.status_code == 200 and 'id="launch"' in r.text, r.text[:800]
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', r.text))
    action = re.search(r'action="([^"]+)"', r.text).group(1)
    return session.post(unescape(action), data=fields, allow_redirects=False), fields


def logged_in_as(session: requests.Session, hub: str) -> str:
    page = session.get(f"{hub}hub/home").text
    found = re.search(r'id="login_widget">\s*<span[^>]*>([^<]+)</span>', page)
    return found.group(1).strip() if found else ""


def refusal(r: requests.Response) -> str:
    """The words of the hub's error page (what the person reads)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", r.text, flags=re.S | re.I)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.mark.slow
def test_a_student_launch_logs_in_as_their_own_account(lti_hub, lms):
    url, state = lti_hub
    lms.enrol("ada-1", "Ada", "Lovelace")
    session = requests.Session()
    r, _ = launch(session, lms, "ada-1")
    assert r.status_code == 302 and r.headers["Location"] == "/hub/home", (r.status_code, refusal(r)[:500])
    name = f"{PREFIX}ada-lovelace"
    assert logged_in_as(session, url) == name
    account = pwd.getpwnam(name)                 # made on her first launch, as the hub's other accounts
    assert os.stat(account.pw_dir).st_mode & 0o777 == 0o700
    # where her launches land (the target link URI): a JupyterLab workspace with the Assignments tab, hers
    # (the hub writes it before her server starts; the Chromium journey shows the tab open)
    from autograder.lms.launch import ASSIGNMENTS_TAB, ensure_landing
    workspace = ensure_landing(name)
    assert workspace is not None and workspace.stat().st_uid == account.pw_uid
    assert json.loads(workspace.read_text())["data"]["layout-restorer:data"]["main"]["current"] == ASSIGNMENTS_TAB
    assert all(p.stat().st_uid == account.pw_uid for p in (workspace.parent, Path(account.pw_dir) / ".jupyter"))
    assert ensure_landing(name) is None          # once: her own changes to it are kept
    # she changes her e-mail address in the LMS: the same account; another Ada Lovelace: another one
    lms.enrol("ada-1", "Ada", "Lovelace", email="countess@example.edu")
    lms.enrol("ada-2", "Ada", "Lovelace")
    again, other = requests.Session(), requests.Session()
    launch(again, lms, "ada-1")
    launch(other, lms, "ada-2")
    assert logged_in_as(again, url) == name and logged_in_as(other, url) == f"{name}-2"
    # the LMS course's grade service is kept for the passback
    records = LaunchRecords(state / "records.db", readonly=True)
    assert [s.lineitems for s in records.services_of(records.people()[name])] == [lms.lineitems_url]
    # the tool's key set, for the LMS to check the passback's token requests
    assert requests.get(f"{url}hub/lti13/jwks").json() == keys.key_set((state / "tool-key.pem").read_text())


@pytest.mark.slow
def test_the_lms_instructor_role_logs_in_as_the_instructor(lti_hub, lms):
    url, state = lti_hub
    lms.enrol("teacher-1", "Grace", "Hopper", role="instructor")
    session = requests.Session()
    r, _ = launch(session, lms, "teacher-1")
    assert r.status_code == 302 and logged_in_as(session, url) == f"{PREFIX}instructor"
    assert f"{PREFIX}grace-hopper" not in LaunchRecords(state / "records.db", readonly=True).people()


def forged(lms: Platform, args: dict, **changes) -> str:
    """A launch for the nonce the tool sent, signed by the platform, with `changes` to its claims."""
    member = lms.course.members["ada-1"]
    return lms.sign(lms.claims(member, args["nonce"], **changes))


OTHER_KEY = JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None).decode()
BAD_LAUNCHES = {
    # name: (how the launch is made from the tool's authorization request `args`, status, words on the page)
    "unsigned": (lambda lms, a: lms.sign(lms.claims(lms.course.members["ada-1"], a["nonce"]), alg="none"),
                 400, "not signed by your LMS"),
    "wrongly signed": (lambda lms, a: lms.sign(lms.claims(lms.course.members["ada-1"], a["nonce"]), key_pem=OTHER_KEY,
                                               kid=JWK.from_pem(lms.public_pem.encode()).thumbprint()),
                       400, "not signed by your LMS"),
    "signed by an unknown key": (lambda lms, a: lms.sign(lms.claims(lms.course.members["ada-1"], a["nonce"]),
                                                         key_pem=OTHER_KEY), 400, "not signed by your LMS"),
    "expired": (lambda lms, a: forged(lms, a, iat=int(time.time()) - 4000, exp=int(time.time()) - 3000),
                400, "This launch has expired"),
    "another deployment": (lambda lms, a: forged(lms, a, **{
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-2"}), 403, "does not accept (deployment-2)"),
    "another tool": (lambda lms, a: forged(lms, a, aud="another-tool", azp="another-tool"), 400, "meant for another tool"),
    "a mentor": (lambda lms, a: forged(lms, a, **{"https://purl.imsglobal.org/spec/lti/claim/roles":
                                                  ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]}),
                 403, "gives no account on this hub"),
    "another nonce": (lambda lms, a: forged(lms, dict(a, nonce="0" * 64)), 400, "already used, or it did not start"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", BAD_LAUNCHES)
def test_a_bad_launch_is_refused_with_a_page_that_says_why(lti_hub, lms, case):
    url, state = lti_hub
    lms.enrol("ada-1", "Ada", "Lovelace")
    make, status, words = BAD_LAUNCHES[case]
    session = requests.Session()
    args = login_initiation(session, url, lms, "ada-1")
    r = post_launch(session, url, make(lms, args), args["state"])
    assert r.status_code == status and words in refusal(r), (r.status_code, refusal(r)[:800])
    assert logged_in_as(session, url) == ""
    # the same browser's next, proper launch works: nothing was left half done
    good, _ = launch(session, lms, "ada-1")
    assert good.status_code == 302 and logged_in_as(session, url) == f"{PREFIX}ada-lovelace"


@pytest.mark.slow
def test_a_replayed_launch_is_refused(lti_hub, lms):
    url, state = lti_hub
    lms.enrol("ada-1", "Ada", "Lovelace")
    session = requests.Session()
    args = login_initiation(session, url, lms, "ada-1")
    cookies = session.cookies.copy()             # what a thief of the browser's cookies would hold too
    token = forged(lms, args)
    assert post_launch(session, url, token, args["state"]).status_code == 302
    # again in the same browser: its one-use cookies are gone
    again = post_launch(session, url, token, args["state"])
    assert again.status_code == 400 and "already used" in refusal(again)
    # again with the cookies as they were: the hub has seen the nonce
    thief = requests.Session()
    thief.cookies.update(cookies)
    stolen = post_launch(thief, url, token, args["state"])
    assert stolen.status_code == 400 and "already used" in refusal(stolen) and logged_in_as(thief, url) == ""


@pytest.mark.slow
def test_a_login_not_from_the_registered_lms_is_refused(lti_hub, lms):
    url, state = lti_hub
    for args, words in (({"lti_deployment_id": "deployment-2"}, "does not accept (deployment-2)"),
                        ({"iss": "https://other-lms.example"}, "another LMS"),
                        ({"client_id": "another-tool"}, "meant for another tool")):
        r = requests.get(f"{url}hub/lti13/oauth_login", allow_redirects=False,
                         params={"iss": lms.issuer, "login_hint": "ada-1", "target_link_uri": f"{url}hub/home", **args})
        assert r.status_code == 403 and words in refusal(r), (args, r.status_code, refusal(r)[:500])
    direct = requests.get(f"{url}hub/lti13/oauth_login")    # someone who opens the hub's login by hand
    assert direct.status_code == 400 and "follow its link to this course" in refusal(direct)

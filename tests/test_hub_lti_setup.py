"""The launcher's LTI mode without a hub (fast): the settings file checked before anything starts, the
course pointed at it once, the accounts made at launches counted as the run's, the banner's URLs, and
`grade`'s passback step in a course without an LMS registration. The hub itself: tests/test_hub_lti.py."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from autograder.authoring.course import load_course
from autograder.deploy import hub as hubmod
from autograder.deploy import lti
from autograder.deploy.run import HubRun
from autograder.lms.cli import after_grading
from autograder.lms.store import LaunchRecords

COMPLETE = """c.LTITool.issuer = "https://lms.example"
c.LTITool.client_id = "tool-1"
c.LTITool.deployment_ids = ["d-1"]
c.LTITool.authorize_url = "https://lms.example/auth"
c.LTITool.key_set_url = "https://lms.example/jwks"
c.LTITool.token_url = "https://lms.example/token"
c.LTITool.tool_key_file = "{folder}/tool-key.pem"
c.LTITool.records = "{folder}/records.db"
"""


def settings_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lti_config.py"
    path.write_text(text.format(folder=tmp_path))
    return str(path)


def run_in(tmp_path: Path, **kw) -> HubRun:
    return HubRun(**dict(dict(port=8000, state=str(tmp_path / "state"), instructor="instructor", students=(),
                              password="", isolated=False), **kw))


def test_the_settings_file_is_checked_before_anything_starts(tmp_path):
    assert "absolute path" in lti.problem("lti_config.py")
    assert "there is no file" in lti.problem(str(tmp_path / "nowhere.py"))
    partial = settings_file(tmp_path, 'c.LTITool.issuer = "https://lms.example"\n')
    said = lti.problem(partial)
    assert "lacks LTITool.authorize_url, LTITool.client_id, LTITool.deployment_ids" in said, said
    assert "LTITool.records" in said and "LTITool.tool_key_file" in said and "LTITool.issuer" not in said
    relative = settings_file(tmp_path, COMPLETE.replace("{folder}/records.db", "records.db"))
    assert lti.problem(relative) == f"{relative}: LTITool.records must be an absolute path"
    broken = settings_file(tmp_path, COMPLETE + "c.LTITool.client_id = \n")
    assert lti.problem(broken).startswith(f"{broken} could not be read: SyntaxError")
    assert lti.problem(settings_file(tmp_path, COMPLETE)) == ""


def hub_of(*argv: str) -> hubmod.Hub:
    """The Hub as `python -m autograder hub ARGV` makes it."""
    app = hubmod.HubApp()
    app.initialize(list(argv))
    return app.hub()


def test_the_launcher_refuses_a_bad_settings_file_in_one_line(tmp_path, capsys):
    state = f"--state={tmp_path / 'state'}"
    assert hubmod.main(hub_of(state, f"--Hub.lti={tmp_path / 'nowhere.py'}")) == 2
    assert capsys.readouterr().err.startswith("hub: Hub.lti: there is no file")
    assert hubmod.main(hub_of(state, "--single-account", f"--Hub.lti={settings_file(tmp_path, COMPLETE)}")) == 2
    assert "not with --single-account" in capsys.readouterr().err
    assert not (tmp_path / "state").exists()     # nothing made


def test_the_course_loads_the_lms_registration_once(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setattr(HubRun, "home", lambda self, user: home)
    path = settings_file(tmp_path, COMPLETE)
    run = run_in(tmp_path, lti=path)
    course = run.course()
    course.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    hubmod.point_at_exchange(run)
    hubmod.point_at_exchange(run)     # the next start
    lines = (course / "nbgrader_config.py").read_text().splitlines()
    assert lines.count(hubmod.LTI_MARK) == 1 and f"load_subconfig({path!r})  # noqa: F821" in lines, lines
    # the passback, run in the course, reads the registration from there
    from autograder.lms.settings import LTITool
    assert LTITool(config=load_course(course).config).client_id == "tool-1"
    hubmod.point_at_exchange(dataclasses.replace(run, lti=""))   # started without --Hub.lti: the line goes
    assert hubmod.LTI_MARK not in (course / "nbgrader_config.py").read_text()


def test_accounts_made_at_launches_are_the_runs(tmp_path):
    records = tmp_path / "records.db"
    run = run_in(tmp_path, lti_records=str(records))
    assert run.accounts == ["instructor"]          # nobody launched yet (no records file)
    claims = {"iss": "https://lms.example", "sub": "s-1", "email": "ada@uni.edu",
              "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d-1"}
    LaunchRecords(records).student(claims, "", lambda name: False)
    assert run.accounts == ["instructor", "ada"]   # stopped, cleaned up and prepared as the others
    assert run_in(tmp_path).accounts == ["instructor"]   # the shared-password mode reads no records


def test_the_banner_gives_the_lms_the_tools_urls(tmp_path):
    text = hubmod.banner(run_in(tmp_path, lti=settings_file(tmp_path, COMPLETE)))
    for what, path in lti.REGISTRATION:
        assert f"  {what}: http://127.0.0.1:8000/{path}\n" in text
    assert "password" not in text and "People log in from the LMS" in text
    assert "password" in hubmod.banner(run_in(tmp_path, students=("student1",), password="x" * 12))


def test_grade_in_a_course_without_an_lms_link_says_nothing_of_it(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    after_grading(load_course(tmp_path))
    assert capsys.readouterr() == ("", "")
    # an LMS named but the registration incomplete: said, and grade's work stands
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()  # noqa: F821\nc.LTITool.issuer = "https://lms.example"\n')
    after_grading(load_course(tmp_path))
    err = capsys.readouterr().err
    assert "LMS grade passback: not done: this course has no complete LTI registration" in err, err

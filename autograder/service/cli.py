"""The `serve` command (`python -m autograder serve`): options only (no questions asked), logs on stdout,
stops on SIGTERM, so that JupyterHub can run it as a managed service."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.exchange import Exchange
from traitlets import Unicode

from ..authoring.course import Course
from ..grading.api import ALIASES, FLAGS, Grader, KernelPool, Session
from ..launcher import PROG, Command
from ..paths import SOLUTIONS, ensure_tools_on_path
from . import grader as g, status
from .policy import FeedbackPolicy
from .serve import DueDates, Service, install_sigterm, log
from .settings import FeedbackService, home_of
from .state import State


def build(app: "ServeApp", caps: Any, course: Optional[Course] = None) -> Service:
    """The service for these options (the course's nbgrader_config.py, then the command line); `caps` as
    caps_or_refusal decided it."""
    ensure_tools_on_path()
    course = course or app.course_in(app.course)
    course.config.CourseDirectory.root = str(course.root)   # its gradebook is the course's, whatever the cwd
    exchange = Path(app.exchange or Exchange(config=course.config).root).resolve()
    grader = app.configured(Grader, course.config)
    beside = home_of(course.db_url, course.root)
    home = beside / ".autograder-service"
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)   # students' copies and pages: the instructor's alone, like the course folder
    session = Session(home / "grader", grader, caps, logs=home / "logs", solutions=SOLUTIONS,
                      kernels_ahead=app.configured(KernelPool, course.config).size,
                      say=lambda line: print(f"serve: {line}", file=sys.stderr))
    setup = g.Setup(home=home, config=course.config, course_id=course.course_id, exchange=exchange,
                    master=session.master, session=session, hidden=g.hidden_tests(session.master))
    settings = app.configured(FeedbackService, course.config)
    return Service(setup, app.configured(FeedbackPolicy, course.config), State(beside / "autograder-service.db"),
                   DueDates(course.db_url, course.course_id), session.grader, jobs=max(1, grader.jobs),
                   # nbgrader's own option, which the course's collect (SafeCollect) follows too
                   check_owner=ExchangeCollect(config=course.config).check_owner, poll=settings.poll_seconds,
                   limits=settings.limits(), queue_notice=settings.queue_notice_seconds)


class ServeApp(Command):
    """Grade each submission in the course's nbgrader exchange as it arrives and release its feedback, within
    the course's FeedbackPolicy (nbgrader_config.py; README, "Feedback after each submission"). Options only
    (no questions asked), logs on stdout, stops on SIGTERM, so that JupyterHub can run it as a managed
    service."""
    name = f"{PROG} serve"
    course = Unicode("", help="the instructor's nbgrader course folder (empty: the current folder)").tag(config=True)
    exchange = Unicode("", help="the exchange's root (empty: the course's Exchange.root)").tag(config=True)
    classes = [Grader, KernelPool, FeedbackService, FeedbackPolicy]
    aliases = {**ALIASES, "course": "ServeApp.course", "exchange": "ServeApp.exchange"}
    flags = FLAGS

    def start(self) -> int:
        return serve(self)


def serve(app: ServeApp) -> int:
    course = app.course_in(app.course)
    grader = app.configured(Grader, course.config)
    caps = grader.isolation("serve")
    if caps is False:
        return 2
    service = build(app, caps, course)
    os.chmod(service.state.path, 0o600)
    if not service.folder.is_dir():
        print(f"serve: no inbound folder {service.folder} (run nbgrader release_assignment once, or give "
              "--exchange)", file=sys.stderr)
        return 2
    install_sigterm(service)
    p = service.policy
    log(f"policy: {'on' if p.enabled else 'OFF'}, {p.attempts} attempts, {p.minutes_between:g} min apart, hidden "
        f"tests {p.hidden_tests}, counts {p.counts}; state {service.state.path}; owner check "
        f"{'on' if service.check_owner else 'off'}; kept at most {service.inbound.limits.submission_bytes / 1e6:g} "
        f"MB per submission, {service.inbound.limits.student_bytes / 1e6:g} MB per student; the instructor's page "
        f"{service.state.path.parent / status.PAGE}")
    service.run()
    service.state.close()
    log("stopped")
    return 0

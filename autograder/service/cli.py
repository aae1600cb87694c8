"""The `serve` command: options only (no questions asked), logs on stdout, stops on SIGTERM, so that
JupyterHub can run it as a managed service."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from nbgrader.exchange.default.collect import ExchangeCollect
from traitlets import Float, Int
from traitlets.config import Configurable

from .inbound import Limits as InboundLimits
from .queue import NOTICE_AFTER


class FeedbackService(Configurable):
    """How the service reads the exchange (nbgrader_config.py; the policy is FeedbackPolicy's)."""
    poll_seconds = Float(0.1, help="how often the inbound folder is read").tag(config=True)
    queue_notice_seconds = Float(NOTICE_AFTER, help="a submission whose feedback is expected later than this "
                                 "(a queue at the deadline) gets a page at once saying its place in the queue and "
                                 "when its feedback is expected; the graded page replaces it").tag(config=True)
    max_submission_mb = Float(InboundLimits.submission_bytes / 1e6,
                              help="megabytes of files one submission may hold; a bigger one is not copied nor "
                                   "graded, and its student is told why").tag(config=True)
    max_student_mb = Float(InboundLimits.student_bytes / 1e6,
                           help="megabytes the service keeps of one student's submissions (it keeps a copy of "
                                "each); past it, a submission is not graded, and its student is told "
                                "why").tag(config=True)
    max_entries = Int(InboundLimits.entries, help="files and folders one submission may hold; one with more is "
                                                  "not copied nor graded").tag(config=True)

    def limits(self) -> InboundLimits:
        return InboundLimits(submission_bytes=int(self.max_submission_mb * 1e6),
                             student_bytes=int(self.max_student_mb * 1e6), entries=self.max_entries)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..grading.records import Limits
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the instructor's nbgrader course folder (default: the current folder)")
    parser.add_argument("--exchange", type=Path, help="the exchange's root (default: the course's Exchange.root)")
    parser.add_argument("--assignment", action="append", help="only this assignment (repeatable); default all")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded at once (default: cores; with --scheduler: tasks at once)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="grade on this Dask cluster instead")
    Limits.add_arguments(parser)
    parser.add_argument("--no-sandbox", action="store_true", help="run students' code without isolation")
    parser.add_argument("--no-caps", action="store_true", help="no memory, process or disk caps")


def home_of(db_url: str, course_root: Path) -> Path:
    """Beside the course's gradebook (the course folder when the gradebook is elsewhere)."""
    if db_url.startswith("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).resolve().parent
    return course_root


def build(args: argparse.Namespace, caps: Any) -> Any:
    """The service for these options and the course's configuration."""
    from nbgrader.exchange.default.exchange import Exchange

    from ..grading.orchestrate import master as master_mod
    from ..grading.orchestrate.batch import Options
    from ..authoring.course import load_course
    from ..grading.records import Limits
    from ..paths import SOLUTIONS, ensure_tools_on_path
    from . import grader as g
    from .policy import FeedbackPolicy
    from .serve import DueDates, Service
    from .state import State

    from dataclasses import replace
    from ..grading.isolation import kernel_caps
    from ..grading.isolation.pool import KernelPool

    ensure_tools_on_path()
    course = load_course(args.course.resolve())
    course.config.CourseDirectory.root = str(course.root)   # its gradebook is the course's, whatever the cwd
    exchange = (args.exchange or Path(Exchange(config=course.config).root)).resolve()
    beside = home_of(course.db_url, course.root)
    home = beside / ".autograder-service"
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)   # students' copies and pages: the instructor's alone, like the course folder
    opts = Options(jobs=max(1, args.jobs), sandbox=not args.no_sandbox, limits=Limits.from_args(args),
                   assignments=args.assignment, caps_mechanism=caps, quiet=True,
                   kernels_ahead=KernelPool(config=course.config).size)
    # as grading/batch.py's plan() resolves them for grade's units
    unit_caps = kernel_caps.detect()[0] if caps == "auto" else caps
    if not (unit_caps and opts.sandbox and kernel_caps.bwrap_has_size()):
        opts = replace(opts, limits=replace(opts.limits, disk_bytes=0))
    master, digest = master_mod.prepare(home / "grader", SOLUTIONS, args.assignment)
    setup = g.Setup(home=home, config=course.config, course_id=course.course_id, exchange=exchange,
                    master=master, digest=digest, opts=opts, caps=unit_caps, hidden=g.hidden_tests(master))
    settings = FeedbackService(config=course.config)
    if args.scheduler:
        from distributed import Client
        from ..grading.orchestrate.cluster import PLUGIN, CourseCheck, Refused
        client = Client(args.scheduler, timeout=30)
        # workers with other solutions or no sandbox are refused when they join, as for grade --scheduler
        try:
            client.register_plugin(CourseCheck(master_mod.solutions_hash(SOLUTIONS), opts.sandbox,
                                               caps is not None), name=PLUGIN)
        except Refused as err:
            print(f"serve: {err}", file=sys.stderr)
        make = lambda: g.ClusterGrader(setup, client)  # noqa: E731
    else:
        make = lambda: g.LocalGrader(setup)  # noqa: E731
    return Service(setup, FeedbackPolicy(config=course.config), State(beside / "autograder-service.db"),
                   DueDates(course.db_url, course.course_id), make, jobs=opts.jobs,
                   # nbgrader's own option, which the course's collect (SafeCollect) follows too
                   check_owner=ExchangeCollect(config=course.config).check_owner, poll=settings.poll_seconds,
                   limits=settings.limits(), queue_notice=settings.queue_notice_seconds)


def serve(args: argparse.Namespace) -> int:
    from ..grading.isolation.readiness import caps_or_refusal
    from . import status
    from .serve import install_sigterm, log
    caps = caps_or_refusal(args.no_sandbox, args.no_caps, args.scheduler, "serve")
    if caps is False:
        return 2
    service = build(args, caps)
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

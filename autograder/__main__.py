"""`python -m autograder release | grade | report | sample-class | demo | serve | hub | lms` (see README)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


CAPS_HELP = """caps on each kernel (what a cell gets past them fails, named in its feedback and integrity.csv):
  --memory 2GiB, --processes 256
      a control group per graded unit, which every kernel joins: cgroup v2 where the grader's own group
      delegates the memory and pids controllers; else cgroup v1's memory and pids hierarchies (grading as
      root); else `systemd-run --user --scope` with MemoryMax and TasksMax (a systemd user session that
      delegates them). The first that works is used and named when grading starts; with none, grade
      refuses and says why. Files in /tmp are memory and count. A single allocation past the memory cap
      also gets MemoryError (prlimit --data).
  --disk 200MiB
      the kernel's working folder and /tmp are one in-memory file system of that size (bubblewrap --size,
      0.7 or later), into which the submission is copied; nothing it writes reaches the disk.
  --no-caps
      none of the three: only on a machine with nothing to protect."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="regenerate notebooks/, the visible cases' expected values and the "
                                         "student distribution dist/student/ from solutions/")
    rel.add_argument("--assignment", action="append", help="only this assignment (repeatable); default all")

    grade = sub.add_parser(
        "grade", help="grade DIR/<student_id>/<assignment>/<notebook>.ipynb into OUT",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=CAPS_HELP)
    grade.add_argument("--submissions", required=True, type=Path)
    grade.add_argument("--out", required=True, type=Path)
    grade.add_argument("--assignment", action="append", help="only this assignment (repeatable); default all")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="students graded at once on this machine (default: cores; not with --scheduler)")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="grade on the Dask cluster of this scheduler instead of this machine (see README)")
    from .grading.records import Limits
    Limits.add_arguments(grade)
    grade.add_argument("--show-hidden", action="store_true", help="show hidden tests' code in the feedback")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run students' code without isolation (only where the sandbox cannot work)")
    grade.add_argument("--no-caps", action="store_true",
                       help="no memory, process or disk caps (only where no mechanism for them works)")

    report = sub.add_parser("report", help="the instructor's summary of a graded batch: OUT/report.html")
    report.add_argument("--out", required=True, type=Path)
    report.add_argument("--for-students", action="store_true",
                        help="OUT/class_summary.html instead: the most common mistakes and what they mean, "
                             "for the class (no student ids, no answers)")

    sample = sub.add_parser("sample-class", help="write the sample class of submissions into DIR")
    sample.add_argument("dir", type=Path)

    sub.add_parser("demo", help="release, run the reference solutions, grade and report on the sample class")

    from .service.cli import add_arguments as serve_arguments
    serve_arguments(sub.add_parser(
        "serve", help="grade each submission in the course's nbgrader exchange as it arrives and release its "
                      "feedback (the course's FeedbackPolicy in nbgrader_config.py; see README)",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=CAPS_HELP))
    from .deploy import hub
    hub.add_arguments(sub.add_parser(
        "hub", help="the course on a real JupyterHub on 127.0.0.1: an instructor and N students, each their "
                    "own Unix account (needs root), 01_conv_forward released into nbgrader's exchange; "
                    "options --Hub.NAME=VALUE"))
    from .lms import cli as lms_cli
    lms_cli.add_arguments(sub.add_parser(
        "lms", help="the course's scores to its LMS: `passback` (LTI 1.3 grade services), `export` (Canvas or "
                    "Moodle gradebook import file)"))
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "hub":   # the hub's options are traits: --Hub.NAME=VALUE (deploy/hub.py)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    if args.command == "release":
        from .authoring.release import release
        for path in release(only=args.assignment):
            print("wrote", path)
        return 0
    if args.command == "grade":
        return _grade(args)
    if args.command == "report":
        from .grading.outputs.report import class_summary, report as make_report
        print(class_summary(args.out) if args.for_students else make_report(args.out))
        return 0
    if args.command == "sample-class":
        from .demo.sample_class import make
        print("wrote", ", ".join(make(args.dir)), "under", args.dir)
        return 0
    if args.command == "demo":
        from .demo import demo
        return demo()
    if args.command == "serve":
        from .service.cli import serve
        return serve(args)
    if args.command == "hub":
        return hub.main(args, extra)
    if args.command == "lms":
        return lms_cli.main(args)
    return 2


def _grade(args: argparse.Namespace) -> int:
    from .grading.isolation.readiness import caps_or_refusal
    from .grading.outputs.aggregate import score_table
    from .grading.orchestrate.batch import Options, run
    from .grading.records import Limits

    if not args.submissions.is_dir():
        print(f"no folder {args.submissions}", file=sys.stderr)
        return 2
    mechanism = caps_or_refusal(args.no_sandbox, args.no_caps, args.scheduler, "grade")  # what holds the caps
    if mechanism is False:
        return 2
    from .authoring.course import find_course
    from .grading.orchestrate.course import graded_assignments
    course = find_course(args.submissions)
    only = args.assignment
    if course is not None and not only:  # a course grades what its students submitted
        only = graded_assignments(course, args.submissions)
    from .grading.isolation.pool import KernelPool
    opts = Options(jobs=max(1, args.jobs), sandbox=not args.no_sandbox, limits=Limits.from_args(args),
                   show_hidden=args.show_hidden, assignments=only, caps_mechanism=mechanism or None, course=course,
                   kernels_ahead=KernelPool(config=course.config if course else None).size)
    if args.scheduler:
        from .grading.orchestrate import cluster
        try:
            results = cluster.run(args.submissions, args.out, opts, args.scheduler)
        except KeyboardInterrupt:
            print("\ninterrupted: the cluster's tasks are cancelled; run the same command again to grade "
                  "what is missing", file=sys.stderr)
            return 130
    else:
        try:
            results = run(args.submissions, args.out, opts)
        except KeyboardInterrupt:
            print("\ninterrupted: its grading processes are stopped and nothing of them is left; run the same "
                  "command again to grade what is missing", file=sys.stderr)
            return 130
    print(score_table(results))
    failed = [r for r in results if r.retry]
    if failed:
        tried = [r for r in results if r.graded or r in failed]
        logs = "the workers' logs" if args.scheduler else args.out / ".grader" / "logs"
        print(f"\n{len(failed)} of {len(tried)} submitted notebooks could not be run by the grader "
              f"(rule grading_error in integrity.csv; logs in {logs}); "
              "the next run of the same command tries them again.", file=sys.stderr)
        if len(failed) == len(tried):
            print("None could: this is a problem of the grading machine, not of the students. "
                  "Fix it and run the same command again: it grades those submissions again.", file=sys.stderr)
    print(f"\nwrote {args.out / 'grades.csv'}, {args.out / 'integrity.csv'} and {args.out / 'feedback'}/")
    if course is not None:
        print(f"and into the nbgrader course {course.root}: its gradebook ({course.db_url}), autograded/ "
              "and feedback/ (nbgrader export, formgrader and release_feedback read them)")
        from .lms.cli import after_grading
        after_grading(course)   # an LTI-linked course's scores to the LMS gradebook (README, "From an LMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

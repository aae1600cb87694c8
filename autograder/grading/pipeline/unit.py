"""Grade one student's one assignment in a course folder of its own (its own copy of the gradebook),
so that units are independent: any number run side by side, any one can be redone, and a failure
in one touches no other.

A unit goes through four stages, each timed (UnitResult.timings):
- intake:  copy the submission into the unit's course folder, check and repair its notebooks, scan them;
- run:     nbgrader autograde (each notebook in a sandboxed kernel) and generate_feedback;
- collect: scores and per-test outcomes from the unit's gradebook, what the sandbox saw;
- publish: feedback pages into OUT/feedback and the result, written last.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from traitlets.config import Config

from ...authoring.cells import grade_id, has_nbgrader, is_solution_cell, is_test_cell
from ...pages import render
from ...paths import COURSE_ID, ensure_tools_on_path
from .kernel_client import DOTTED_NAME as STEADY_CLIENT
from . import execute, ledger, needed
from ..isolation import kernel_caps, leftovers, pool, sandbox
from .feedback_html import FeedbackPages
from ..outputs.integrity import cell_fingerprints, observed, scan_source
from .preprocessors import KeepGraded, VerifyChecks
from .scratch_gradebook import scratch
from ..records import OUTPUT_LINES, CellScore, Finding, Unit, UnitResult, Verdict

MAX_FILE_BYTES = 20_000_000  # a submitted file larger than this is not copied (notebooks are ~100 kB)

Find = Callable[[str, str, str], None]  # (notebook, rule, detail): record an integrity finding
PAGES = FeedbackPages()  # the feedback pages' exporters, made once per grading process


@dataclass
class Intake:
    """What the intake stage leaves for the others."""
    course: Path                      # the unit's own nbgrader course folder
    submitted: Path                   # course/submitted/<student>/<assignment>
    expected: list[str]               # notebook file names the assignment has
    notes: dict[str, str] = field(default_factory=dict)   # notebook -> why it scores 0
    findings: list[Finding] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)  # notebook -> integrity.cell_fingerprints
    runnable: bool = False            # at least one notebook for nbgrader to grade

    def finder(self, unit: Unit) -> Find:
        def find(notebook: str, rule: str, detail: str) -> None:
            self.findings.append(Finding(unit.student, unit.assignment, notebook, rule, detail))
        return find


@contextmanager
def scoped_env(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block, whatever happens in it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def _stage(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - start, 3)


def grade_unit(unit: Unit, kernels: Optional[pool.Pool] = None) -> UnitResult:
    """Grade one unit through its four stages; write and return its result. `kernels`: the grading
    process's kernels started ahead, if it keeps any."""
    timings: dict[str, float] = {}
    with scratch(unit.course / "gradebook.db"), ledger.opened() as ran:
        with _stage(timings, "intake"):
            intake = take_in(unit)
        with _stage(timings, "run"):
            log, ok = run(unit, intake, timings, kernels, ran)
        with _stage(timings, "collect"):
            result = collect(unit, intake, log, ok, ran)
    with _stage(timings, "publish"):
        publish_feedback(unit, intake.expected, intake.notes)
    result.timings = timings
    return result.write(unit.work)


# ---------- intake
def take_in(unit: Unit) -> Intake:
    """A fresh course folder for the unit, holding the submission as nbgrader expects it."""
    if unit.work.exists():
        shutil.rmtree(unit.work)
    course = unit.course
    course.mkdir(parents=True)
    (course / "source").symlink_to(unit.master / "source")
    shutil.copyfile(unit.master / "gradebook.db", course / "gradebook.db")
    release = unit.release
    intake = Intake(course=course, submitted=course / "submitted" / unit.student / unit.assignment,
                    expected=unit.notebooks())
    find = intake.finder(unit)
    if not unit.submitted.is_dir():
        for name in intake.expected:
            find(name, "missing_notebook", f"no folder {unit.student}/{unit.assignment} in the submissions")
            intake.notes[name] = "not submitted"
        return intake
    copy_notes: list[str] = []
    _copy_submission(unit.submitted, intake.submitted, copy_notes)
    for text in copy_notes:
        find("", "unsafe_file", text)
    _add_assignment_files(release, intake.submitted)
    _check_notebooks(intake.submitted, intake.expected, release, find, intake)
    intake.runnable = any(intake.submitted.glob("*.ipynb"))
    return intake


def submission_entries(src: Path) -> Iterator[tuple[Path, str, Path]]:
    """(relative path, kind, path) of what a submission folder holds, as the grader takes it, here and
    when packed for a cluster: "link" (a symlink, never followed: it could point at the instructor's
    files), "oversized" (over MAX_FILE_BYTES: not read) or "file"; notebook checkpoints left out."""
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_symlink():
            yield rel, "link", path
        elif path.is_file() and ".ipynb_checkpoints" not in rel.parts:
            yield rel, "oversized" if path.stat().st_size > MAX_FILE_BYTES else "file", path


def _copy_submission(src: Path, dest: Path, findings: list[str]) -> None:
    """Copy regular files only, none too big."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, kind, path in submission_entries(src):
        if kind == "link":
            findings.append(f"symlink {rel} not copied")
        elif kind == "oversized":
            findings.append(f"{rel} is over {MAX_FILE_BYTES // 1_000_000} MB; not copied")
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)



def _add_assignment_files(release: Path, submitted: Path) -> None:
    """Files that ship with an assignment (notebook 4's tiny_cnn.py) are run as released, whatever
    the student submitted, as nbgrader does for its autograded folder."""
    for path in sorted(release.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb":
            dest = submitted / path.relative_to(release)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)



def _check_notebooks(submitted: Path, expected: list[str], release: Path, find: Find, intake: Intake) -> None:
    notes = intake.notes
    present = {p.name for p in submitted.glob("*.ipynb")}
    strays = sorted(present - set(expected))
    for name in expected:
        path = submitted / name
        if name not in present:
            if len(strays) == 1 and len(expected) == 1:  # renamed: grade it under its expected name
                (submitted / strays[0]).rename(path)
                find(name, "renamed_notebook", f"submitted as {strays[0]!r}; graded as {name}")
            else:
                find(name, "missing_notebook", "no such notebook in the submission")
                notes[name] = "not submitted"
                continue
        try:
            invalid: dict[str, Exception] = {}  # nbformat.read validates: its error raised, not validated again
            nb = nbformat.read(path, as_version=4, capture_validation_error=invalid)
            if invalid:
                raise invalid["ValidationError"]
        except Exception as err:  # any unreadable file: JSON, schema, encoding errors alike
            path.rename(path.with_suffix(".ipynb.invalid"))
            find(name, "invalid_notebook", f"{type(err).__name__}: {str(err)[:200]}")
            notes[name] = f"the file could not be read as a notebook ({type(err).__name__}); it scored 0"
            continue
        text = _unwritable_text(nb)
        if text is not None:  # JSON may escape a lone surrogate, which no file can hold unescaped
            nb = nbformat.reads(text.encode("utf-8", "replace").decode("utf-8"), as_version=4)
            nbformat.write(nb, path)
            find(name, "invalid_text", "characters that are not Unicode (lone surrogates) replaced by '?'")
        released = needed.released(release / name)
        restored = _restore_metadata(nb, released)
        if restored:
            find(name, "stripped_metadata", f"nbgrader metadata restored on {', '.join(restored)}")
            nbformat.write(nb, path)
        _scan(nb, released, name, find)
        intake.fingerprints[name] = cell_fingerprints(nb.cells)  # compared across the class by aggregate.py



def _unwritable_text(nb: Any) -> Optional[str]:
    """nbformat's text of the notebook if it holds characters no UTF-8 file can (lone surrogates), else None.
    A plain dump is tried first: it holds every string nbformat.writes would (writes drops transient fields
    and splits strings into lines) at a fraction of its cost (a deep copy, a validation, an indented dump)."""
    try:
        json.dumps(nb, ensure_ascii=False).encode("utf-8")
        return None
    except UnicodeEncodeError:
        text = nbformat.writes(nb)
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return text


def _restore_metadata(nb: Any, released: Any) -> list[str]:
    """Give back the nbgrader metadata of solution cells that lost it (matched by cell id, else by
    the `def name(` they contain), so that nbgrader can place the test cells it restores."""
    present = {grade_id(c) for c in nb.cells}
    wanted = [c for c in released.cells if is_solution_cell(c) and grade_id(c) not in present]
    restored = []
    for ref in wanted:
        gid = grade_id(ref)
        match = next((c for c in nb.cells if c.get("id") == ref.get("id") and not has_nbgrader(c)), None) \
            or next((c for c in nb.cells if c.cell_type == "code" and not has_nbgrader(c)
                     and re.search(rf"^def {re.escape(gid)}\(", c.source, re.M)), None)
        if match is not None:
            match.metadata["nbgrader"] = dict(ref.metadata["nbgrader"])
            restored.append(gid)
    return restored



def _scan(nb: Any, released: Any, name: str, find: Find) -> None:
    tests = {grade_id(c): c.source for c in released.cells if is_test_cell(c)}
    given = {c.source.strip() for c in released.cells if c.cell_type == "code"}  # teaching cells as shipped
    seen = set()
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in tests:
            seen.add(gid)
            if cell.source.strip() != tests[gid].strip():
                find(name, "edited_test_cell", f"{gid} differs from the released test (the original was graded)")
        elif cell.cell_type == "code" and cell.source.strip() not in given:
            for rule, detail in scan_source(cell.source):
                find(name, rule, f"{gid or 'cell'}: {detail}")
    for gid in sorted(set(tests) - seen):
        find(name, "deleted_test_cell", f"{gid} was missing or had lost its metadata (restored and graded)")


# ---------- run
def _config(unit: Unit, course: Path, runtime: Path, group: kernel_caps.Group | None, kernels: Optional[pool.Pool],
            submission: Path, ran: ledger.Ledger):
    c = Config()
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = unit.gradebook_url
    c.CourseDirectory.course_id = COURSE_ID
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                          CheckCellMetadata]
    # nbgrader's metadata checked once, last of the sanitizing pass: the autograding pass reads the file
    # that pass wrote (before any kernel starts) and nothing in it changes a cell's metadata.nbgrader (cells
    # run, outputs are checked, cut and scored; ClearMetadataPreprocessor, off unless configured, could only
    # remove it), so nbgrader's second CheckCellMetadata could refuse nothing the first passed; it cost a
    # jsonschema check (schema included) of every nbgrader cell of every notebook
    c.Autograde.autograde_preprocessors = [execute.SandboxedExecute, VerifyChecks, IgnorePattern,
                                           ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                           AssignLatePenalties, KeepGraded]
    c.OverwriteCells.add_missing_cells = True
    # the notebook validated once after the preprocessors, not after each (validating changes nothing)
    c.Exporter.optimistic_validation = True
    c.SandboxedExecute.kernel_name = sandbox.KERNEL_NAME
    c.SandboxedExecute.shutdown_kernel = "immediate"  # the notebook is done: no graceful goodbye needed
    limits = unit.isolation.limits
    c.SandboxedExecute.timeout = limits.timeout
    c.SandboxedExecute.notebook_timeout = limits.notebook_timeout
    c.SandboxedExecute.max_output_bytes = limits.max_output_bytes
    c.SandboxedExecute.release_dir = str(unit.release)
    c.SandboxedExecute.disk_bytes = unit.isolation.disk_bytes
    c.SandboxedExecute.caps_group = group.to_json() if group else {}
    c.SandboxedExecute.ledger = c.VerifyChecks.ledger = c.KeepGraded.ledger = ran.key
    c.SandboxedExecute.pool_key = kernels.key if kernels else ""
    c.SandboxedExecute.submission = str(submission)
    # IPC sockets in the per-unit runtime folder, the one folder the sandbox shares with the grader
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(runtime / "kernel")
    c.KernelManager.connection_file = str(runtime / "kernel.json")
    # waits that cannot miss an arrived message (a missed wake-up stalled a cell for its whole time limit)
    c.KernelManager.client_class = STEADY_CLIENT
    c.LimitOutput.max_lines = OUTPUT_LINES
    return c


def _write_kernelspec(unit: Unit, intake: Intake, group: kernel_caps.Group | None, runtime: Path) -> None:
    """The unit's kernelspec, which holds what the kernel is started with (sandbox.py)."""
    course = intake.course
    mplcache = unit.master / "mplcache"
    # bound read-write: a copy of its own (with the disk cap it is copied in)
    if not unit.isolation.disk_bytes and mplcache.is_dir():
        shutil.copytree(mplcache, course / "mplcache")
        mplcache = course / "mplcache"
    sandbox.write_kernelspec(course / "jupyter", sandbox.KernelSettings.of(
        unit.isolation, assignment=unit.assignment, scratch=str(intake.submitted),
        mplcache=str(mplcache) if mplcache.is_dir() else None, group=group), str(runtime / "kernel.json"))


def run(unit: Unit, intake: Intake, timings: dict[str, float], kernels: Optional[pool.Pool],
        ran: ledger.Ledger) -> tuple[str, bool]:
    """nbgrader autograde and the feedback pages; (nbgrader's log, whether it succeeded). With `kernels`,
    each notebook runs in a kernel started ahead (each with its own group and caps, pool.py) where the
    unit's settings allow it; otherwise in a kernel started here, in the unit's group."""
    if not intake.runnable:
        return "", False
    ensure_tools_on_path()
    setting = pool.setting_for(unit.isolation, unit.master)
    if kernels is not None and setting.poolable():
        kernels.use(setting)
    else:
        kernels = None
    # the kernels' runtime folder (in memory where there is /dev/shm: what a kernel writes beside its
    # sockets counts against its memory cap, never the disk) and the unit's control group (none when its
    # kernels come from the pool: each has its own), both gone when the block ends (leftovers.py)
    held = unit.isolation
    with leftovers.held(unit.work, None if kernels else held.caps_mechanism, held.limits) as (runtime, group):
        _write_kernelspec(unit, intake, group, runtime)
        with scoped_env(JUPYTER_PATH=str(intake.course / "jupyter"), JUPYTER_RUNTIME_DIR=str(runtime)):
            log, ok = _autograde(unit, intake, runtime, group, timings, kernels, ran)
    if log and not ok:
        intake.finder(unit)("", "grading_error", _cause(log))
    return log, ok


def _autograde(unit: Unit, intake: Intake, runtime: Path, group: kernel_caps.Group | None,
               timings: dict[str, float], kernels: Optional[pool.Pool], ran: ledger.Ledger) -> tuple[str, bool]:
    """nbgrader's autograde of the unit, then its feedback pages; (nbgrader's log, whether it succeeded)."""
    config = _config(unit, intake.course, runtime, group, kernels, intake.submitted, ran)
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    out = api.autograde(unit.assignment, unit.student, force=True, create=True)
    timings.update(ran.timings)
    ok, log = out["success"], out["log"] + str(out.get("error") or "")
    if ok:
        with _stage(timings, "feedback"):   # the pages GenerateFeedback writes (feedback_html.py)
            failed = PAGES.write(unit.autograded, unit.course_feedback, unit.student, unit.assignment,
                                 unit.gradebook_url, unit.show_hidden)
        if failed:   # the scores stand; the page says it could not be written
            intake.finder(unit)("", "grading_error", "feedback page: " + failed[:300])
    return log, ok


def _cause(log: str) -> str:
    """The most telling line of a failed nbgrader run: the last error that is not nbgrader's wrapper."""
    lines = [l.strip() for l in log.splitlines() if re.match(r"\s*[\w.]*(Error|Exception|Exit)\b.*:", l)]
    lines = [l for l in lines if "NbGraderException" not in l] or log.strip().splitlines()[-1:]
    return lines[-1][:300] if lines else "nbgrader failed"


# ---------- collect
def _zero_tests(assignment: Any) -> dict[str, CellScore]:
    return {f"{nb.name}:{cell.name}": CellScore(0.0, float(cell.max_score))
            for nb in assignment.notebooks for cell in nb.grade_cells if cell.max_score}


def collect(unit: Unit, intake: Intake, log: str, ok: bool, ran: Optional[ledger.Ledger] = None) -> UnitResult:
    """The unit's scores from its gradebook, what the sandbox saw in each autograded notebook, and the
    verdicts, caps and cut outputs of the run's ledger (None: nothing ran)."""
    ran = ran or ledger.Ledger(key="")
    result = UnitResult(student_id=unit.student, assignment=unit.assignment, raw_score=0.0, max_score=0.0,
                        master_hash=unit.master_hash, notes=intake.notes, graded=ok,
                        # nbgrader itself failed (a broken grading machine, most often): try again next run
                        retry=bool(log) and not ok)
    with Gradebook(unit.gradebook_url, COURSE_ID) as gb:
        assignment = gb.find_assignment(unit.assignment)
        result.max_score = float(assignment.max_score)
        try:
            sub = gb.find_submission(unit.assignment, unit.student)
        except MissingEntry:
            result.tests = _zero_tests(assignment)
        else:
            result.raw_score = float(sub.score)
            result.timestamp = str(sub.timestamp or "")
            result.tests = {f"{nbsub.name}:{grade.name}": CellScore(float(grade.score or 0), float(grade.max_score))
                            for nbsub in sub.notebooks for grade in nbsub.grades
                            if grade.cell_type == "code" and grade.max_score}
    find = intake.finder(unit)
    for name in intake.expected:
        path, stem = unit.autograded / name, name.removesuffix(".ipynb")
        if path.exists():   # nbgrader wrote it (it removes what a failed run wrote)
            nb = ran.graded.get(stem) or nbformat.read(path, as_version=4)
            for rule, detail in observed(nb, ran.caps.get(stem, {}), ran.truncated.get(stem, set())):
                find(name, rule, detail)
    _add_verdicts(result, ran.verdicts)
    result.findings = intake.findings
    result.fingerprints = intake.fingerprints
    return result


def _add_verdicts(result: UnitResult, verdicts: dict[str, Verdict]) -> None:
    """What VerifyChecks decided on each test cell (causes of a lost point, concept answers)."""
    for key, verdict in verdicts.items():
        test = result.tests.get(key)
        if test is None:
            continue
        if test.score < test.max_score:
            test.function, test.causes = verdict.function, list(verdict.causes)
        if verdict.answers:
            test.answers = dict(verdict.answers)


# ---------- publish
def publish_feedback(unit: Unit, expected: list[str], notes: dict[str, str]) -> None:
    """OUT/feedback/<student>/<assignment>/<notebook>.html: nbgrader's page, or one saying why there is none."""
    dest = unit.feedback
    dest.mkdir(parents=True, exist_ok=True)
    for name in expected:
        html_name = name.replace(".ipynb", ".html")
        made = unit.course_feedback / html_name
        if made.exists() and name not in notes:
            shutil.copyfile(made, dest / html_name)
        else:
            reason = notes.get(name, "this notebook could not be graded; ask your instructor")
            (dest / html_name).write_text(render("feedback/not_graded.html.j2", title=name, box="",
                                                 assignment=unit.assignment, reason=reason))


def failure_result(unit: Unit, reason: str, retry: bool = False) -> UnitResult:
    """The result of a unit whose grading could not finish (killed at its deadline, worker crash):
    zero for every test, the reason in the feedback and in integrity.csv."""
    with Gradebook(unit.master_gradebook_url, COURSE_ID) as gb:
        assignment = gb.find_assignment(unit.assignment)
        max_score, tests = float(assignment.max_score), _zero_tests(assignment)
    expected = unit.notebooks()
    notes = {name: reason for name in expected}
    result = UnitResult(student_id=unit.student, assignment=unit.assignment, raw_score=0.0, max_score=max_score,
                        master_hash=unit.master_hash, tests=tests, notes=notes, retry=retry,
                        findings=[Finding(unit.student, unit.assignment, "", "grading_error", reason)])
    publish_feedback(unit, expected, notes)
    return result.write(unit.work)

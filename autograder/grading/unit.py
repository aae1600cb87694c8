"""Grade one student's one assignment in a course folder of its own (its own copy of the gradebook),
so that units are independent: any number run side by side, any one can be redone, and a failure
in one touches no other."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from ..paths import ensure_tools_on_path
from . import sandbox
from .integrity import Finding, observed, scan_source, solution_fingerprint
from ..cells import grade_id, is_solution_cell, is_test_cell
from ..paths import COURSE_ID
from .preprocessors import HideHiddenTests, VerifyChecks

MAX_FILE_BYTES = 20_000_000  # a submitted file larger than this is not copied (notebooks are ~100 kB)


def _copy_submission(src: Path, dest: Path, findings: list[str]) -> None:
    """Copy regular files only: a symlink in a submission could point at the instructor's files."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_symlink():
            findings.append(f"symlink {rel} not copied")
        elif path.is_file() and ".ipynb_checkpoints" not in rel.parts:
            if path.stat().st_size > MAX_FILE_BYTES:
                findings.append(f"{rel} is over {MAX_FILE_BYTES // 1_000_000} MB; not copied")
                continue
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)


def _config(unit: dict, course: Path):
    from traitlets.config import Config
    from .execute import SandboxedExecute
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                        IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                        SaveAutoGrades, GetGrades)
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor

    c = Config()
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.source_directory = "source"
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    c.CourseDirectory.course_id = COURSE_ID
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells,
                                          CheckCellMetadata]
    c.Autograde.autograde_preprocessors = [SandboxedExecute, VerifyChecks, IgnorePattern, ClearMetadataPreprocessor,
                                           LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    c.OverwriteCells.add_missing_cells = True
    c.SandboxedExecute.kernel_name = sandbox.KERNEL_NAME
    c.SandboxedExecute.shutdown_kernel = "immediate"  # the notebook is done: no graceful goodbye needed
    c.SandboxedExecute.timeout = int(unit["timeout"])
    c.SandboxedExecute.notebook_timeout = int(unit["notebook_timeout"])
    c.SandboxedExecute.max_output_bytes = int(unit["max_output_bytes"])
    # IPC sockets in the per-unit runtime folder, the one folder the sandbox shares with the grader
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(Path(unit["runtime"]) / "kernel")
    c.KernelManager.connection_file = str(Path(unit["runtime"]) / "kernel.json")
    c.LimitOutput.max_lines = 200
    c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
    c.HideHiddenTests.show_hidden = bool(unit["show_hidden"])
    return c


def grade_unit(unit: dict) -> dict:
    """Grade unit = {student, assignment, submissions, work, master, out, options...}; write and
    return its result (score, per-test outcome, findings)."""
    student, assignment = unit["student"], unit["assignment"]
    work = Path(unit["work"])
    if work.exists():
        shutil.rmtree(work)
    course = work / "course"
    course.mkdir(parents=True)
    master = Path(unit["master"])
    (course / "source").symlink_to(master / "source")
    shutil.copyfile(master / "gradebook.db", course / "gradebook.db")
    expected = sorted(p.name for p in (master / "release" / assignment).glob("*.ipynb"))
    findings: list[Finding] = []

    def find(notebook: str, rule: str, detail: str) -> None:
        findings.append(Finding(student, assignment, notebook, rule, detail))

    src = Path(unit["submissions"]) / student / assignment
    submitted = course / "submitted" / student / assignment
    notes: dict[str, str] = {}
    if not src.is_dir():
        for name in expected:
            find(name, "missing_notebook", f"no folder {student}/{assignment} in the submissions")
            notes[name] = "not submitted"
    else:
        copy_notes: list[str] = []
        _copy_submission(src, submitted, copy_notes)
        for text in copy_notes:
            find("", "unsafe_file", text)
        _add_assignment_files(master / "release" / assignment, submitted)
        _check_notebooks(submitted, expected, master / "release" / assignment, find, notes)
    result = _autograde(unit, course, submitted, expected, find, notes)
    result["findings"] = [f.row() for f in findings]
    _publish_feedback(unit, course, expected, notes)
    return _write_result(work, result)


def _write_result(work: Path, result: dict) -> dict:
    """Written last and atomically: its presence means "this unit is done"."""
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / "result.json.tmp"
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(work / "result.json")
    return result


def _add_assignment_files(release: Path, submitted: Path) -> None:
    """Files that ship with an assignment (notebook 4's tiny_cnn.py) are run as released, whatever
    the student submitted, as nbgrader does for its autograded folder."""
    for path in sorted(release.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb":
            dest = submitted / path.relative_to(release)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def _check_notebooks(submitted: Path, expected: list[str], release: Path, find, notes: dict[str, str]) -> None:
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
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as err:  # any unreadable file: JSON, schema, encoding errors alike
            path.rename(path.with_suffix(".ipynb.invalid"))
            find(name, "invalid_notebook", f"{type(err).__name__}: {str(err)[:200]}")
            notes[name] = f"the file could not be read as a notebook ({type(err).__name__}); it scored 0"
            continue
        released = nbformat.read(release / name, as_version=4)
        restored = _restore_metadata(nb, released)
        if restored:
            find(name, "stripped_metadata", f"nbgrader metadata restored on {', '.join(restored)}")
            nbformat.write(nb, path)
        _scan(nb, released, name, find)


def _restore_metadata(nb: Any, released: Any) -> list[str]:
    """Give back the nbgrader metadata of solution cells that lost it (matched by cell id, else by
    the `def name(` they contain), so that nbgrader can place the test cells it restores."""
    import re
    present = {grade_id(c) for c in nb.cells}
    wanted = [c for c in released.cells if is_solution_cell(c) and grade_id(c) not in present]
    restored = []
    for ref in wanted:
        gid = ref.metadata["nbgrader"]["grade_id"]
        match = next((c for c in nb.cells if c.get("id") == ref.get("id") and "nbgrader" not in c.metadata), None) \
            or next((c for c in nb.cells if c.cell_type == "code" and "nbgrader" not in c.metadata
                     and re.search(rf"^def {re.escape(gid)}\(", c.source, re.M)), None)
        if match is not None:
            match.metadata["nbgrader"] = dict(ref.metadata["nbgrader"])
            restored.append(gid)
    return restored


def _scan(nb: Any, released: Any, name: str, find) -> None:
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
    find(name, "fingerprint", solution_fingerprint(nb.cells))


def _autograde(unit: dict, course: Path, submitted: Path, expected: list[str], find, notes) -> dict:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    ensure_tools_on_path()
    student, assignment = unit["student"], unit["assignment"]
    runtime = Path(tempfile.mkdtemp(prefix="cnnk-"))  # short: IPC socket paths are limited to 107 bytes
    unit = dict(unit, runtime=str(runtime))
    jupyter = course / "jupyter"
    sandbox.write_kernelspec(jupyter)
    spec_file = course / "kernel.json"
    mplcache = course / "mplcache"
    if (Path(unit["master"]) / "mplcache").is_dir():
        shutil.copytree(Path(unit["master"]) / "mplcache", mplcache)
    spec_file.write_text(json.dumps({
        "sandbox": unit["sandbox"], "assignment": assignment, "scratch": str(submitted),
        "mplcache": str(mplcache) if mplcache.is_dir() else None,
        "memory_bytes": unit["memory_bytes"], "file_bytes": 100_000_000}))
    env_before = dict(os.environ)
    os.environ.update({"JUPYTER_PATH": str(jupyter), "JUPYTER_RUNTIME_DIR": str(runtime),
                       sandbox.SPEC_ENV: str(spec_file)})
    log, ok = "", False  # graded only when nbgrader ran and succeeded; a missing submission is not
    try:
        if submitted.is_dir() and any(submitted.glob("*.ipynb")):
            config = _config(unit, course)
            api = NbGraderAPI(CourseDirectory(config=config), config=config)
            out = api.autograde(assignment, student, force=True, create=True)
            ok, log = out["success"], out["log"] + str(out.get("error") or "")
            if ok:
                api.generate_feedback(assignment, student, force=True)
    finally:
        os.environ.clear()
        os.environ.update(env_before)
        shutil.rmtree(runtime, ignore_errors=True)
    if log and not ok:
        find("", "grading_error", _cause(log))

    tests: dict[str, dict] = {}
    score, max_score, timestamp = 0.0, 0.0, ""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        a = gb.find_assignment(assignment)
        max_score = float(a.max_score)
        try:
            sub = gb.find_submission(assignment, student)
            score = float(sub.score)
            timestamp = str(sub.timestamp or "")
            for nbsub in sub.notebooks:
                for grade in nbsub.grades:
                    if grade.cell_type == "code" and grade.max_score:
                        tests[f"{nbsub.name}:{grade.name}"] = {
                            "score": float(grade.score or 0), "max_score": float(grade.max_score)}
        except MissingEntry:
            for nb in a.notebooks:
                for cell in nb.grade_cells:
                    if cell.max_score:
                        tests[f"{nb.name}:{cell.name}"] = {"score": 0.0, "max_score": float(cell.max_score)}
    for name in expected:
        path = course / "autograded" / student / assignment / name
        if path.exists():
            for rule, detail in observed(nbformat.read(path, as_version=4)):
                find(name, rule, detail)
    return {"student_id": student, "assignment": assignment, "score": score, "max_score": max_score,
            "timestamp": timestamp, "tests": tests, "notes": notes, "graded": ok, "master": unit["master_hash"],
            # nbgrader itself failed (a broken grading machine, most often): try again on the next run
            "retry": bool(log) and not ok}


def _cause(log: str) -> str:
    """The most telling line of a failed nbgrader run: the last error that is not nbgrader's wrapper."""
    import re
    lines = [l.strip() for l in log.splitlines() if re.match(r"\s*[\w.]*(Error|Exception|Exit)\b.*:", l)]
    lines = [l for l in lines if "NbGraderException" not in l] or log.strip().splitlines()[-1:]
    return lines[-1][:300] if lines else "nbgrader failed"


def _publish_feedback(unit: dict, course: Path, expected: list[str], notes: dict[str, str]) -> None:
    import html
    dest = Path(unit["out"]) / "feedback" / unit["student"] / unit["assignment"]
    dest.mkdir(parents=True, exist_ok=True)
    for name in expected:
        html_name = name.replace(".ipynb", ".html")
        made = course / "feedback" / unit["student"] / unit["assignment"] / html_name
        if made.exists() and name not in notes:
            shutil.copyfile(made, dest / html_name)
        else:
            reason = notes.get(name, "this notebook could not be graded; ask your instructor")
            (dest / html_name).write_text(
                f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
                f"<body><h1>{html.escape(unit['assignment'])} / {html.escape(name)}</h1>"
                f"<p>Score: 0. Reason: {html.escape(reason)}.</p></body></html>\n")


def failure_result(unit: dict, reason: str, retry: bool = False) -> dict:
    """The result of a unit whose grading could not finish (killed at its deadline, worker crash):
    zero for every test, the reason in the feedback and in integrity.csv."""
    from nbgrader.api import Gradebook
    master = Path(unit["master"])
    tests, max_score = {}, 0.0
    with Gradebook(f"sqlite:///{master / 'gradebook.db'}", COURSE_ID) as gb:
        a = gb.find_assignment(unit["assignment"])
        max_score = float(a.max_score)
        for nb in a.notebooks:
            for cell in nb.grade_cells:
                if cell.max_score:
                    tests[f"{nb.name}:{cell.name}"] = {"score": 0.0, "max_score": float(cell.max_score)}
    expected = sorted(p.name for p in (master / "release" / unit["assignment"]).glob("*.ipynb"))
    notes = {name: reason for name in expected}
    result = {"student_id": unit["student"], "assignment": unit["assignment"], "score": 0.0,
              "max_score": max_score, "timestamp": "", "tests": tests, "notes": notes, "graded": False,
              "master": unit["master_hash"], "retry": retry,
              "findings": [Finding(unit["student"], unit["assignment"], "", "grading_error", reason).row()]}
    work = Path(unit["work"])
    _publish_feedback(unit, work / "course", expected, notes)
    return _write_result(work, result)

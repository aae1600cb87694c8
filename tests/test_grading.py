"""The instructor's grader, end to end on the sample class: every promise of `grade`.

One batch is graded once for the module (about a minute on 2 cores); each test reads what it needs.
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.paths import ROOT
from autograder.authoring.release import assignments
from autograder.grading.isolation import leftovers
from autograder.grading.outputs.report import class_summary, report
from tests import machine
from tests.conftest import cell_points
from autograder.demo.sample_class import make
from autograder.authoring.variants import filled_student_notebook, solution_sources

pytestmark = pytest.mark.slow

FIRST, SECOND = "01_conv_forward", "02_pool_forward"
ALL = assignments()


def grade(*args: str, env=None, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def rows(out: Path, name: str) -> list[dict]:
    with open(out / name, newline="") as fh:
        return list(csv.DictReader(fh))


def scores(out: Path) -> dict[tuple[str, str], tuple[float, float]]:
    return {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"]))
            for r in rows(out, "grades.csv")}


def spy_notebook(tmp: Path) -> nbformat.NotebookNode:
    """A right solution that also tries every way to the instructor's files it can name."""
    targets = [ROOT / "solutions" / FIRST / f"{FIRST}.ipynb", ROOT / "nbgrader_config.py", tmp / "out" / "grades.csv",
               tmp / "out" / ".grader" / "master" / "gradebook.db", tmp / "subs" / "ada" / FIRST / f"{FIRST}.ipynb"]
    spy = "\n".join([
        "import os",
        f"for target in {[str(t) for t in targets]!r}:",
        "    try:",
        "        open(target).read(10)",
        "        print('LEAK' + 'ED', target)",  # split, so that only the output can hold the word
        "    except OSError as err:",
        "        print('blocked', type(err).__name__)",
        # writes: the sandbox's root, the course files it can see, and the real checkout (when the
        # checkout is under /tmp, that path lands in the kernel's private in-memory /tmp instead)
        f"for target in {['/planted.txt', '/course/cnn_student/planted.txt', '/course/data/planted.txt', str(ROOT / 'planted.txt')]!r}:",
        "    try:",
        "        open(target, 'w').write('x')",
        "        print('WRO' + 'TE', target)",
        "    except OSError as err:",
        "        print('blocked write', type(err).__name__)",
    ])
    nb = nbformat.read(ROOT / "notebooks" / FIRST / f"{FIRST}.ipynb", as_version=4)
    sources = solution_sources(FIRST)
    sources["zero_pad"] = sources["zero_pad"] + "\n" + spy
    return filled_student_notebook(nb, sources)


@pytest.fixture(scope="module")
def batch(tmp_path_factory, seed_out):
    tmp = tmp_path_factory.mktemp("grading")
    subs = tmp / "subs"
    make(subs)
    for student in ("cy", "eve", "fay", "gus", "hal", "ivy", "jo"):  # hostile ones: the forward notebooks suffice
        for a in ALL[2:]:
            shutil.rmtree(subs / student / a, ignore_errors=True)
    (subs / "spy" / FIRST).mkdir(parents=True)
    nbformat.write(spy_notebook(tmp), subs / "spy" / FIRST / f"{FIRST}.ipynb")
    out = seed_out(tmp / "out")
    before = machine.stale()
    start = time.monotonic()
    proc = grade("--submissions", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "5")
    return {"tmp": tmp, "subs": subs, "out": out, "stdout": proc.stdout, "seconds": time.monotonic() - start,
            "seed": seed_out, "before": before}


def small_class(batch, name: str, students) -> Path:
    """Some students' forward notebooks only (the others count as missing: quick to grade)."""
    subs = batch["tmp"] / name
    for student in students:
        for a in (FIRST, SECOND):
            if (batch["subs"] / student / a).is_dir():
                shutil.copytree(batch["subs"] / student / a, subs / student / a)
    return subs


def forward_scores(out: Path, students) -> dict:
    return {k: v for k, v in scores(out).items() if k[0] in students and k[1] in (FIRST, SECOND)}


def feedback(out: Path, student: str, assignment: str) -> str:
    return next((out / "feedback" / student / assignment).glob("*.html")).read_text()


def test_reference_solutions_get_full_marks_and_untouched_notebooks_zero(batch):
    s = scores(batch["out"])
    for a in ALL:
        score, top = s[("ada", a)]
        assert top > 0 and score == top, f"the reference solution of {a} got {score}/{top}"
        assert s[("dee", a)] == (0.0, top), f"the untouched {a} got {s[('dee', a)]}"


def test_every_student_and_assignment_has_a_row(batch):
    students = {p.name for p in batch["subs"].iterdir()}
    assert set(scores(batch["out"])) == {(st, a) for st in students for a in ALL}
    assert "ada" in batch["stdout"] and "total" in batch["stdout"]  # the score table is printed


def test_grades_pages_and_report_identical_to_the_pinned_grading(batch, identical_to_pin):
    """grades.csv, causes.csv, integrity.csv, similarity.json, report.html, class_summary.html and every
    feedback page, normalised, byte for byte as the pinned commit's grader wrote them for this class
    (tests/identical/grading_batch.json; tests/identical_outputs.py says how and what is normalised).
    The batch is the demo's ten named students less the demo's generated ones, with every kind of page: right
    (ada, all five notebooks), mistaken (ben, cy), untouched and ungraded (dee), unreadable, missing and
    renamed notebooks (eve), edited test cells (fay), reads, patches and frame inspection (gus), a kernel
    that exits (hal), a time limit and a memory cap (ivy), a flood of output (jo), reads and writes of the
    instructor's files (spy); with integrity findings and identical work (the report's)."""
    report(batch["out"])
    class_summary(batch["out"])
    identical_to_pin(batch["out"], "grading_batch", batch["tmp"])


def test_mistakes_cost_the_tests_that_hold_them(batch):
    s = scores(batch["out"])
    assert s[("ben", FIRST)] == (5.0, 15.0)  # conv_forward without bias: its 3 + 7 points lost
    assert s[("ben", SECOND)] == (10.0, 10.0)
    assert s[("cy", SECOND)] == (cell_points(SECOND, "test_pool_forward_max"), 10.0)  # average as sum: only max passes


def test_sandbox_hides_the_instructors_files_and_other_students(batch):
    html = feedback(batch["out"], "spy", FIRST)
    assert "LEAKED" not in html
    assert html.count("blocked FileNotFoundError") + html.count("blocked PermissionError") >= 5
    # a read-only file system: nowhere to write but the scratch folder and the kernel's own /tmp
    assert html.count("blocked write OSError") >= 3
    assert "WROTE /planted" not in html and "WROTE /course" not in html
    assert not (ROOT / "planted.txt").exists()
    assert scores(batch["out"])[("spy", FIRST)] == (15.0, 15.0)  # a right solution still gets its marks


def test_patched_comparisons_and_frame_inspection_gain_nothing(batch):
    r = {x["student_id"]: x for x in json.loads((batch["out"] / "results.json").read_text()) if x["assignment"] == FIRST}
    gus = r["gus"]["tests"]
    assert gus[f"{FIRST}:test_conv_forward"]["score"] == 0
    assert gus[f"{FIRST}:test_conv_forward_hidden"]["score"] == 0
    found = {(f["student_id"], f["rule"]) for f in rows(batch["out"], "integrity.csv")}
    assert {("gus", "monkeypatch"), ("gus", "frame_inspection")} <= found


def test_faults_cost_only_that_submission(batch):
    s = scores(batch["out"])
    assert s[("hal", FIRST)] == (3.0, 15.0)    # kernel exit in conv_single_step's cell: zero_pad's 3 points stand
    assert s[("hal", SECOND)] == (10.0, 10.0)
    assert s[("ivy", FIRST)] == (15.0, 15.0)   # the endless loop costs its own cell only
    assert s[("ivy", SECOND)] == (10.0, 10.0)  # the 16 GiB allocation gets MemoryError, the tests still run
    assert s[("jo", FIRST)] == (15.0, 15.0)    # output flood truncated
    found = {(f["student_id"], f["rule"]) for f in rows(batch["out"], "integrity.csv")}
    assert {("hal", "kernel_died"), ("ivy", "timeout"), ("ivy", "memory_limit"), ("jo", "output_truncated")} <= found
    assert "KernelDied" in feedback(batch["out"], "hal", FIRST)
    assert "output truncated" in feedback(batch["out"], "jo", FIRST)


def test_autograding_keeps_the_nbgrader_metadata_its_one_check_passed(batch):
    """nbgrader's metadata is checked once, last of the sanitizing pass (unit._config): nothing of the
    autograding pass after it (cells run, outputs checked, cut, scored) makes it fail that check."""
    notebooks = sorted((batch["out"] / ".grader" / "units").glob("*/*/course/autograded/*/*/*.ipynb"))
    assert len(notebooks) > 20
    for path in notebooks:
        MetadataValidator().validate_nb(nbformat.read(path, as_version=4))


def test_broken_files_get_a_row_a_reason_and_a_finding(batch):
    s = scores(batch["out"])
    assert s[("eve", FIRST)][0] == 0 and s[("eve", SECOND)][0] == 0
    found = {(f["student_id"], f["assignment"], f["rule"]) for f in rows(batch["out"], "integrity.csv")}
    assert ("eve", FIRST, "invalid_notebook") in found and ("eve", SECOND, "missing_notebook") in found
    assert "could not be read as a notebook" in feedback(batch["out"], "eve", FIRST)
    assert s[("fay", FIRST)] == (5.0, 15.0)  # edited test restored: the wrong conv_forward still fails
    assert s[("fay", SECOND)] == (10.0, 10.0)  # stripped metadata restored: right code, full marks
    assert {("fay", FIRST, "edited_test_cell"), ("fay", FIRST, "deleted_test_cell"),
            ("fay", SECOND, "stripped_metadata")} <= found


def rendered_text(page: str) -> str:
    """What a browser shows of a feedback page: tags dropped, entities decoded, spaces folded (the code
    in nbgrader's pages is split into syntax-highlighting spans, so the raw HTML never holds it whole)."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return " ".join(soup.get_text(" ").split())


def hidden_code_lines(assignment: str) -> list[str]:
    """The code lines found only in the hidden-test regions of an assignment's test cells, spaces folded."""
    from autograder.authoring.cells import is_test_cell
    from autograder.authoring.reference import notebook_path
    from autograder.authoring.testcells import HIDDEN_RE, visible_source
    cells = [c for c in nbformat.read(notebook_path(assignment), as_version=4).cells if is_test_cell(c)]
    visible = "".join(visible_source(c.source) for c in cells).replace(" ", "").replace("\n", "")
    lines = [" ".join(line.split()) for c in cells for block in HIDDEN_RE.findall(c.source)
             for line in block.splitlines()[1:-1] if len(line.strip()) > 20]
    return [line for line in lines if line.replace(" ", "") not in visible]  # distinctive lines only


def shown_hidden_lines(page: str, assignment: str) -> list[str]:
    text = " ".join(rendered_text(page).replace("( ", "(").replace(" )", ")").split())
    squeezed = text.replace(" ", "")
    return [line for line in hidden_code_lines(assignment) if line.replace(" ", "") in squeezed]


def test_feedback_names_hidden_tests_but_not_their_code(batch):
    assert len(hidden_code_lines(FIRST)) >= 3
    page = feedback(batch["out"], "ben", FIRST)
    assert "test_conv_forward_hidden" in page
    assert shown_hidden_lines(page, FIRST) == []
    assert "bias is missing" in rendered_text(page)  # the hidden test's verdict still teaches


def test_hidden_code_check_fails_when_feedback_shows_hidden_tests(batch):
    """The check above can fail: with --show-hidden the same student's feedback holds the hidden code."""
    subs = small_class(batch, "show_hidden", ("ben",))
    out = batch["seed"](batch["tmp"] / "show_hidden_out")
    grade("--submissions", str(subs), "--out", str(out), "--jobs", "1", "--assignment", FIRST, "--show-hidden")
    assert len(shown_hidden_lines(feedback(out, "ben", FIRST), FIRST)) == len(hidden_code_lines(FIRST))


def test_identical_work_is_listed_only_where_it_is_unusual(batch):
    """fay's conv_forward has ben's mistake, edit for edit: listed. ada's reference code, which several
    students share cell by cell, and dee's untouched stubs are not (tests/test_report.py: a class of 42)."""
    listed = {(f["student_id"], f["assignment"]) for f in rows(batch["out"], "integrity.csv")
              if f["rule"] == "identical_submission"}
    assert {("ben", FIRST), ("fay", FIRST)} <= listed
    assert ("ada", FIRST) not in listed and not any(student == "dee" for student, _ in listed)
    assert json.loads((batch["out"] / "similarity.json").read_text())["counted"] > 0


def test_causes_reach_causes_csv_and_feedback_names_each_test(batch):
    causes = {(r["student_id"], r["test"], r["cause_id"]) for r in rows(batch["out"], "causes.csv")}
    assert ("ben", f"{FIRST}:test_conv_forward", "conv_forward.missing_bias") in causes
    assert ("cy", f"{FIRST}:test_zero_pad", "zero_pad.all_axes") in causes
    assert not any(student == "ada" for student, *_ in causes)
    text = rendered_text(feedback(batch["out"], "ben", FIRST))
    assert "Test test_conv_forward : conv_forward" in text and "Test cell" not in text  # id, then what it checks


def test_parallel_equals_serial_and_an_interrupted_run_resumes(batch):
    subs = small_class(batch, "small", ("ada", "ben"))
    serial = batch["tmp"] / "serial"
    grade("--submissions", str(subs), "--out", str(batch["seed"](serial)), "--jobs", "1")
    parallel = forward_scores(batch["out"], ("ada", "ben"))
    assert forward_scores(serial, ("ada", "ben")) == parallel
    # interrupt a run (SIGTERM, as `kill` does) while a kernel runs after its first result, then run the
    # same command again
    resumed = batch["tmp"] / "resumed"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--submissions", str(subs),
                             "--out", str(batch["seed"](resumed)), "--jobs", "1"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (list(resumed.glob(".grader/units/*/*/result.json")) and running_kernels(resumed)) \
            and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 130 and "interrupted" in proc.stderr.read()
    done_before = len(list(resumed.glob(".grader/units/*/*/result.json")))
    assert 1 <= done_before < len(scores(serial))   # the interrupted unit has no result: graded again
    assert machine.left_behind(batch["before"]) == {}   # its grading process, kernel, group, runtime folder
    again = grade("--submissions", str(subs), "--out", str(resumed), "--jobs", "2")
    assert f"({done_before} already graded)" in again.stderr
    assert scores(resumed) == scores(serial)


def running_kernels(out: Path) -> list[Path]:
    """Runtime folders of kernels grading units of OUT now."""
    return [f for f, o in leftovers.owners() if o and o.alive() and o.work.startswith(str(out))]


def test_nothing_of_the_grading_stays_on_the_machine(batch):
    """After the class with its kernel exits, endless loops, a 16 GiB allocation and an output flood:
    no kernel, runtime folder or control group of it (tests/machine.py)."""
    assert machine.left_behind(batch["before"]) == {}


def test_a_unit_past_its_deadline_is_stopped_and_leaves_nothing(tmp_path, batch):
    """The batch kills the grading process of a unit that overruns its deadline (ivy's endless loop with
    a cell time limit longer than that): the unit scores 0 with the reason, and its kernel, group and
    runtime folder go with the process (Worker.stop)."""
    from autograder.grading.orchestrate.batch import Options, grade_in, plan
    from autograder.grading.records import Limits, UnitResult
    subs = small_class(batch, "endless", ("ivy",))
    todo, _ = plan(subs, batch["seed"](tmp_path / "out"), Options(jobs=1, limits=Limits(timeout=60), assignments=[FIRST]))
    (unit,) = todo
    start = time.monotonic()
    assert grade_in(None, unit, 8.0, tmp_path / "worker.log") is None
    assert time.monotonic() - start < 30
    result = UnitResult.read(unit.result_path)
    assert result.raw_score == 0 and "stopped after 8 s" in result.notes[f"{FIRST}.ipynb"]
    assert machine.left_behind(batch["before"]) == {}


def test_grade_refuses_without_a_sandbox_unless_told(tmp_path, batch):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no bwrap on this PATH
    proc = grade("--submissions", str(batch["subs"]), "--out", str(tmp_path / "x"), env=env, check=False)
    assert proc.returncode == 2 and "bubblewrap" in proc.stderr and "--no-sandbox" in proc.stderr


def test_report_writes_plots_and_a_table(batch):
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", "--out", str(batch["out"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    html = (batch["out"] / "report.html").read_text()
    assert html.count("data:image/png;base64") >= 3 and "Where the class struggles" in html
    assert FIRST in proc.stdout and "hardest tests" in proc.stdout


def test_a_broken_grading_machine_is_retried_on_the_next_run(batch):
    """Kernels that cannot start (here: a 1 kB memory cap) fail every notebook; the instructor is told,
    and the same command run again on a working set-up grades them."""
    subs = small_class(batch, "retry", ("ada",))
    out = batch["seed"](batch["tmp"] / "retry-out")
    broken = grade("--submissions", str(subs), "--out", str(out), "--assignment", FIRST, "--memory", "1k")
    assert "problem of the grading machine" in broken.stderr
    assert scores(out)[("ada", FIRST)] == (0.0, 15.0)
    fixed = grade("--submissions", str(subs), "--out", str(out), "--assignment", FIRST)
    assert "(0 already graded)" in fixed.stderr
    assert scores(out)[("ada", FIRST)] == (15.0, 15.0)


def test_grading_does_not_depend_on_the_project_being_installed(batch, tmp_path):
    """A venv with the course's libraries but without `pip install -e .` (the project is importable only
    from the checkout, as `python -m` run there finds it) grades as well: the kernel launcher and the
    workers, which start in other folders, are given the checkout's path."""
    import sysconfig
    venv = tmp_path / "bare"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    bare_site = next((venv / "lib").glob("python*/site-packages"))
    # a plain path entry: the libraries, without running the editable install's .pth finder
    (bare_site / "course-libraries.pth").write_text(str(site) + "\n")
    for tool in ("alembic", "jupyter", "nbgrader"):  # nbgrader runs these from the Python's own bin/
        (venv / "bin" / tool).symlink_to(Path(sys.executable).parent / tool)
    python = str(venv / "bin" / "python")
    probe = subprocess.run([python, "-c", "import autograder"], cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode != 0, "the bare venv must not find the project by itself"
    subs = small_class(batch, "bare_class", ("ada",))
    out = tmp_path / "bare_out"
    proc = subprocess.run([python, "-m", "autograder", "grade", "--submissions", str(subs), "--out", str(out),
                           "--assignment", FIRST, "--jobs", "1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert scores(out)[("ada", FIRST)] == (15.0, 15.0), proc.stderr[-3000:]


def test_feedback_pages_pass_axe_core_in_chromium(batch):
    """Feedback on notebook 1 with passing and failing tests (ben), from a crashed kernel (hal) and from an
    unreadable file (eve), a full-marks page of notebook 4 (tables, figures, concept answers) and a "not
    submitted" page, and the grading service's page for the instructor with every part shown: axe-core
    finds no WCAG 2.1 A/AA violation. (About 4 s a full page: one of each kind.)"""
    from autograder.service import status
    from playwright.sync_api import sync_playwright
    from tests.browser.axe import violations
    from tests.browser.lab import CHROMIUM, launch_chromium
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    feedback_dir = batch["out"] / "feedback"
    pages = [feedback_dir / student / FIRST / f"{FIRST}.html" for student in ("ben", "hal", "eve")]
    pages += [feedback_dir / "ada" / ALL[3] / f"{ALL[3]}.html"]
    pages += [next(p for p in feedback_dir.glob("*/*/*.html") if "Reason: not submitted" in p.read_text())]
    service_page = batch["tmp"] / "service-status"
    service_page.mkdir(exist_ok=True)
    pages += [status.write(service_page, status.StatusView(
        course_id="cnn-inside", inbound="/srv/exchange/cnn-inside/inbound", updated="2026-12-01T10:00:00.000Z",
        counts=(("done", 12), ("refused", 1)), plus_names=("c+d",),
        bad=(status.BadEntry("mal+01_conv_forward+2026-12-01 09:59:00.000000 UTC+x", "mal",
                             "its submission_secret.txt is a FIFO, not a file", "2026-12-01T09:59:01.000Z"),)))]
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, batch["tmp"] / "axe-profile")
        page = context.new_page()
        found = {}
        for path in pages:
            page.goto(path.as_uri())
            found.update({"/".join(path.parts[-3:]): v for v in [violations(page)] if v})
        context.close()
    assert not found, "axe-core on feedback pages:\n" + "\n".join(f"{k}:\n" + "\n".join(v) for k, v in found.items())

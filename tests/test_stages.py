"""Each stage of grading one unit, and each processing step, on small notebooks and without a kernel
(the fast tier: `make test-fast`). tests/test_grading.py runs the same stages end to end."""
import json
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.authoring.cells import grade_id, is_solution_cell, is_test_cell
from autograder.grading.pipeline import ledger, unit as unit_mod
from autograder.grading.pipeline.preprocessors import HideHiddenTests, VerifyChecks
from autograder.grading.records import OUTPUT_LINES, CellScore, Unit, UnitResult
from autograder.paths import NOTEBOOKS
from autograder.authoring.reference import expected_result
from autograder.authoring.variants import filled_student_notebook, solution_sources
from cnn_student.protocol import RECORD_MIME
from cnn_student.serialize import encode

FIRST = "01_conv_forward"
NB = f"{FIRST}.ipynb"


def released() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / FIRST / NB, as_version=4)


def finished() -> nbformat.NotebookNode:
    return filled_student_notebook(released(), solution_sources(FIRST))


def make_unit(tmp_path, master, student: str) -> Unit:
    return Unit(student=student, assignment=FIRST, submissions=tmp_path / "subs",
                work=tmp_path / "out" / ".grader" / "units" / student / FIRST, master=master,
                master_hash="test", out=tmp_path / "out")


def submit(tmp_path, student: str, nb=None, name: str = NB, text: str | None = None) -> None:
    folder = tmp_path / "subs" / student / FIRST
    folder.mkdir(parents=True, exist_ok=True)
    if text is not None:
        (folder / name).write_text(text)
    else:
        nbformat.write(nb, folder / name)


def rules(intake) -> set[str]:
    return {f.rule for f in intake.findings}


# ---------- records
def test_unit_and_result_travel_as_json_unchanged(tmp_path):
    unit = make_unit(tmp_path, tmp_path / "master", "ada")
    assert Unit.from_json(unit.to_json()) == unit
    result = UnitResult(student_id="ada", assignment=FIRST, raw_score=3.0, max_score=15.0, master_hash="h",
                        tests={f"{NB}:test_zero_pad": CellScore(3.0, 3.0)}, timings={"cells": 1.5})
    result.write(tmp_path / "w")
    assert UnitResult.read(tmp_path / "w" / "result.json") == result
    assert not (tmp_path / "w" / "result.json.tmp").exists()


# ---------- intake
def test_intake_takes_a_good_submission_as_it_is(tmp_path, first_master):
    submit(tmp_path, "ada", finished())
    intake = unit_mod.take_in(make_unit(tmp_path, first_master, "ada"))
    assert intake.runnable and intake.notes == {} and rules(intake) == set() and list(intake.fingerprints) == [NB]
    assert (intake.submitted / NB).exists()


@pytest.mark.parametrize("case,expected_rule", [
    ("absent", "missing_notebook"), ("renamed", "renamed_notebook"), ("invalid", "invalid_notebook"),
    ("stripped", "stripped_metadata"), ("edited_test", "edited_test_cell"), ("deleted_test", "deleted_test_cell"),
    ("symlink", "unsafe_file"), ("suspicious", "process_or_network"), ("surrogate", "invalid_text"),
    ("off_schema", "invalid_notebook")])
def test_intake_names_what_is_wrong_with_a_submission(tmp_path, first_master, case, expected_rule):
    nb = finished()
    if case == "renamed":
        submit(tmp_path, "s", nb, name="01_conv_forward (1).ipynb")
    elif case == "invalid":
        submit(tmp_path, "s", text='{"cells": [')
    elif case == "off_schema":  # JSON that nbformat reads but its schema refuses (a code cell without outputs)
        del next(c for c in nb.cells if grade_id(c) == "zero_pad")["outputs"]
        submit(tmp_path, "s", text=json.dumps(nb))
    elif case == "stripped":
        for cell in nb.cells:
            if is_solution_cell(cell):
                del cell.metadata["nbgrader"]
        submit(tmp_path, "s", nb)
    elif case in ("edited_test", "deleted_test"):
        test = next(c for c in nb.cells if is_test_cell(c))
        if case == "edited_test":
            test.source = "pass"
        else:
            nb.cells.remove(test)
        submit(tmp_path, "s", nb)
    elif case == "symlink":
        submit(tmp_path, "s", nb)
        os.symlink("/etc/passwd", tmp_path / "subs" / "s" / FIRST / "secret.txt")
    elif case == "suspicious":
        next(c for c in nb.cells if grade_id(c) == "zero_pad").source += "\nimport subprocess\n"
        submit(tmp_path, "s", nb)
    elif case == "surrogate":  # JSON can escape a lone surrogate; nbgrader could then write no file of it
        next(c for c in nb.cells if grade_id(c) == "zero_pad").source += "\ns = '\ud800'\n"
        submit(tmp_path, "s", text=json.dumps(nb))
    intake = unit_mod.take_in(make_unit(tmp_path, first_master, "s"))
    assert expected_rule in rules(intake), intake.findings
    if case in ("absent", "invalid", "off_schema"):
        assert NB in intake.notes and not (intake.submitted / NB).exists()
    if case == "off_schema":
        assert "ValidationError" in next(f.detail for f in intake.findings if f.rule == expected_rule)
    if case == "stripped":
        assert all("nbgrader" in c.metadata for c in nbformat.read(intake.submitted / NB, as_version=4).cells
                   if c.cell_type == "code" and "def " in c.source)
    if case == "symlink":
        assert not (intake.submitted / "secret.txt").exists()
    if case == "surrogate":
        assert "s = '?'" in (intake.submitted / NB).read_text(encoding="utf-8") and NB not in intake.notes


def test_only_text_a_file_can_hold_is_taken_for_lone_surrogates():
    """The intake's cheap check (a plain dump) and nbformat's own writes agree on what a file cannot hold."""
    nb = finished()
    assert unit_mod._unwritable_text(nb) is None
    nb.metadata["signature"] = "\ud800"   # transient: nbformat.writes drops it, so the file holds none
    assert unit_mod._unwritable_text(nb) is None
    nb.cells[0].metadata["note"] = "\udfff"   # kept in the file
    assert "\udfff" in unit_mod._unwritable_text(nb)


# ---------- nbgrader's metadata check (once, last of the sanitizing pass: unit._config)
@pytest.mark.parametrize("change,error", [
    ({"schema_version": 99}, "SchemaTooNewError"),                        # nbgrader's schema check
    ({"task": True}, "the nbgrader metadata may be corrupted"),            # a code cell claiming to be a task
    ({"points": "lots"}, "the nbgrader metadata may be corrupted")])      # jsonschema's type check
def test_hostile_nbgrader_metadata_is_refused_before_any_kernel_runs(tmp_path, first_master, change, error):
    nb = finished()
    next(c for c in nb.cells if grade_id(c) == "zero_pad").metadata["nbgrader"].update(change)
    submit(tmp_path, "mal", nb)
    unit = make_unit(tmp_path, first_master, "mal")
    result = unit_mod.grade_unit(unit)
    assert not result.graded and result.raw_score == 0 and "cells" not in result.timings   # no kernel ran
    assert any(f.rule == "grading_error" and error in f.detail for f in result.findings), result.findings
    assert not (unit.autograded / NB).exists()


# ---------- collect takes the autograded notebooks from the run (KeepGraded), not from their files
@pytest.mark.slow
def test_the_kept_notebook_is_the_autograded_file(tmp_path, first_master):
    """What collect scans (the unit's ledger) is the notebook nbgrader wrote, outputs cut, to the byte."""
    nb = finished()
    next(c for c in nb.cells if grade_id(c) == "zero_pad").source += f"\nprint('line\\n' * {OUTPUT_LINES * 3})\n"
    submit(tmp_path, "ada", nb)
    unit = make_unit(tmp_path, first_master, "ada")
    with ledger.opened() as ran:
        intake = unit_mod.take_in(unit)
        log, ok = unit_mod.run(unit, intake, {}, None, ran)
        assert ok, log
        written = (unit.autograded / NB).read_text(encoding="utf-8")
        assert list(ran.graded) == [FIRST]
        assert nbformat.writes(ran.graded[FIRST]) == nbformat.writes(nbformat.reads(written, as_version=4))
        assert written.count("line\\n") < OUTPUT_LINES * 2   # LimitOutput's cut is in both


# ---------- collect and publish (nothing ran: the gradebook has no submission)
def test_collect_gives_every_test_zero_when_nothing_was_graded(tmp_path, first_master):
    unit = make_unit(tmp_path, first_master, "absent")
    intake = unit_mod.take_in(unit)
    result = unit_mod.collect(unit, intake, log="", ok=False)
    assert result.raw_score == 0 and result.max_score == 15 and not result.retry
    assert result.tests and all(t.score == 0 for t in result.tests.values())
    assert sum(t.max_score for t in result.tests.values()) == 15
    unit_mod.publish_feedback(unit, intake.expected, intake.notes)
    page = (unit.out / "feedback" / "absent" / FIRST / NB.replace(".ipynb", ".html")).read_text()
    assert "Score: 0" in page and "not submitted" in page


def test_a_failed_nbgrader_run_is_retried(tmp_path, first_master):
    unit = make_unit(tmp_path, first_master, "ada")
    submit(tmp_path, "ada", finished())
    intake = unit_mod.take_in(unit)
    result = unit_mod.collect(unit, intake, log="Traceback\nOSError: disk full\n", ok=False)
    assert result.retry


def test_scoped_env_restores_the_environment_after_an_error():
    os.environ.pop("CNN_TEST_VAR", None)
    with pytest.raises(RuntimeError):
        with unit_mod.scoped_env(CNN_TEST_VAR="1"):
            assert os.environ["CNN_TEST_VAR"] == "1"
            raise RuntimeError
    assert "CNN_TEST_VAR" not in os.environ


# ---------- processing steps
def _test_cell(source: str, results: list[tuple[dict, object]]) -> nbformat.NotebookNode:
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t",
                                                         "points": 1, "locked": True}})
    cell.outputs = [new_output("display_data", data={RECORD_MIME: {"fn": "zero_pad", "case": case,
                                                                    "result": encode(value)}})
                    for case, value in results]
    return cell


CASE = {"shape": [1, 3, 4, 2], "pad": 1, "seed": 0}
SOURCE = f"check('zero_pad', zero_pad, cases=[{CASE!r}])"


@pytest.mark.parametrize("right", [True, False])
def test_verify_checks_decides_from_the_records_against_the_reference(right):
    value = expected_result("zero_pad", CASE, FIRST)
    if not right:
        value = value[:, :, :-1]
    nb = new_notebook(cells=[_test_cell(SOURCE, [(CASE, value)])])
    nb, _ = VerifyChecks().preprocess(nb, {"nbgrader": {"assignment": FIRST}})
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if RECORD_MIME in o.get("data", {})]  # records never reach the feedback
    errors = [o for o in outputs if o.output_type == "error"]
    assert (errors == []) == right
    if not right:
        assert "zero_pad(X (1, 3, 4, 2), pad=1)" in errors[0].evalue and "shape" in errors[0].evalue


def test_a_warning_printed_by_a_right_function_costs_no_points():
    """nbgrader gives 0 to a test cell with stderr output: VerifyChecks leaves the verdict to the checks."""
    from nbgrader.utils import determine_grade
    cell = _test_cell(SOURCE, [(CASE, expected_result("zero_pad", CASE, FIRST))])
    cell.outputs.append(new_output("stream", name="stderr", text="RuntimeWarning: divide by zero\n"))
    nb, _ = VerifyChecks().preprocess(new_notebook(cells=[cell]), {"nbgrader": {"assignment": FIRST}})
    assert determine_grade(nb.cells[0])[0] == 1
    assert "RuntimeWarning" in nb.cells[0].outputs[-1].text  # still shown


def test_verify_checks_fails_a_case_that_was_never_recorded():
    nb = new_notebook(cells=[_test_cell(SOURCE, [])])
    nb, _ = VerifyChecks().preprocess(nb, {"nbgrader": {"assignment": FIRST}})
    assert "was never checked" in nb.cells[0].outputs[-1].evalue


@pytest.mark.parametrize("show", [False, True])
def test_hidden_tests_code_is_removed_from_feedback_unless_asked(show):
    hidden = "### BEGIN HIDDEN TESTS\ncheck('zero_pad', zero_pad, cases=[{'shape': [9, 9, 9, 9], 'pad': 7}])\n" \
             "### END HIDDEN TESTS\n"
    cell = _test_cell(SOURCE + "\n" + hidden, [])
    cell.outputs.append(new_output("stream", name="stdout", text="printed by the hidden test"))
    cell, _ = HideHiddenTests(show_hidden=show).preprocess_cell(cell, {}, 0)
    assert ("[9, 9, 9, 9]" in cell.source) == show
    assert (len(cell.outputs) > 0) == show
    if not show:
        assert "1 hidden check(s)" in cell.source


def test_a_unit_result_has_the_timings_of_its_stages(tmp_path, first_master):
    """grade_unit on a missing submission runs every stage but the kernel: each stage is timed."""
    unit = make_unit(tmp_path, first_master, "absent")
    result = unit_mod.grade_unit(unit)
    assert {"intake", "run", "collect", "publish"} <= set(result.timings)
    assert json.loads((unit.work / "result.json").read_text())["timings"] == result.timings

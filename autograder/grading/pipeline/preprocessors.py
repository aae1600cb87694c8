"""The grader's own nbgrader preprocessors: re-decide test cells, hide hidden tests in feedback,
head each test's feedback with its grade id and what it checks, and box a late submission's penalty."""
from __future__ import annotations


from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

from cnn_student.protocol import is_record, read_records
from cnn_student.functions.sharing import CONCEPT_KINDS
from cnn_student.serialize import case_key
from ...authoring.cells import grade_id, is_test_cell
from .misconceptions import answer_text
from ...authoring.testcells import HIDDEN_RE, hidden_checks, parse_checks, test_title
from ..outputs.pagebox import late_box
from . import ledger
from .execute import error_output
from .feedback_html import LATE_BOX
from .verify import judge
from ..records import Verdict


class VerifyChecks(NbGraderPreprocessor):
    """After execution, decide each test cell here: its checks (from the instructor's source, which
    nbgrader's OverwriteCells has restored) against the reference computed in this process."""

    ledger = Unicode("", help="the unit's ledger (pipeline/ledger.py), which gets each test cell's Verdict "
                     "for the collect stage; '': none kept").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        assignment = resources["nbgrader"]["assignment"]
        kept, notebook = ledger.find(self.ledger), resources.get("unique_key", "")
        # the submitted code itself, read here, for the checks that look at how a function is written
        sources = [c.source for c in nb.cells if c.cell_type == "code" and not is_test_cell(c)]
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            results = read_records(cell)
            # records count only in test cells; anywhere else they are noise for the feedback
            cell.outputs = [o for o in cell.get("outputs", []) if not is_record(o)]
            if not is_test_cell(cell):
                continue
            try:
                found = judge(cell.source, results, assignment, sources)
                message = found.message if found else None
            except SyntaxError as err:  # cannot happen with instructor sources; say so if it does
                found, message = None, f"the grader could not read this test cell ({err})"
            answers = {fn: answer_text(results[case_key(fn, case)][1]) for fn, case in parse_checks(cell.source)
                       if fn in CONCEPT_KINDS and results.get(case_key(fn, case), ("",))[0] == "result"}
            if kept is not None:
                kept.verdicts[f"{notebook}:{grade_id(cell)}"] = Verdict(
                    function=found.function if found else "", causes=tuple(found.causes) if found else (),
                    answers=answers)
            # nbgrader zeroes a test cell that wrote to stderr: a warning a right function prints (a
            # RuntimeWarning of NumPy, say) must not cost its points; the verdict alone decides
            for out in cell.outputs:
                if out.output_type == "stream" and out.name == "stderr":
                    out.name = "stdout"
            # the error output is what fails the cell for nbgrader, and what the student reads
            if message and not any(o.output_type == "error" for o in cell.outputs):
                cell.outputs.append(error_output("CheckFailed", message))
        return nb, resources


class KeepGraded(NbGraderPreprocessor):
    """Last of the autograding pass: the notebook as nbgrader then writes it to the autograded folder, kept
    in the unit's ledger for the collect stage, which would otherwise read and validate that file again."""

    ledger = Unicode("", help="the unit's ledger (pipeline/ledger.py), which keeps each autograded notebook "
                     "for the collect stage; '': none kept").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        kept = ledger.find(self.ledger)
        if kept is not None:
            kept.graded[resources["nbgrader"]["notebook"]] = nb
        return nb, resources


class NameTests(NbGraderPreprocessor):
    """Feedback names each test by its grade id and the one-line docstring of its cell (what it checks)
    where nbgrader's template says "Test cell": metadata.test_title, shown by the feedback_named template."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        if is_test_cell(cell):
            cell.metadata["test_title"] = test_title(cell.source)
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback shows a hidden test's name, points and result, not its code or what it printed."""

    show_hidden = Bool(False, help="show hidden tests' code in feedback").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        if self.show_hidden or not is_test_cell(cell) or not HIDDEN_RE.search(cell.source):
            return cell, resources
        n = len(hidden_checks(cell.source))
        cell.source = HIDDEN_RE.sub(f"# [{n} hidden check(s): their code is not shown]\n", cell.source)
        cell.outputs = [o for o in cell.outputs if o.output_type == "error"]
        for out in cell.outputs:
            out.traceback = [f"{out.ename}: {out.evalue}"]  # no frames (they show hidden code), no colour (2.7:1)
        return cell, resources


class LateBox(NbGraderPreprocessor):
    """After nbgrader's GetGrades, on a late submission: the page's score is what the code earned, and a box
    on top (outputs/pagebox.py late_box, put there by feedback_html.FeedbackExporter) says what the course's
    late rule took, as on the page `grade` writes into the course; GetGrades would take it off the score."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        penalty = float(info.get("late_penalty") or 0)
        if penalty <= 0:
            return nb, resources
        info["score"], info["late_penalty"] = info["score"] + penalty, 0
        with Gradebook(info["db_url"]) as gb:
            sub = gb.find_submission(info["assignment"], info["student"])
            info[LATE_BOX] = late_box(info["assignment"], str(sub.timestamp or ""), str(sub.duedate or ""),
                                      float(sub.score), float(sub.late_submission_penalty or 0), float(sub.max_score))
        return nb, resources

"""The grader's own nbgrader preprocessors: re-decide test cells, hide hidden tests in feedback."""
from __future__ import annotations


from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from cnn_student.checks import RECORD_MIME
from ..cells import is_test_cell
from ..testcells import HIDDEN_RE, hidden_checks
from .execute import error_output
from .verify import judge, records


class VerifyChecks(NbGraderPreprocessor):
    """After execution, decide each test cell here: its checks (from the instructor's source, which
    nbgrader's OverwriteCells has restored) against the reference computed in this process."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        assignment = resources["nbgrader"]["assignment"]
        # the submitted code itself, read here, for the checks that look at how a function is written
        sources = [c.source for c in nb.cells if c.cell_type == "code" and not is_test_cell(c)]
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            results = records(cell)
            # records count only in test cells; anywhere else they are noise for the feedback
            cell.outputs = [o for o in cell.get("outputs", []) if RECORD_MIME not in o.get("data", {})]
            if not is_test_cell(cell):
                continue
            try:
                message = judge(cell.source, results, assignment, sources)
            except SyntaxError as err:  # cannot happen with instructor sources; say so if it does
                message = f"the grader could not read this test cell ({err})"
            # the error output is what fails the cell for nbgrader, and what the student reads
            if message and not any(o.output_type == "error" for o in cell.outputs):
                cell.outputs.append(error_output("CheckFailed", message))
        return nb, resources


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
            out.traceback = [f"\x1b[0;31m{out.ename}\x1b[0m: {out.evalue}"]  # no frames: they show hidden code
        return cell, resources

"""nbgrader configuration for the course module (see shared contract): what the grader declares once
(the course id in autograder/paths.py, the limits in autograder/grading/records.py), read from there.

It loads wherever nbgrader runs with this folder's configuration: `grade` itself, the instructor's
`nbgrader` commands and JupyterLab (Formgrader). Where the grader cannot be imported, it still loads, and
nbgrader's Autograde refuses (below) instead of running students' code unsandboxed as you."""
from importlib.util import find_spec

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# Feedback within seconds of each submission (`python -m autograder serve`; README, "Feedback after
# each submission"). The student README that `release` writes states this policy.
c.FeedbackPolicy.enabled = True               # False: no feedback before the instructor grades
c.FeedbackPolicy.attempts = 3                 # graded attempts with feedback per assignment
c.FeedbackPolicy.minutes_between = 10         # minimum minutes between two graded attempts
c.FeedbackPolicy.hidden_tests = "verdicts"    # before the deadline: names and verdicts, or "withheld"
c.FeedbackPolicy.counts = "last_before_deadline"  # or "last": which submission the official grade takes
# nbgrader collect takes the submission that counts (its --before-duedate), from the line above
c.ExchangeCollect.before_duedate = c.FeedbackPolicy.counts == "last_before_deadline"
# Formgrader shows a submission's outputs sanitized: a script or an event handler a student's code printed
# as HTML is shown as text, never run in your browser, where it would act with your Jupyter session
c.HTMLExporter.sanitize_html = True

if find_spec("autograder") is not None:
    from autograder.grading.pipeline.feedback_html import PREPROCESSORS
    from autograder.grading.records import OUTPUT_LINES, Limits
    from autograder.paths import COURSE_ID

    c.CourseDirectory.course_id = COURSE_ID
    # Students may print freely; stored output is capped per cell.
    c.LimitOutput.max_lines = OUTPUT_LINES
    c.Execute.timeout = Limits().timeout      # per cell; the grader's Autograde below takes it too
    # Formgrader's Autograde and `nbgrader autograde` grade as `python -m autograder grade` does (sandbox,
    # caps, the grader's verdicts) into the same outputs, and write the course as it does; where students'
    # code cannot run isolated they refuse, naming `grade` (README, "A course run with nbgrader").
    c.Autograde.exporter_class = "autograder.grading.orchestrate.autograde.GraderAutograde"
    c.GraderAutograde.out = "out"             # grade's --out: one set of results, whichever graded
    # Formgrader's Generate Feedback and `nbgrader generate_feedback` write the page `grade` writes
    c.GenerateFeedback.preprocessors = PREPROCESSORS
    c.GenerateFeedback.exporter_class = "autograder.grading.pipeline.feedback_html.FeedbackExporter"
    # Formgrader's Collect and `nbgrader collect` read inbound as the grading service does: what a student
    # planted there (a link to your files, a FIFO, a folder under another's name) is left out and named,
    # never followed (nbgrader's own collect would copy a linked file's text into submitted/)
    c.ExchangeFactory.collect = "autograder.service.collect.SafeCollect"
else:  # no grader in this environment: nbgrader's own Autograde would run students' code as you, unsandboxed
    from nbconvert.exporters import NotebookExporter
    from nbgrader.converters import NbGraderException

    class NoGraderHere(NotebookExporter):
        """nbgrader's Autograde, refused with one line (nbgrader builds its exporter before it reads or runs
        any submission)."""
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            why = ("Autograde refuses to run students' code here: the course's grader (autograder) cannot be "
                   "imported in this environment. Grade in the course folder with `python -m autograder grade "
                   "--submissions submitted --out out` (README, 'A course run with nbgrader').")
            self.log.error(why)
            raise NbGraderException(why)

    c.Autograde.exporter_class = NoGraderHere

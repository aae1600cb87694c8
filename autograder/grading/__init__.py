"""The instructor's grader: `python -m autograder grade` and `report`. The tree follows the stages.

Its public API is api.py: the service, deploy/, the demo, authoring/, the launcher and bench/ import that
module and nothing else of grading/ (tests/test_imports.py); `grade` (cli.py) and the course's Autograde
grade through it too. It grades a class (grade_class), one submission after another for a client that
stays up (Session), and says what the machine can isolate; the records that cross (Limits, Unit,
UnitResult), the options (Grader, KernelPool) and the pages (banner, report) are re-exported there.
This __init__ imports nothing, so that importing any one module of grading/ stays cheap.

    submission ──► intake ──► run ──► collect ──► publish ──► finish ──► report
    (one unit = one student's one assignment; intake .. publish run per unit, in a worker process)

stage    where                        what it does                               what it writes
-------  ---------------------------  -----------------------------------------  -------------------------------------
plan     orchestrate/batch.py         the units still to grade; the grader's     OUT/.grader/master/ (master.py:
         (cluster.py for --scheduler)  course folder, built once per solutions/   source, gradebook.db, release/)
intake   pipeline/unit.py take_in     copy the submission (submission_entries),  OUT/.grader/units/<s>/<a>/course/
                                      repair and scan its notebooks              (submitted/, gradebook.db copy);
                                      (outputs/integrity.py scan_source)         findings and fingerprints in memory
run      pipeline/unit.py run         nbgrader autograde: each notebook in a     course/autograded/<s>/<a>/*.ipynb,
         pipeline/execute.py          sandboxed kernel (isolation/sandbox.py,    course/feedback/<s>/<a>/*.html,
         pipeline/preprocessors.py    isolation/kernel_caps.py; started ahead:   the unit's gradebook
                                      isolation/pool.py), cells it needs
                                      only (pipeline/needed.py); each test
                                      cell's verdict and causes decided in the
                                      grader's process (pipeline/verify.py,
                                      pipeline/causes.py); the feedback pages
                                      (pipeline/feedback_html.py, made once)
collect  pipeline/unit.py collect     scores from the unit's gradebook; causes,  (in memory: a records.UnitResult)
                                      answers, caps reached and kernel seconds
                                      from the run's pipeline/ledger.py; what
                                      the sandbox saw (integrity.observed)
publish  pipeline/unit.py             the feedback pages; the result, last       OUT/feedback/<s>/<a>/*.html,
         publish_feedback                                                        OUT/.grader/units/<s>/<a>/result.json
finish   orchestrate/batch.py finish  into the instructor's nbgrader course       the course's gradebook, autograded/,
         orchestrate/course.py        when graded in one; the class's CSVs, with  feedback/; OUT/grades.csv,
         outputs/aggregate.py         identical work weighed by rarity            causes.csv, integrity.csv,
         outputs/similarity.py                                                   results.json, similarity.json
report   outputs/report.py            the instructor's report and the class      OUT/report.html,
                                      summary, from OUT/results.json             OUT/class_summary.html

In an nbgrader course, orchestrate/autograde.py hands nbgrader's own Autograde (Formgrader's button,
`nbgrader autograde`) to this same batch, and pipeline/feedback_html.py writes Generate Feedback's page.
records.py declares what travels between the stages (Limits, Isolation, Unit and its folder layout,
Verdict, UnitResult, Parcel, Graded); api.py is the way in from outside (above); cnn_student/protocol.py
what a graded kernel records for the grader. The picture: docs/architecture.md.
"""

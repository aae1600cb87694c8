"""nbgrader configuration for the course module (see shared contract): what the grader declares once
(the course id in autograder/paths.py, the limits in autograder/grading/records.py), read from there."""
from autograder.grading.records import OUTPUT_LINES, Limits
from autograder.paths import COURSE_ID

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = COURSE_ID
# Students may print freely; stored output is capped per cell.
c.LimitOutput.max_lines = OUTPUT_LINES
c.Execute.timeout = Limits().timeout

# Feedback within seconds of each submission (`python -m autograder serve`; README, "Feedback after
# each submission"). The student README that `release` writes states this policy.
c.FeedbackPolicy.enabled = True               # False: no feedback before the instructor grades
c.FeedbackPolicy.attempts = 3                 # graded attempts with feedback per assignment
c.FeedbackPolicy.minutes_between = 10         # minimum minutes between two graded attempts
c.FeedbackPolicy.hidden_tests = "verdicts"    # before the deadline: names and verdicts, or "withheld"
c.FeedbackPolicy.counts = "last_before_deadline"  # or "last": which submission the official grade takes
# nbgrader collect takes the submission that counts (its --before-duedate), from the line above
c.ExchangeCollect.before_duedate = c.FeedbackPolicy.counts == "last_before_deadline"

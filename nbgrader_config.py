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

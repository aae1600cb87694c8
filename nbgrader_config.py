"""nbgrader configuration for the course module (see shared contract)."""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.course_id = "cnn-inside"
# Students may print freely; stored output is capped per cell.
c.LimitOutput.max_lines = 200
c.Execute.timeout = 60

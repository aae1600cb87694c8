"""nbconvert's configuration for this course: the HTML an instructor posts of an executed notebook,
written by `jupyter nbconvert --config jupyter_nbconvert_config.py --to html NOTEBOOK` run in the course
folder (README, "Accessibility"). It is nbconvert's lab template with colours that keep 4.5:1
(autograder/templates/lab_accessible/), so that axe-core finds no WCAG 2.1 A/AA violation in it."""
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.HTMLExporter.extra_template_basedirs = [str(Path(__file__).resolve().parent / "autograder" / "templates")]
c.HTMLExporter.template_name = "lab_accessible"

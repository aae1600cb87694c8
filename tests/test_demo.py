"""`make demo`'s class: the function that writes it is reachable however the demo package was imported
(it once shared its name with the submodule sample_class.py, whose import replaced it: make demo then
stopped at step 3 with "'module' object is not callable")."""
import importlib

import autograder.demo.sample_class  # noqa: F401  (imported first, as the launcher's sample-class does)
from autograder import demo


def test_the_demo_writes_its_class_after_the_sample_class_module_is_imported(tmp_path):
    importlib.reload(demo)
    generated = demo.demo_class(tmp_path / "submissions", size=2)
    assert len(generated) == 2
    students = {p.name for p in (tmp_path / "submissions").iterdir()}
    assert set(generated) <= students and "ada" in students and len(students) > 2

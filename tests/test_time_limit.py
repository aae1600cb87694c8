"""At grading a case of `check` may run CASE_SECONDS: a backward pass that differentiates the forward
pass numerically is stopped there (not at the cell's time limit), recorded, and its feedback names
the likely cause in numbers."""
import time

import pytest

import cnn_student.checks as checks
from autograder.grading.verify import TOO_SLOW, judge
from cnn_student.serialize import case_key
from cnn_student.time_limit import OverTimeLimit, time_limit

CASE = {"m": 1, "H": 4, "W": 4, "C": 2, "f": 2, "n_C": 3, "pad": 1, "stride": 1, "seed": 5}


def spinning_backward(dZ, cache):
    """Endless, and swallowing what it can, as a careless numerical gradient might."""
    while True:
        try:
            sum(range(10_000))
        except Exception:
            pass


def test_a_case_past_its_limit_is_stopped_recorded_and_explained(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_GRADING", "1")
    monkeypatch.setattr(checks, "CASE_SECONDS", 0.3)
    recorded = []
    monkeypatch.setattr(checks, "_record", lambda fn, case, payload: recorded.append(payload))
    start = time.monotonic()
    with pytest.raises(TimeoutError) as stopped:
        checks.check("conv_backward", spinning_backward, cases=[CASE])
    assert time.monotonic() - start < 5
    assert recorded == [{"error": f"{checks.STOPPED}: stopped after 0.3 s"}]
    assert "gradient computed numerically" in str(stopped.value) and "32 + 24 + 3 numbers" in str(stopped.value)
    source = f'check("conv_backward", conv_backward, cases=[{CASE!r}])'
    verdict = judge(source, {case_key("conv_backward", CASE): ("error", recorded[0]["error"])}, "03_backprop")
    assert verdict.causes == [TOO_SLOW.id] and "was stopped after" in verdict.message


def test_no_limit_outside_grading(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_GRADING", raising=False)
    monkeypatch.setattr(checks, "CASE_SECONDS", 0.01)
    monkeypatch.setattr(checks, "_record", lambda *a: None)

    def slow_right(dZ, cache):
        time.sleep(0.1)
        raise ValueError("reached the end")
    with pytest.raises(ValueError, match="reached the end"):
        checks.check("conv_backward", slow_right, cases=[CASE])


def test_the_limit_is_lifted_after_the_block():
    with time_limit(0.2):
        pass
    time.sleep(0.3)  # no alarm left behind
    with pytest.raises(OverTimeLimit):
        with time_limit(0.05):
            time.sleep(1)

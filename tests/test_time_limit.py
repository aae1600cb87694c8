"""At grading a case of `check` may compute for half a cell's time limit: a backward pass that
differentiates the forward pass numerically is stopped there (not at the cell's limit), recorded, and
its feedback names the likely cause in numbers."""
import time

import pytest

import cnn_student.checks as checks
from autograder.grading.records import Limits
from autograder.grading.isolation.sandbox import KernelSettings, kernel_env
from autograder.grading.pipeline.causes import TOO_SLOW
from autograder.grading.pipeline.verify import judge
from cnn_student.serialize import case_key
from cnn_student.functions import build_args
from cnn_student.protocol import CASE_ENV, stopped_record
from cnn_student.time_limit import OverTimeLimit, stopped_message, time_limit

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
    monkeypatch.setenv(CASE_ENV, "0.3")
    recorded = []
    monkeypatch.setattr(checks, "record", lambda fn, case, payload: recorded.append(payload))
    start = time.monotonic()
    with pytest.raises(TimeoutError) as stopped:
        checks.check("conv_backward", spinning_backward, cases=[CASE])
    assert time.monotonic() - start < 5
    assert recorded == [{"error": stopped_record(0.3)}]
    text = " ".join(str(stopped.value).split())
    assert "after 0.3 s of computing" in text and "gradient computed numerically" in text and "(here 32 + 24 + 3)" in text
    source = f'check("conv_backward", conv_backward, cases=[{CASE!r}])'
    verdict = judge(source, {case_key("conv_backward", CASE): ("error", recorded[0]["error"])}, "03_backprop")
    assert verdict.causes == [TOO_SLOW.id] and "after 0.3 s of computing" in verdict.message
    # a student's own exception that merely looks alike is not taken for a stop
    own = judge(source, {case_key("conv_backward", CASE): ("error", "TimeLimitExceeded: mine")}, "03_backprop")
    assert own.causes != [TOO_SLOW.id]


def test_the_message_claims_a_numerical_gradient_only_for_backward_passes():
    case = {"m": 1, "H": 4, "W": 4, "C": 2, "f": 2, "n_C": 3, "pad": 1, "stride": 1, "seed": 5}
    forward = stopped_message("conv_forward", "conv_forward(...)", build_args("conv_forward", case), 30)
    assert "numerically" not in forward and "backward" not in forward and "never ends" in forward


def test_no_limit_outside_grading(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_GRADING", raising=False)
    monkeypatch.setenv(CASE_ENV, "0.01")
    monkeypatch.setattr(checks, "record", lambda *a: None)

    def slow_right(dZ, cache):
        sum(range(3_000_000))
        raise ValueError("reached the end")
    with pytest.raises(ValueError, match="reached the end"):
        checks.check("conv_backward", slow_right, cases=[CASE])


def test_the_limit_counts_computing_time_is_lifted_after_and_comes_back_when_swallowed():
    with time_limit(0.05, cpu=True):
        time.sleep(0.3)  # waiting is no computing: a busy machine does not shorten a case
    with time_limit(0.2):
        pass
    time.sleep(0.3)  # no alarm left behind
    swallowed = 0
    with pytest.raises(OverTimeLimit):
        with time_limit(0.05, cpu=True):
            while True:
                try:
                    sum(range(100_000))
                except BaseException:  # a bare except: the stop comes again half a second later
                    swallowed += 1
                    if swallowed > 1:
                        raise
    assert swallowed == 2


def test_an_inner_limit_leaves_the_outer_one_running():
    with pytest.raises(OverTimeLimit):
        with time_limit(0.3):
            with time_limit(5):
                pass
            time.sleep(2)


def test_the_case_limit_is_half_the_cell_limit_in_the_kernel():
    spec = KernelSettings(sandbox=True, assignment="01_conv_forward", scratch="/x", limits=Limits(timeout=90))
    assert kernel_env(spec)[CASE_ENV] == "45"

"""Issue 33: claims of notebooks 1-3 corrected, and the ideas added, each checked on the numbers the notebook
prints (the reference layers where a student's function is used). Each test names what a wrong version of the
code it guards would print instead."""
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autograder.authoring.reference import namespace  # noqa: E402


# ---------- notebook 1
def test_resnet_blocks_count_what_he_et_al_compare(capsys):
    """ResNet's convolutions have no bias: the bottleneck has 69,632 weights, the 64-channel basic block it is
    compared with 73,728 (a count with biases gives 70,016 and 73,856)."""
    from cnn_student.visuals.one_by_one import BASIC_BLOCK, BOTTLENECK, resnet_blocks
    assert sum(layer.weights for layer in BOTTLENECK) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    assert sum(layer.weights for layer in BASIC_BLOCK) == 2 * 9 * 64 * 64 == 73_728
    resnet_blocks()
    out = capsys.readouterr().out
    assert "16,384 + 36,864 + 16,384 = 69,632" in out and "36,864 + 36,864 = 73,728" in out, out
    assert "with batch normalization's 768: 70,400" in out and "with batch normalization's 256: 73,984" in out
    assert f"{69_632 * 56 * 56:,}" in out and f"{73_728 * 56 * 56:,}" in out
    assert "4 times as many channels (256 instead of 64) for 0.94 times the weights (0.95" in out
    assert "256 -> 256" not in out  # the 3x3 256 -> 256 layer ResNet does not have


def test_strided_coverage_never_reaches_f_squared(capsys):
    """pad >= f - 1 gives every pixel f*f windows at stride 1 only: at stride 2, f = 3, pixels lie in 1, 2 or 4."""
    from cnn_student.visuals.conv import print_strided_coverage, window_coverage
    assert np.all(window_coverage(6, 3, 2, 1) == 9)
    print_strided_coverage(n=6, f=3, stride=2)
    out = capsys.readouterr().out
    assert "along each axis the pixels lie in 2, 1, 2, 1, 2, 1 windows" in out, out
    assert "counts that occur: 1, 2, 4." in out and "at most ceil(f / stride) = 2 of them, 4 in all" in out
    assert "fewer than f·f = 9" in out

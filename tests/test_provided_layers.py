"""Notebooks 3 and 4 give students earlier notebooks' layers in their setup cells (released only with
those notebooks, so as not to answer earlier notebooks early): notebook 3 those of notebooks 1-2,
notebook 4 those of notebooks 1-3. Those copies must compute exactly what the reference solutions
compute."""
import numpy as np
import pytest

from autograder.authoring.reference import namespace
from cnn_student.functions import build_args

CONV_CASES = [{"m": 2, "H": 6, "W": 5, "C": 3, "f": 3, "n_C": 2, "pad": p, "stride": s, "seed": 7 + p + s}
              for p in (0, 1, 2) for s in (1, 2, 3)]
POOL_CASES = [{"m": 2, "H": 7, "W": 6, "C": 2, "f": f, "stride": s, "mode": mode, "seed": 3}
              for f, s in ((2, 2), (3, 1), (3, 2)) for mode in ("max", "average")]
PROVIDED = [("03_backprop", "conv_forward"), ("03_backprop", "pool_forward"), ("03_backprop", "zero_pad"),
            ("04_sharing_vs_sparsity", "conv_forward"), ("04_sharing_vs_sparsity", "zero_pad"),
            ("04_sharing_vs_sparsity", "pool_forward"), ("04_sharing_vs_sparsity", "conv_backward"),
            ("04_sharing_vs_sparsity", "pool_backward")]
SOURCE = {"conv_forward": "01_conv_forward", "zero_pad": "01_conv_forward", "pool_forward": "02_pool_forward",
          "conv_backward": "03_backprop", "pool_backward": "03_backprop"}


@pytest.mark.parametrize("assignment,name", PROVIDED)
def test_given_layer_equals_the_reference(assignment, name):
    given, reference = namespace(assignment)[name], namespace(SOURCE[name])[name]
    if name == "zero_pad":
        cases = [(np.random.default_rng(p).standard_normal((2, 3, 4, 2)), p) for p in (0, 1, 3)]
    else:
        cases = [build_args(name, c) for c in (POOL_CASES if name.startswith("pool") else CONV_CASES)]
    for args in cases:
        got, want = given(*args), reference(*args)
        if name.endswith("forward"):  # the cache holds the inputs; compare the outputs
            got, want = got[0], want[0]
        for part_got, part_want in zip(*(g if isinstance(g, tuple) else (g,) for g in (got, want)), strict=True):
            np.testing.assert_allclose(part_got, part_want, rtol=1e-12, atol=1e-12)

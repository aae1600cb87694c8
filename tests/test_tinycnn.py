"""The tiny CNN of notebook 04: correct gradients, deterministic training, and the claims the notebook makes."""
import sys

import numpy as np

from autograder.paths import SOLUTIONS

sys.path.insert(0, str(SOLUTIONS / "04_sharing_vs_sparsity"))  # tiny_cnn.py ships with notebook 4
from tiny_cnn import backward, forward, init_params, load_shapes, train, zero_fraction  # noqa: E402


def _loss(params, X, y):
    probs, _ = forward(params, X)
    return -np.mean(np.log(probs[np.arange(len(y)), y]))


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((3, 6, 6, 2)), np.array([0, 1, 3])
    params = init_params((6, 6, 2), n_filters=2, seed=3)
    params["b1"] += 0.1
    _, cache = forward(params, X)
    grads, _ = backward(params, cache, y)
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for ix in np.ndindex(value.shape):
            old = value[ix]
            value[ix] = old + 1e-6
            plus = _loss(params, X, y)
            value[ix] = old - 1e-6
            minus = _loss(params, X, y)
            value[ix] = old
            numeric[ix] = (plus - minus) / 2e-6
        assert np.allclose(grads[name], numeric, atol=1e-7), name


def test_training_is_deterministic_learns_and_makes_no_zero_weights():
    X, y, Xt, yt = load_shapes()
    assert X.shape == (1500, 16, 16, 1) and set(np.unique(y)) == {0, 1, 2, 3}
    run = train(X, y, Xt, yt, steps=120, lr=0.3, seed=0)
    again = train(X, y, Xt, yt, steps=120, lr=0.3, seed=0)
    assert all(np.array_equal(run.params[k], again.params[k]) for k in run.params)
    assert run.test_accuracy[-1][1] > 0.6            # chance is 0.25
    assert zero_fraction(run.params) == 0.0
    for record in run.records:
        assert record.zero_frac_pool_grad >= 0.75    # 2x2 max pool: 3 of 4 inputs get no gradient
        assert all(before == after for _, _, before, after in record.zero_grad_weights)
    assert any(r.zero_grad_weights for r in run.records), "the notebook needs a weight with a zero gradient"


def test_l1_soft_thresholding_makes_exact_zeros():
    X, y, Xt, yt = load_shapes()
    run = train(X, y, Xt, yt, steps=120, lr=0.3, l1=0.003, seed=0)
    assert zero_fraction(run.params) > 0.2

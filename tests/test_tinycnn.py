"""The tiny CNN of notebook 04: correct gradients, deterministic training, and the claims the notebook makes."""
import sys

import numpy as np
import pytest

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


def test_a_zero_gradient_under_four_optimizers_does_what_the_notebook_says():
    """Notebook 4's runs: plain SGD keeps every zero-gradient weight; momentum and Adam move exactly those
    that had a non-zero gradient before; weight decay multiplies each by 1 - lr*decay; none becomes 0."""
    from cnn_student.visuals.sharing import _zero_grad_tally
    X, y, Xt, yt = load_shapes()
    runs = {"sgd": train(X, y, Xt, yt, steps=60, lr=0.3, seed=0),
            "momentum": train(X, y, Xt, yt, steps=60, lr=0.03, optimizer="momentum", beta=0.9, seed=0),
            "adam": train(X, y, Xt, yt, steps=60, lr=0.01, optimizer="adam", seed=0),
            "weight_decay": train(X, y, Xt, yt, steps=60, lr=0.3, optimizer="weight_decay", decay=1 / 300, seed=0)}
    tally = {k: _zero_grad_tally(r) for k, r in runs.items()}
    assert all(t["events"] > 0 and t["zeroed"] == 0 for t in tally.values())
    assert tally["sgd"]["kept"] == tally["sgd"]["events"] and tally["sgd"]["kept_after_history"] > 0
    for k in ("momentum", "adam"):
        t = tally[k]
        assert t["kept_after_history"] == 0 and t["moved_without_history"] == 0
        assert t["toward"] > 0 and t["away"] > 0 and 0 < t["kept"] < t["events"]
    t, e = tally["weight_decay"], runs["weight_decay"].zero_grad
    assert t["toward"] == t["events"] and t["moved_without_history"] > 0 and t["with_history"] > 0
    np.testing.assert_allclose(e.after / e.before, 1 - 0.3 / 300, rtol=1e-12)
    with pytest.raises(ValueError):
        train(X, y, Xt, yt, steps=1, optimizer="weight_decay", **{"lambda": 0.1})


def test_loop_layers_equal_the_network_with_the_first_maximum_rule():
    """The provided loop layers of notebook 4 (the student's may replace them) give the network's loss and
    gradients: both route a tied window's gradient to its first maximum. Routing it to every tied input
    instead changes db1 at step 1, not dW1 (the notebook shows it)."""
    from autograder.authoring.reference import namespace
    from tiny_cnn import forward_backward_with_layers
    layers = {k: namespace("04_sharing_vs_sparsity")[k]
              for k in ("conv_forward", "conv_backward", "pool_forward", "pool_backward")}
    X, y, _, _ = load_shapes()
    params = init_params(X.shape[1:], seed=0)
    rng = np.random.default_rng(1)
    differs = []
    for _ in range(2):
        idx = rng.choice(len(X), size=8, replace=False)
        probs, cache = forward(params, X[idx])
        grads_all, _ = backward(params, cache, y[idx], ties="all")
        grads_first, _ = backward(params, cache, y[idx], ties="first")
        loss, grads, _ = forward_backward_with_layers(params, X[idx], y[idx], layers)
        assert abs(loss + np.mean(np.log(probs[np.arange(8), y[idx]] + 1e-12))) < 1e-12
        for k in params:
            np.testing.assert_allclose(grads[k], grads_first[k], atol=1e-12)
        differs.append(not np.allclose(grads_first["b1"], grads_all["b1"]))
        np.testing.assert_allclose(grads_first["W1"], grads_all["W1"], atol=1e-12)
        params = {k: params[k] - 0.3 * grads_first[k] for k in params}
    assert differs == [False, True]

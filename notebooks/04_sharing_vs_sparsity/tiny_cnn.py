"""A tiny CNN trained with vectorized NumPy for notebook 4 (sharing vs sparsity):
conv (f x f, pad (f-1)/2, stride 1) -> ReLU -> max pool 2x2 -> dense -> softmax.

The notebook shows the experiment (what is measured), this module holds the plumbing. Training is
plain mini-batch SGD without momentum, so that a weight whose gradient is zero in a step keeps its
value exactly: w - lr * 0 == w. The optional L1 penalty is applied as a proximal step (soft
thresholding), the form of L1 that sets weights exactly to zero.

It ships with notebook 4 (not in the autograder package, which students have from notebook 1 on)
because its layers partly answer notebooks 3 and 5. Data loading and the records of a run live in
cnn_student/experiment.py.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_student.experiment import (CLASS_NAMES, WEIGHTS, Params, StepRecord, TrainingRun,  # noqa: F401
                                   load_shapes, steps_to_run, zero_fraction)


def init_params(input_shape: tuple[int, int, int] = (16, 16, 1), n_filters: int = 8, f: int = 3,
                n_classes: int = 4, seed: int = 0) -> Params:
    """He-initialised conv filters W1 (f, f, n_C_prev, n_filters), zero biases, dense W2 (n_features, n_classes)."""
    rng = np.random.default_rng(seed)
    H, W, C = input_shape
    n_features = (H // 2) * (W // 2) * n_filters
    return {"W1": rng.standard_normal((f, f, C, n_filters)) * np.sqrt(2.0 / (f * f * C)),
            "b1": np.zeros((1, 1, 1, n_filters)),
            "W2": rng.standard_normal((n_features, n_classes)) * np.sqrt(1.0 / n_features),
            "b2": np.zeros(n_classes)}


def _quads(A: np.ndarray) -> np.ndarray:
    """The four inputs of every 2x2 pooling window, stacked last: (m, H/2, W/2, n, 4), in window row-major order."""
    H, W = A.shape[1] // 2 * 2, A.shape[2] // 2 * 2
    return np.stack([A[:, di:H:2, dj:W:2] for di in (0, 1) for dj in (0, 1)], axis=-1)


def forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, dict]:
    """Class probabilities (m, n_classes) and what the backward pass needs."""
    W1 = params["W1"]
    f, _, C, n = W1.shape
    p = (f - 1) // 2
    windows = sliding_window_view(np.pad(X, ((0, 0), (p, p), (p, p), (0, 0))), (f, f), axis=(1, 2))
    m, H, W = windows.shape[:3]
    cols = windows.reshape(m * H * W, C * f * f)            # im2col: one row per output position
    # einsum without BLAS: on a busy 2-core machine, threaded BLAS on these thin products is 5-10x slower
    Z1 = np.einsum("pk,kn->pn", cols, W1.transpose(2, 0, 1, 3).reshape(C * f * f, n)).reshape(m, H, W, n) \
        + params["b1"]
    A1 = np.maximum(Z1, 0.0)
    quads = _quads(A1)
    P = quads.max(axis=-1)
    flat = P.reshape(m, -1)
    logits = flat @ params["W2"] + params["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs, {"cols": cols, "Z1": Z1, "quads": quads, "P": P, "flat": flat, "probs": probs}


def backward(params: Params, cache: dict, y: np.ndarray) -> tuple[Params, dict]:
    """Gradients of the mean cross-entropy, and the intermediate gradients the notebook measures:
    dA1 = what max-pool backward passes down, dZ1 = that after ReLU backward."""
    probs, m = cache["probs"], len(y)
    dlogits = probs.copy()
    dlogits[np.arange(m), y] -= 1.0
    dlogits /= m
    dW2 = cache["flat"].T @ dlogits
    db2 = dlogits.sum(axis=0)
    dP = (dlogits @ params["W2"].T).reshape(cache["P"].shape)
    # max-pool backward: each window's gradient goes to one input, its (first) maximum, as in
    # PyTorch; ties are common here (ReLU makes whole windows 0) and must not split or copy it
    winner = cache["quads"].argmax(axis=-1)
    Z1 = cache["Z1"]
    dA1 = np.zeros_like(Z1)
    H, W = Z1.shape[1] // 2 * 2, Z1.shape[2] // 2 * 2
    for k, (di, dj) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        dA1[:, di:H:2, dj:W:2] = np.where(winner == k, dP, 0.0)
    dZ1 = dA1 * (Z1 > 0)
    f, _, C, n = params["W1"].shape
    dZ1_rows = dZ1.reshape(-1, n)
    dW1 = np.einsum("pk,pn->kn", cache["cols"], dZ1_rows).reshape(C, f, f, n).transpose(1, 2, 0, 3)
    db1 = dZ1_rows.sum(axis=0).reshape(1, 1, 1, -1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}, {"dA1": dA1, "dZ1": dZ1}


def loss_and_accuracy(params: Params, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    probs, _ = forward(params, X)
    loss = float(-np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12)))
    return loss, float(np.mean(probs.argmax(axis=1) == y))


def train(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
          batch: int = 64, lr: float = 0.1, l1: float = 0.0, seed: int = 0,
          record_steps: tuple[int, ...] = (0, 1, 2, 3, 4), n_filters: int = 8) -> TrainingRun:
    """Mini-batch SGD; with l1 > 0, each step ends with soft thresholding w <- sign(w) max(|w| - lr*l1, 0)."""
    steps = steps_to_run(steps)
    params = init_params(X.shape[1:], n_filters=n_filters, seed=seed)
    params_init = {k: v.copy() for k, v in params.items()}
    rng = np.random.default_rng(seed + 1)
    losses, test_acc, records = [], [], []
    for step in range(steps):
        idx = rng.choice(len(X), size=batch, replace=False)
        probs, cache = forward(params, X[idx])
        losses.append(float(-np.mean(np.log(probs[np.arange(batch), y[idx]] + 1e-12))))
        grads, inner = backward(params, cache, y[idx])
        before = {k: params[k].copy() for k in WEIGHTS} if step in record_steps else None
        for k in params:
            params[k] = params[k] - lr * grads[k]
            if l1 and k in WEIGHTS:
                params[k] = np.sign(params[k]) * np.maximum(np.abs(params[k]) - lr * l1, 0.0)
        if before is not None:
            zero_grad = [(k, tuple(int(i) for i in ix), float(before[k][tuple(ix)]), float(params[k][tuple(ix)]))
                         for k in WEIGHTS for ix in np.argwhere(grads[k] == 0)[:20]]
            records.append(StepRecord(
                step=step,
                zero_frac_pool_grad=float(np.mean(inner["dA1"] == 0)),
                zero_frac_relu_grad=float(np.mean(inner["dZ1"] == 0)),
                zero_frac_dW={k: float(np.mean(grads[k] == 0)) for k in WEIGHTS},
                zero_frac_W={k: float(np.mean(params[k] == 0)) for k in WEIGHTS},
                zero_grad_weights=zero_grad))
        if (step + 1) % 50 == 0 or step == steps - 1:
            test_acc.append((step + 1, loss_and_accuracy(params, X_test, y_test)[1]))
    return TrainingRun(params_init, params, losses, test_acc, records, l1)

"""A tiny CNN trained with vectorized NumPy for notebook 4 (sharing vs sparsity):
conv (f x f, pad (f-1)/2, stride 1) -> ReLU -> max pool 2x2 -> dense -> softmax.

The notebook shows the experiment (what is measured), this module holds the plumbing. Training is
plain mini-batch SGD by default, under which a weight whose gradient is zero in a step keeps its value
exactly: w - lr * 0 == w; SGD with momentum, Adam and SGD with weight decay are there to measure that
this holds for plain SGD only. The optional L1 penalty is applied as a proximal step (soft
thresholding), the form of L1 that sets weights exactly to zero. `compare_with_layers` runs the same
network built from notebook-style loop layers (the student's own, or the notebook's provided ones).

It ships with notebook 4 (not in the cnn_student package, which students have from notebook 1 on)
because its layers partly answer notebooks 3 and 5. Data loading and the records of a run live in
cnn_student/experiment.py.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_student.experiment import (CLASS_NAMES, WEIGHTS, Params, StepRecord, TrainingRun,  # noqa: F401
                                   ZeroGradEvents, load_shapes, steps_to_run, zero_fraction)


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


CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))  # a 2x2 window's inputs, in row-major order


def _corners(A: np.ndarray) -> list[np.ndarray]:
    """The four inputs of every 2x2 pooling window, as four strided views (m, H/2, W/2, n), in window row-major
    order (no copy: pairwise maxima of views are some 20 times faster than a maximum over a stacked axis of 4)."""
    H, W = A.shape[1] // 2 * 2, A.shape[2] // 2 * 2
    return [A[:, di:H:2, dj:W:2] for di, dj in CORNERS]


def _quads(A: np.ndarray) -> np.ndarray:
    """The four inputs of every 2x2 pooling window, stacked last: (m, H/2, W/2, n, 4), in window row-major order."""
    return np.stack(_corners(A), axis=-1)


def _conv_stride_1(X: np.ndarray, W1: np.ndarray, b1: np.ndarray, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Z of the conv layer with stride 1, and the im2col rows it multiplied (one per output position)."""
    f, _, C, n = W1.shape
    windows = sliding_window_view(np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0))), (f, f), axis=(1, 2))
    m, H, W = windows.shape[:3]
    cols = windows.reshape(m * H * W, C * f * f)            # im2col: one row per output position
    # einsum without BLAS: on a busy 2-core machine, threaded BLAS on these thin products is 5-10x slower
    Z = np.einsum("pk,kn->pn", cols, W1.transpose(2, 0, 1, 3).reshape(C * f * f, n)).reshape(m, H, W, n) + b1
    return Z, cols


def conv_forward_vectorized(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, pad: int) -> np.ndarray:
    """Z (m, n_H, n_W, n_C) of notebook 1's conv layer with stride 1, without a loop over positions: every
    window copied into one row of a matrix, times the filters (notebook 4 times it against conv_forward)."""
    return _conv_stride_1(A_prev, W, b, pad)[0]


def forward(params: Params, X: np.ndarray) -> tuple[np.ndarray, dict]:
    """Class probabilities (m, n_classes) and what the backward pass needs."""
    f = params["W1"].shape[0]
    Z1, cols = _conv_stride_1(X, params["W1"], params["b1"], (f - 1) // 2)
    a, b, c, d = _corners(np.maximum(Z1, 0.0))  # ReLU, then the 2x2 max pool
    P = np.maximum(np.maximum(a, b), np.maximum(c, d))
    flat = P.reshape(len(X), -1)
    logits = flat @ params["W2"] + params["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs, {"cols": cols, "Z1": Z1, "P": P, "flat": flat, "probs": probs}


def backward(params: Params, cache: dict, y: np.ndarray, ties: str = "first") -> tuple[Params, dict]:
    """Gradients of the mean cross-entropy, and the intermediate gradients the notebook measures:
    dA1 = what max-pool backward passes down, dZ1 = that after ReLU backward.

    ties: where a pooling window whose maximum appears more than once sends its gradient. "first" (what
    training uses, and the course's rule): all of it to the first maximum in row-major order, as PyTorch
    does; ties are common here (ReLU makes whole windows 0, a uniform background makes four equal
    outputs) and must not copy the gradient. "all": all of it to every tied maximum, as the mask x == max(x)
    would (the rule the course used before, kept to measure what it changes)."""
    probs, m = cache["probs"], len(y)
    dlogits = probs.copy()
    dlogits[np.arange(m), y] -= 1.0
    dlogits /= m
    dW2 = cache["flat"].T @ dlogits
    db2 = dlogits.sum(axis=0)
    dP = (dlogits @ params["W2"].T).reshape(cache["P"].shape)
    Z1, P = cache["Z1"], cache["P"]
    tops = [corner == P for corner in _corners(np.maximum(Z1, 0.0))]  # the inputs equal to their window's maximum
    if ties == "first":  # each window's first maximum only: a later one routes where no earlier one did
        routes, taken = [], np.zeros(P.shape, dtype=bool)
        for top in tops:
            routes.append(top & ~taken)
            taken |= top
    elif ties == "all":
        routes = tops
    else:
        raise ValueError(f"ties must be 'first' or 'all', not {ties!r}")
    dA1 = np.zeros_like(Z1)
    for route, corner in zip(routes, _corners(dA1)):
        corner[...] = np.where(route, dP, 0.0)
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


OPTIMIZERS = ("sgd", "momentum", "adam", "weight_decay")


def _update(params: Params, grads: Params, state: dict, optimizer: str, step: int, hyper: dict) -> None:
    """One step of the optimizer, in place. The rules, with dw the gradient (biases get no decay):
    sgd:          w <- w - lr*dw
    momentum:     v <- beta*v + dw, then w <- w - lr*v   (the convention of PyTorch's SGD)
    adam:         m <- b1*m + (1-b1)*dw, s <- b2*s + (1-b2)*dw**2;  w <- w - lr*m_hat/(sqrt(s_hat) + eps)
    weight_decay: w <- w - lr*(dw + decay*w)   (an L2 penalty decay/2 * w**2 added to the loss)"""
    lr = hyper["lr"]
    for k in params:
        g = grads[k]
        if optimizer == "sgd":
            params[k] = params[k] - lr * g
        elif optimizer == "momentum":
            state["v"][k] = hyper["beta"] * state["v"][k] + g
            params[k] = params[k] - lr * state["v"][k]
        elif optimizer == "adam":
            b1, b2 = hyper["beta1"], hyper["beta2"]
            state["m"][k] = b1 * state["m"][k] + (1 - b1) * g
            state["s"][k] = b2 * state["s"][k] + (1 - b2) * g * g
            m_hat, s_hat = state["m"][k] / (1 - b1 ** (step + 1)), state["s"][k] / (1 - b2 ** (step + 1))
            params[k] = params[k] - lr * m_hat / (np.sqrt(s_hat) + hyper["eps"])
        elif optimizer == "weight_decay":
            params[k] = params[k] - lr * (g + (hyper["decay"] * params[k] if k in WEIGHTS else 0.0))
        else:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {optimizer!r}")


DEFAULTS = {"momentum": {"beta": 0.9}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
            "weight_decay": {"decay": 0.0}, "sgd": {}}


def train(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, steps: int = 300,
          batch: int = 64, lr: float = 0.1, l1: float = 0.0, seed: int = 0,
          record_steps: tuple[int, ...] = (0, 1, 2, 3, 4), n_filters: int = 8,
          optimizer: str = "sgd", **settings: float) -> TrainingRun:
    """Mini-batch training with `optimizer` (see _update; settings override DEFAULTS, e.g. beta=0.9 or
    decay=0.003); with l1 > 0, each step ends with soft thresholding w <- sign(w) max(|w| - lr*l1, 0).
    Every step records the weights whose gradient was exactly 0 and what the step did to them."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {optimizer!r}")
    unknown = set(settings) - set(DEFAULTS[optimizer])
    if unknown:
        raise ValueError(f"{optimizer} has no setting {sorted(unknown)}; it has {sorted(DEFAULTS[optimizer])}")
    hyper = {"lr": lr, **DEFAULTS[optimizer], **settings}
    steps = steps_to_run(steps)
    params = init_params(X.shape[1:], n_filters=n_filters, seed=seed)
    params_init = {k: v.copy() for k, v in params.items()}
    state = {slot: {k: np.zeros_like(v) for k, v in params.items()} for slot in ("v", "m", "s")}
    had_gradient = {k: np.zeros(params[k].shape, dtype=bool) for k in WEIGHTS}
    events: list[tuple] = []
    rng = np.random.default_rng(seed + 1)
    losses, test_acc, records = [], [], []
    for step in range(steps):
        idx = rng.choice(len(X), size=batch, replace=False)
        probs, cache = forward(params, X[idx])
        losses.append(float(-np.mean(np.log(probs[np.arange(batch), y[idx]] + 1e-12))))
        grads, inner = backward(params, cache, y[idx])
        before = {k: params[k].copy() for k in WEIGHTS}
        _update(params, grads, state, optimizer, step, hyper)
        if l1:
            for k in WEIGHTS:
                params[k] = np.sign(params[k]) * np.maximum(np.abs(params[k]) - lr * l1, 0.0)
        for k in WEIGHTS:
            zero = np.flatnonzero(grads[k] == 0)
            events.append((np.full(len(zero), step), np.full(len(zero), k), zero, before[k].ravel()[zero],
                           params[k].ravel()[zero], had_gradient[k].ravel()[zero]))
            had_gradient[k] |= grads[k] != 0
        if step in record_steps:
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
    columns = [np.concatenate(c) for c in zip(*events)]
    zero_grad = ZeroGradEvents(columns[0].astype(int), columns[1].astype(str), columns[2].astype(int),
                               columns[3].astype(float), columns[4].astype(float), columns[5].astype(bool))
    return TrainingRun(params_init, params, losses, test_acc, records, l1, optimizer, hyper, zero_grad)


# ---------- the same network from loop layers (notebooks 1-3's functions), to check one against the other
def forward_backward_with_layers(params: Params, X: np.ndarray, y: np.ndarray, layers: dict) -> tuple[float, Params, dict]:
    """Loss, gradients and the gradient max-pool backward passed down (dA1), computed with the layers
    conv_forward, conv_backward, pool_forward, pool_backward of `layers` (notebook signatures)."""
    f = params["W1"].shape[0]
    Z1, conv_cache = layers["conv_forward"](X, params["W1"], params["b1"], {"stride": 1, "pad": (f - 1) // 2})
    A1 = np.maximum(Z1, 0.0)
    P, pool_cache = layers["pool_forward"](A1, {"f": 2, "stride": 2}, "max")
    m = len(y)
    flat = np.asarray(P).reshape(m, -1)
    logits = flat @ params["W2"] + params["b2"]
    logits = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(probs[np.arange(m), y] + 1e-12)))
    dlogits = probs.copy()
    dlogits[np.arange(m), y] -= 1.0
    dlogits /= m
    dP = (dlogits @ params["W2"].T).reshape(np.shape(P))
    dA1 = np.asarray(layers["pool_backward"](dP, pool_cache, "max"))
    _, dW1, db1 = layers["conv_backward"](dA1 * (Z1 > 0), conv_cache)
    grads = {"W1": np.asarray(dW1), "b1": np.asarray(db1), "W2": flat.T @ dlogits, "b2": dlogits.sum(axis=0)}
    return loss, grads, {"dA1": dA1, "A1": A1}


def _first_line(fn) -> str:
    doc = (fn.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else "(no docstring)"


def compare_with_layers(X: np.ndarray, y: np.ndarray, conv_forward, conv_backward, pool_forward, pool_backward,
                        steps: int = 2, batch: int = 8, lr: float = 0.3, seed: int = 0) -> None:
    """Train `steps` SGD steps from the same start on the same batches with the given loop layers and with
    this module's vectorized network; print loss, gradients and weights side by side, and what routing a
    tied window's gradient to every tied maximum (the mask x == max(x)) instead of the first would change."""
    layers = {"conv_forward": conv_forward, "conv_backward": conv_backward,
              "pool_forward": pool_forward, "pool_backward": pool_backward}
    print("layers used (first line of each docstring):")
    for name, fn in layers.items():
        print(f"  {name:14s} {_first_line(fn)}")
    net = init_params(X.shape[1:], seed=seed)
    yours = {k: v.copy() for k, v in net.items()}
    rng = np.random.default_rng(seed + 1)
    print(f"\n{steps} steps of plain SGD, lr {lr:g}, batches of {batch} images, the same start and batches.\n"
          "Largest difference between the layers' result and the network's, the network routing the gradient of a\n"
          "window with a tied maximum to its first maximum (the rule of notebook 3) or to every tied maximum:")
    for step in range(steps):
        idx = rng.choice(len(X), size=batch, replace=False)
        probs, cache = forward(net, X[idx])
        loss_net = float(-np.mean(np.log(probs[np.arange(batch), y[idx]] + 1e-12)))
        grads_all, _ = backward(net, cache, y[idx], ties="all")
        grads_first, _ = backward(net, cache, y[idx], ties="first")
        loss_yours, grads_yours, inner = forward_backward_with_layers(yours, X[idx], y[idx], layers)
        print(f"step {step}: loss {loss_yours:.12f} (your layers), {loss_net:.12f} (network): "
              f"difference {abs(loss_yours - loss_net):.1e}")
        print(f"  {'':4s} {'shape':14s} {'first maximum':>14s} {'every maximum':>14s} {'largest |gradient|':>19s}")
        for k in ("W1", "b1", "W2", "b2"):
            got = grads_yours[k]
            if np.shape(got) != np.shape(grads_first[k]):
                print(f"  d{k}: shape {np.shape(got)} (the layers) against {grads_first[k].shape} (network)")
                return
            print(f"  d{k:3s} {str(grads_first[k].shape):14s} {np.max(np.abs(got - grads_first[k])):14.1e} "
                  f"{np.max(np.abs(got - grads_all[k])):14.1e} {np.max(np.abs(grads_first[k])):19.1e}")
        quads = _quads(inner["A1"])
        tied = (quads == quads.max(axis=-1, keepdims=True)).sum(axis=-1) > 1
        top = quads == quads.max(axis=-1, keepdims=True)
        above = tied & (quads.max(axis=-1) > 0)
        # on black background: every pixel under the filter window of each tied input is 0
        f, p = net["W1"].shape[0], (net["W1"].shape[0] - 1) // 2
        blank = (sliding_window_view(np.pad(X[idx], ((0, 0), (p, p), (p, p), (0, 0))), (f, f), axis=(1, 2)) == 0
                 ).all(axis=(-3, -2, -1))
        on_black = np.all(~top | _quads(blank[..., None]), axis=-1)
        print(f"  pooling windows with a tied maximum: {int(tied.sum())} of {tied.size}; "
              f"{int(tied.sum() - above.sum())} tied at 0 (ReLU: their gradient dies in ReLU backward), "
              f"{int(above.sum())} tied above 0, in {int(np.sum(above & on_black))} of which every tied input has "
              "only black pixels under its filter")
        for k in net:
            net[k] = net[k] - lr * grads_first[k]
            yours[k] = yours[k] - lr * grads_yours[k]
    print("weights after the steps, largest difference: "
          + ", ".join(f"{k} {np.max(np.abs(yours[k] - net[k])):.1e}" for k in net))

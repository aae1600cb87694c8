"""Layers that later notebooks provide as given code: notebook 1's zero_pad and conv_forward and
notebook 2's pool_forward, written with loops in NHWC like the students' own. Notebook 3's gradient
checker needs forward passes, notebook 4 compares its conv-as-a-matrix with conv_forward.
(Release those notebooks after notebooks 1 and 2 are due: this module answers them.)"""
from __future__ import annotations

import numpy as np


def zero_pad(X: np.ndarray, pad: int) -> np.ndarray:
    """Pad height and width of every image of X (m, n_H, n_W, n_C) with `pad` zeros on each side."""
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)


def conv_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, hparameters: dict) -> tuple:
    """Notebook 1: returns (Z, cache) with Z (m, n_H, n_W, n_C), cache = (A_prev, W, b, hparameters)."""
    stride, pad = hparameters["stride"], hparameters["pad"]
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    A_prev_pad = zero_pad(A_prev, pad)
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                a_slice = A_prev_pad[i, h * stride:h * stride + f, w * stride:w * stride + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(a_slice * W[:, :, :, c]) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)


def pool_forward(A_prev: np.ndarray, hparameters: dict, mode: str = "max") -> tuple:
    """Notebook 2: returns (A, cache) with A (m, n_H, n_W, n_C), cache = (A_prev, hparameters)."""
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    reduce = {"max": np.max, "average": np.mean}[mode]
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            A[:, h, w, :] = reduce(window, axis=(1, 2))
    return A, (A_prev, hparameters)

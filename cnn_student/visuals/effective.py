"""03_backprop: the effective receptive field. The gradient of one output unit of a stack of 3x3 conv layers
with respect to the input, backpropagated through the stack by the student's conv_backward, against the
theoretical receptive field of notebook 2: the gradient fills the field unevenly, concentrated in its middle,
and the part that carries most of it grows like the square root of the depth while the field grows like the
depth (Luo et al., "Understanding the Effective Receptive Field in Deep Convolutional Neural Networks", 2016)."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from ._common import show_figure
from .backprop import _full_correlation
from .receptive import Layer, receptive_fields

DEPTH = 10                # the deepest stack measured; every shallower one comes out of the same backward pass
SIDE = 2 * DEPTH + 3      # the input: the deepest field (2·DEPTH + 1) and one pixel more on each side
HP = {"stride": 1, "pad": 1}
MASS = 0.95               # the effective field: the smallest centred square that holds this share of the gradient
SHOWN = (2, 5, DEPTH)     # the depths drawn


def _backward_pass(conv_backward: Callable, conv_forward: Callable) -> tuple[Callable, str]:
    """dZ, cache -> dA_prev: the student's conv_backward, or, while it is not written, the full correlation of dZ
    with the flipped filter (the identity Part 1 checks), computed with the provided conv_forward."""
    probe = np.zeros((1, 3, 3, 1))
    try:
        conv_backward(probe, (probe, np.zeros((3, 3, 1, 1)), np.zeros((1, 1, 1, 1)), HP))
    except NotImplementedError:
        return (lambda dZ, cache: _full_correlation(conv_forward, dZ, cache[1], cache[0].shape[1:], cache[3]),
                "your conv_backward is not written yet: the full correlation of dZ with the flipped filter "
                "(Part 1's identity, with the provided conv_forward) backpropagates instead")
    return (lambda dZ, cache: np.asarray(conv_backward(dZ, cache)[0]), "backpropagated by your conv_backward")


class UnusableGradient(ValueError):
    """The backward pass returned a dA_prev the figure cannot read: another shape, not finite, or all 0."""


def _checked(dA_prev: np.ndarray, shape: tuple, depth: int) -> np.ndarray:
    dA_prev = np.asarray(dA_prev, dtype=np.float64)
    if dA_prev.shape != shape:
        raise UnusableGradient(f"through {depth} layer(s) your dA_prev has shape {dA_prev.shape}, not {shape}")
    if not np.all(np.isfinite(dA_prev)) or not np.any(dA_prev):
        raise UnusableGradient(f"through {depth} layer(s) your dA_prev is "
                               + ("not finite" if not np.all(np.isfinite(dA_prev)) else "0 everywhere"))
    return dA_prev


def _centre_one_hot(m: int, channels: int) -> np.ndarray:
    dZ = np.zeros((m, SIDE, SIDE, channels))
    dZ[:, SIDE // 2, SIDE // 2, 0] = 1.0
    return dZ


def uniform_gradients(backward: Callable, depth: int = DEPTH) -> list[np.ndarray]:
    """|d z / d x| for the centre unit z of layer L = 1..depth of a stack of 3x3 convs with every weight 1/9 (one
    channel, pad 1, stride 1, no bias, no nonlinearity). The layers are identical and linear, so the gradient
    through L of them is one more backward pass applied to the gradient through L - 1."""
    W, b = np.full((3, 3, 1, 1), 1 / 9), np.zeros((1, 1, 1, 1))
    g, grads = _centre_one_hot(1, 1), []
    for L in range(1, depth + 1):
        g = _checked(backward(g, (np.zeros_like(g), W, b, HP)), g.shape, L)
        grads.append(np.abs(g[0, :, :, 0]))
    return grads


def random_relu_gradient(backward: Callable, conv_forward: Callable, depth: int = DEPTH, m: int = 2,
                         channels: int = 2, seed: int = 0) -> np.ndarray:
    """The same through `depth` convs with random weights (He's scale) and a ReLU after each, on m random
    images: |d z / d x| summed over the input channels and averaged over the images (z: channel 0 of the centre
    unit of the last conv). ReLU passes gradient only where its input was positive."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, SIDE, SIDE, channels))
    b = np.zeros((1, 1, 1, channels))
    caches, masks = [], []
    for _ in range(depth):
        W = rng.standard_normal((3, 3, channels, channels)) * np.sqrt(2 / (9 * channels))
        Z, cache = conv_forward(A, W, b, HP)
        caches.append(cache)
        masks.append(Z > 0)
        A = np.maximum(Z, 0)
    g = _centre_one_hot(m, channels)
    for k in range(depth - 1, -1, -1):
        g = _checked(backward(g, caches[k]), caches[k][0].shape, depth - k)
        if k:
            g = g * masks[k - 1]
    return np.abs(g).sum(axis=3).mean(axis=0)


def centred_side(grad: np.ndarray, share: float = MASS) -> int:
    """The side of the smallest square centred on the output unit's position that holds `share` of sum |grad|."""
    c, total = grad.shape[0] // 2, grad.sum()
    for r in range(c + 1):
        if grad[c - r:c + r + 1, c - r:c + r + 1].sum() >= share * total:
            return 2 * r + 1
    return grad.shape[0]


def spread(grad: np.ndarray) -> float:
    """The gradient's standard deviation along one axis, in pixels: sqrt(sum |g|·(row − centre)²/ sum |g|)."""
    rows = np.arange(grad.shape[0]) - grad.shape[0] // 2
    return float(np.sqrt((grad.sum(axis=1) * rows ** 2).sum() / grad.sum()))


def theoretical_side(depth: int) -> int:
    return receptive_fields(tuple(Layer("conv", 3, 1) for _ in range(depth)))[-1][0]


def _panel(ax, grad: np.ndarray, depth: int, title: str) -> tuple[int, int]:
    r, s = theoretical_side(depth), centred_side(grad)
    ax.imshow(grad / grad.max(), cmap="viridis", vmin=0, vmax=1)
    c = SIDE // 2
    ax.add_patch(Rectangle((c - s / 2, c - s / 2), s, s, fill=False, edgecolor="#E69F00", ls="-", lw=2.5))
    # the field on top, dashed: where the two squares coincide, both stay visible
    ax.add_patch(Rectangle((c - r / 2, c - r / 2), r, r, fill=False, edgecolor="white", ls="--", lw=1.5, zorder=3))
    ax.set_title(f"{title}\ndashed: field {r} x {r}; solid: {MASS:.0%} in {s} x {s}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return r, s


def effective_receptive_field(conv_backward: Callable, conv_forward: Callable) -> None:
    """A table for depths 1..DEPTH (uniform weights) and a figure: the gradient of the centre unit with respect to
    the input for uniform weights at three depths and for random weights with ReLU, against the field's square."""
    backward, how = _backward_pass(conv_backward, conv_forward)
    try:
        grads = uniform_gradients(backward)
        relu = random_relu_gradient(backward, conv_forward)
    except UnusableGradient as why:
        print(f"This table needs the gradient your conv_backward returns, and {why}: fix conv_backward (its tests "
              "above say how), run its cell, then this one again.")
        return
    print(f"a stack of 3x3 convs (pad 1, stride 1, one channel, every weight 1/9) on a {SIDE}x{SIDE} input; "
          f"|gradient| of the centre unit of the last layer with respect to every input pixel, {how}.\n")
    print(f"{'depth L':>8s}{'field 2L+1':>12s}{'spread σ':>10s}{'σ/√L':>7s}{f'{MASS:.0%} in a square of':>22s}"
          f"{'its share of the field':>24s}{'field corner / centre':>23s}")
    for L, g in enumerate(grads, 1):
        r, s, c = theoretical_side(L), centred_side(g), SIDE // 2
        corner = g[c - L, c - L] / g[c, c]
        print(f"{L:>8d}{r:>12d}{spread(g):>10.3f}{spread(g) / np.sqrt(L):>7.3f}{f'{s} x {s}':>22s}"
              f"{(s * s) / (r * r):>24.0%}{corner:>23.1e}")
    r, s = theoretical_side(DEPTH), centred_side(relu)
    print(f"\nrandom weights (He's scale, 2 channels) with a ReLU after each conv, depth {DEPTH}, |gradient| averaged "
          f"over 2 random images: spread σ = {spread(relu):.3f}, {MASS:.0%} in {s} x {s} of the {r} x {r} field "
          f"({(s * s) / (r * r):.0%} of it)")

    fig, axes = plt.subplots(1, len(SHOWN) + 1, figsize=(4 * (len(SHOWN) + 1), 4.4))
    sizes = [_panel(ax, grads[L - 1], L, f"every weight 1/9, depth {L}") for ax, L in zip(axes, SHOWN)]
    sizes.append(_panel(axes[-1], relu, DEPTH, f"random weights and ReLU, depth {DEPTH}"))
    fig.suptitle("|gradient of the centre unit| over the input (brightest: largest), against the receptive field",
                 fontsize=10)
    plt.tight_layout(rect=(0, 0, 1, 0.92))
    panels = [f"every weight 1/9, depth {L}" for L in SHOWN] + [f"random weights with ReLU, depth {DEPTH}"]
    show_figure(fig, f"{len(panels)} maps of the {SIDE}x{SIDE} input, brightness the size of the gradient of the centre "
                     "unit, a dashed square for the theoretical receptive field and a solid one for the smallest "
                     f"centred square holding {MASS:.0%} of the gradient: "
                     + "; ".join(f"{name}: field {r} x {r}, {MASS:.0%} in {s} x {s}" for name, (r, s) in zip(panels, sizes))
                     + ". With weights 1/9 the gradient is a smooth bright blob in the middle of the field, fading "
                       "towards its edge; with random weights and ReLU it is speckled, brightest near the middle.")

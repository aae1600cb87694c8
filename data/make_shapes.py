"""Generates the small labelled image set of notebook 04 (sharing vs sparsity). Deterministic; from the repo root:
    .venv/bin/python data/make_shapes.py

shapes_images.npy: (2000, 16, 16) uint8, one white-ish shape on a black background (exactly 0),
                   random size, position and brightness, with noise on the shape's pixels only.
shapes_labels.npy: (2000,) uint8, the class of each image: 0 disc, 1 square outline, 2 plus, 3 bar.
The black background is on purpose: ReLU outputs there are exactly 0, so the notebook can show
weights whose gradient was exactly zero in a step (and that they kept their value).
"""
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CLASS_NAMES = ("disc", "square", "plus", "bar")
N, SIZE, SEED = 2000, 16, 2024


def _shape(kind: int, rng: np.random.Generator) -> np.ndarray:
    """A boolean 16x16 mask of one shape of the given class, at a random size and position."""
    rr, cc = np.mgrid[0:SIZE, 0:SIZE]
    r = int(rng.integers(3, 6))                      # half-size: the shape spans 2r + 1 pixels
    cy, cx = (int(v) for v in rng.integers(r + 1, SIZE - r - 1, size=2))
    dy, dx = np.abs(rr - cy), np.abs(cc - cx)
    if kind == 0:                                     # filled disc
        return (rr - cy) ** 2 + (cc - cx) ** 2 <= r * r + r // 2
    if kind == 1:                                     # square outline, 1 pixel thick
        return (np.maximum(dy, dx) == r)
    if kind == 2:                                     # plus sign, 1 pixel thick arms
        return ((dy == 0) & (dx <= r)) | ((dx == 0) & (dy <= r))
    # bar: a filled 3-pixel-thick rectangle, horizontal or vertical
    long, thick = (dx, dy) if rng.random() < 0.5 else (dy, dx)
    return (long <= r) & (thick <= 1)


def make(n: int = N, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.tile(np.arange(len(CLASS_NAMES)), n // len(CLASS_NAMES))
    rng.shuffle(labels)
    images = np.zeros((n, SIZE, SIZE))
    for i, kind in enumerate(labels):
        mask = _shape(int(kind), rng)
        brightness = rng.uniform(0.5, 1.0)
        images[i][mask] = np.clip(brightness + 0.15 * rng.standard_normal(int(mask.sum())), 0.2, 1.0)
    return np.round(images * 255).astype(np.uint8), labels.astype(np.uint8)


if __name__ == "__main__":
    images, labels = make()
    np.save(HERE / "shapes_images.npy", images)
    np.save(HERE / "shapes_labels.npy", labels)
    print("wrote", HERE / "shapes_images.npy", images.shape, "and", HERE / "shapes_labels.npy", labels.shape)

"""Regenerates the small data files the notebooks load. Deterministic; run from the repo root:
    .venv/bin/python data/make_data.py

grace_hopper.npy: the public-domain portrait of Grace Hopper that matplotlib ships as sample data,
reduced 4x by block averaging to (150, 128, 3) uint8, so that the pooling notebook needs no download.
"""
from pathlib import Path

import matplotlib.cbook as cbook
import matplotlib.image as mpimg
import numpy as np

HERE = Path(__file__).resolve().parent


def grace_hopper() -> np.ndarray:
    img = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).astype(np.float64)
    H, W = img.shape[0] // 4 * 4, img.shape[1] // 4 * 4
    small = img[:H, :W].reshape(H // 4, 4, W // 4, 4, 3).mean(axis=(1, 3))
    return np.round(small).astype(np.uint8)


if __name__ == "__main__":
    np.save(HERE / "grace_hopper.npy", grace_hopper())
    print("wrote", HERE / "grace_hopper.npy")

"""02_pool_forward: max and average pooling side by side, on a photo and as an explorer."""
from __future__ import annotations

from typing import Callable

import matplotlib.pyplot as plt
import numpy as np

from ..data import data_file
from ._common import try_student


def load_photo() -> np.ndarray:
    """The portrait of Grace Hopper, (1, 150, 128, 3) float64 in [0, 1]: one example, three channels."""
    return np.load(data_file("grace_hopper.npy"))[None].astype(np.float64) / 255.0


def show_pooling(pool_forward: Callable, photo: np.ndarray, f: int = 6, stride: int = 6) -> None:
    """The photo, its max pooling and its average pooling with the same window."""
    hp = {"f": f, "stride": stride}
    results = []
    for mode in ("max", "average"):
        out = try_student(pool_forward, photo, hp, mode)
        if out is None:
            return
        results.append(np.asarray(out[0]))
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.4))
    panels = [(photo, f"input {photo.shape[1:3]}")] + [
        (r, f"{mode} pool f={f}, stride={stride}: {r.shape[1:3]}") for r, mode in zip(results, ("max", "average"))]
    for ax, (img, title) in zip(axes, panels):
        ax.imshow(np.clip(img[0], 0, 1), interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle("Each channel (R, G, B) is pooled on its own: the colours survive")
    plt.show()


def pooling_explorer(pool_forward: Callable, photo: np.ndarray):
    """Sliders for window size and stride; max and average pooling of the photo side by side."""
    import ipywidgets as widgets
    from IPython.display import display

    f = widgets.IntSlider(value=4, min=1, max=12, description="f")
    stride = widgets.IntSlider(value=4, min=1, max=12, description="stride")
    info = widgets.HTML()
    plot = widgets.Output()

    def update(_=None):
        n_H = (photo.shape[1] - f.value) // stride.value + 1
        n_W = (photo.shape[2] - f.value) // stride.value + 1
        overlap = "windows overlap (stride < f)" if stride.value < f.value else \
            "windows skip inputs (stride > f)" if stride.value > f.value else "windows tile the input"
        info.value = f"output {n_H} x {n_W} x 3 &nbsp;·&nbsp; {overlap}"
        with plot:
            plot.clear_output(wait=True)
            show_pooling(pool_forward, photo, f.value, stride.value)

    f.observe(update, names="value")
    stride.observe(update, names="value")
    update()
    display(widgets.VBox([widgets.HBox([f, stride]), info, plot]))

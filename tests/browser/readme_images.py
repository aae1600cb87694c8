"""The README's pictures (the widget explorers, formgrader), from the browser tests' screenshots.

    .venv/bin/python -m pytest -q tests/test_browser.py -k finished   # writes artifacts/screenshots/
    .venv/bin/python -m pytest -q tests/test_formgrader.py            # and formgrader's page
    .venv/bin/python -m pytest -q tests/test_report.py                # and the report's first screen
    .venv/bin/python -m pytest -q tests/test_hub.py                   # and the hub's (as root)
    .venv/bin/python -m tests.browser.readme_images                    # writes docs/img/

Each picture is cropped to what is drawn and reduced to a 256-colour palette, to stay small (<200 KB).
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops

from autograder.paths import ROOT

SHOTS = ROOT / "artifacts" / "screenshots"
# README picture -> the screenshot it comes from (the first widget view of the finished notebook)
PICTURES = {
    "output_size_explorer.png": "01_conv_forward-finished-widget-1.png",
    "pooling_explorer.png": "02_pool_forward-finished-widget-1.png",
    "formgrader.png": "formgrader-manage-students.png",  # tests/test_formgrader.py
    "report.png": "report.png",  # tests/test_report.py, the report's first screen
    "hub-assignments.png": "hub-feedback-fetched-cnnt-student2.png",  # tests/test_hub.py
    "hub-feedback.png": "hub-feedback-cnnt-student2.png",
    "hub-attempt.png": "hub-attempt-1.png",
}
MAX_BYTES = 200_000  # the report's first screen, with its plots, is the largest


def crop_and_shrink(source: Path, target: Path, margin: int = 8) -> int:
    """Write source cropped to its non-white content and palettized; return the file size."""
    image = Image.open(source).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        image = image.crop((max(left - margin, 0), max(top - margin, 0),
                            min(right + margin, image.width), min(bottom + margin, image.height)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target.stat().st_size


def main() -> None:
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    for name, shot in PICTURES.items():
        if not (SHOTS / shot).exists():
            raise SystemExit(f"{SHOTS / shot} is missing: run the browser test first")
        size = crop_and_shrink(SHOTS / shot, out / name)
        if size > MAX_BYTES:
            raise SystemExit(f"{out / name} is {size} bytes (more than {MAX_BYTES})")
        print(f"{out / name}: {size // 1000} KB")


if __name__ == "__main__":
    main()

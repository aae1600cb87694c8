"""The instructor's report and the class summary, on a synthetic class of results (no kernel): the counts
the report shows equal those the synthetic class was built with, identical work is listed only where it is
unusual in the class, the class summary names no student and no answer, and (slow) the report renders
in Chromium with every plot visible; its screenshot is the README's picture (docs/img/report.png, made by
tests.browser.readme_images: tests write nothing into the checkout's docs/)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from autograder.grading.pipeline.explanations import ANSWERS
from autograder.grading.outputs.aggregate import write_outputs
from autograder.grading.outputs.integrity import cell_fingerprints
from autograder.grading.records import Finding
from autograder.grading.records import CellScore, UnitResult
from autograder.grading.outputs.report import class_summary, report

FIRST = "01_conv_forward"
FOURTH = "04_sharing_vs_sparsity"
COMMON = "def zero_pad(X, pad):\n    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
ODD = ("def conv_forward(A_prev, W, b, hparameters):\n    # my own trick lol - dont share\n"
       "    strd_zz = hparameters['stride']\n    pd_zz = hparameters['pad']\n    Z_zz = A_prev[:, ::strd_zz]\n"
       "    Z_zz = Z_zz + b[0, 0, 0, 0]\n    return Z_zz, (A_prev, W, b, hparameters)\n")


def _cells(**sources: str) -> list[dict]:
    return [{"cell_type": "code", "metadata": {"nbgrader": {"solution": True, "grade_id": gid}}, "source": src}
            for gid, src in sources.items()]


def _unit(student: str, k: int) -> list[UnitResult]:
    """Forty-odd students: all write the same common zero_pad; conv_forward varies (its own per student),
    except s01 and s02, who share one odd wrong version. Causes and answers cycle through the class."""
    conv = ODD if student in ("s01", "s02") else ODD.replace("strd_zz", f"stride_{k}").replace("# my own trick lol - dont share", "")
    wrong_bias = k % 3 == 0 or student in ("s01", "s02")
    tests = {f"{FIRST}:test_zero_pad": CellScore(2, 2),
             f"{FIRST}:test_conv_forward": CellScore(0 if wrong_bias else 3, 3, "conv_forward" if wrong_bias else "",
                                                     ["conv_forward.missing_bias"] if wrong_bias else [])}
    if k % 5 == 1:
        tests[f"{FIRST}:test_zero_pad"] = CellScore(0, 2, "zero_pad", ["zero_pad.all_axes"])
    first = UnitResult(student, FIRST, sum(t.score for t in tests.values()), 5.0, "m", tests,
                       fingerprints={f"{FIRST}.ipynb": cell_fingerprints(_cells(zero_pad=COMMON, conv_forward=conv))},
                       graded=True)
    q1 = "True" if k % 4 == 0 else "False"
    q7 = "abcd"[k % 4]
    concept = {f"{FOURTH}:test_sharing_sets_zeros": CellScore(1 if q1 == "False" else 0, 1,
                                                              "" if q1 == "False" else "sharing_sets_zeros",
                                                              [] if q1 == "False" else
                                                              ["concept.sharing_sets_zeros.sharing_is_sparsity"],
                                                              {"sharing_sets_zeros": q1}),
               f"{FOURTH}:test_what_makes_weights_sparse": CellScore(1 if q7 == "d" else 0, 1, answers={
                   "what_makes_weights_sparse": q7})}
    fourth = UnitResult(student, FOURTH, sum(t.score for t in concept.values()), 2.0, "m", concept, graded=True)
    return [first, fourth]


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    results = [r for k in range(42) for r in _unit(f"s{k + 1:02d}", k)]
    results[0].findings.append(Finding("s01", FIRST, f"{FIRST}.ipynb", "timeout", "cell 7: a cell ran past the time limit"))
    write_outputs(out, results, None)
    report(out)
    class_summary(out)
    return out


def _page(out: Path, name: str = "report.html") -> BeautifulSoup:
    return BeautifulSoup((out / name).read_text(), "html.parser")


def _expected_causes() -> dict[tuple[str, str], int]:
    """The students per (function, cause), from how _unit builds the class (not from results.json)."""
    ks = range(42)
    return {("conv_forward", "conv_forward.missing_bias"): sum(k % 3 == 0 or k in (0, 1) for k in ks),
            ("zero_pad", "zero_pad.all_axes"): sum(k % 5 == 1 for k in ks),
            ("sharing_sets_zeros", "concept.sharing_sets_zeros.sharing_is_sparsity"): sum(k % 4 == 0 for k in ks)}


def test_report_counts_equal_counts_of_the_class(out):
    shown = {(row["data-function"], row["data-cause"]): int(row["data-students"])
             for row in _page(out).select("table.cause-counts tr[data-cause]")}
    assert shown == _expected_causes()
    assert shown[("conv_forward", "conv_forward.missing_bias")] == 15  # k = 0, 3, ..., 39 (s01 among them), and s02
    ks = range(42)
    expected = {"sharing_sets_zeros": {"True": sum(k % 4 == 0 for k in ks), "False": sum(k % 4 != 0 for k in ks)},
                "what_makes_weights_sparse": {a: sum("abcd"[k % 4] == a for k in ks) for a in "abcd"}}
    answered = {}
    for row in _page(out).select("#answers tr[data-question]"):
        answered[row["data-question"]] = {span["data-answer"]: int(span["data-count"])
                                          for span in row.select("span[data-answer]")}
    assert answered == expected


def test_report_identical_to_the_pinned_grading(out, identical_to_pin):
    """report.html, class_summary.html and the CSVs of the synthetic class (charts, counts, the integrity
    ranking), normalised, byte for byte as the pinned commit wrote them (tests/identical/report_class.json)."""
    identical_to_pin(out, "report_class", out)


def test_the_median_of_an_even_number_of_students(tmp_path):
    """Four students scoring 1, 2, 3 and 10: median 2.5 (the mean of the two middle scores), mean 4.0."""
    results = [UnitResult(f"s{k}", FIRST, score, 15.0, "m", graded=True) for k, score in enumerate([3, 10, 1, 2])]
    write_outputs(tmp_path, results, None)
    line = next(l for l in report(tmp_path).splitlines() if l.startswith(FIRST))
    assert line.split()[1:3] == ["4.0", "2.5"], line


def test_the_seed_line_leads_the_report(out):
    page = _page(out)
    first = page.find("p")
    assert first["id"] == "seed"
    # Q1 True for k = 0, 4, ..., 40 (11 of 42); Q7 a or b for k % 4 in (0, 1) (22 of 42)
    assert "26%" in first.text and "11 of 42" in first.text and "22 of 42" in first.text
    assert page.select_one("#top-causes") is not None  # the most common causes, with who, come next


def test_identical_work_is_weighed_by_how_unusual_it_is(out):
    similar = json.loads((out / "similarity.json").read_text())
    assert [m["students"] for m in similar["listed"]] == [["s01", "s02"]]
    evidence = " ".join(similar["listed"][0]["evidence"])
    assert "same wrong result" in evidence and "same comments" in evidence and "strd_zz" in evidence
    assert "zero_pad" not in evidence  # written alike by the whole class: no evidence
    assert similar["counted"] == 42 * 41 // 2 - 1  # every other pair shares the common zero_pad: counted
    rows = [r for r in (out / "integrity.csv").read_text().splitlines() if "identical_submission" in r]
    assert len(rows) == 2 and all(r.startswith(("s01,", "s02,")) for r in rows)
    assert "timeout" in _page(out).select_one("#faults").find_next("p").text


def test_class_summary_names_no_student_and_no_answer(out):
    text = (out / "class_summary.html").read_text()
    assert "every axis is padded" in text and "the bias is not added" in text
    assert not any(f"s{k:02d}" in text for k in range(1, 43))
    assert "concept." not in text and "sharing is sparsity" not in text
    assert not any(answer[:40] in text for answer in ANSWERS.values())


@pytest.mark.slow
def test_report_renders_in_chromium_with_every_plot_visible(out, tmp_path):
    from playwright.sync_api import sync_playwright
    from tests.browser.lab import CHROMIUM, launch_chromium
    from tests.browser.readme_images import SHOTS, crop_and_shrink
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium")
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "profile")
        page = context.new_page()
        page.goto((out / "report.html").as_uri())
        images = page.locator("img")
        assert images.count() >= 4
        for i in range(images.count()):
            box = images.nth(i).bounding_box()
            loaded = images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
            assert loaded and box and box["width"] > 100 and box["height"] > 50, f"plot {i} is not visible"
        assert page.locator("#seed").is_visible()
        _assert_accessible(context, out, tmp_path)
        shot = SHOTS / "report.png"  # the README's picture: tests.browser.readme_images makes it from this
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))  # the first screen: what an instructor sees on opening it
        context.close()
    assert crop_and_shrink(shot, tmp_path / "report.png") < 200_000


def _assert_accessible(context, out: Path, tmp_path: Path) -> None:
    """axe-core (WCAG 2.1 A/AA) finds nothing on report.html and class_summary.html, and finds what is
    planted in a copy of the report: a chart without alt text and a low-contrast label."""
    from tests.browser.axe import violations
    page = context.new_page()
    for name in ("report.html", "class_summary.html"):
        page.goto((out / name).as_uri())
        found = violations(page)
        assert not found, f"{name}, axe-core:\n" + "\n".join(found)
    planted = tmp_path / "planted.html"
    text = (out / "report.html").read_text()
    text = text.replace('<img alt="', '<img data-alt="', 1).replace(
        "<main>", "<main><p style='color:#bbbbbb;background:#ffffff'>a faint label, 1.9:1</p>", 1)
    planted.write_text(text)
    page.goto(planted.as_uri())
    found = "\n".join(violations(page))
    assert "image-alt" in found and "color-contrast" in found and "1.9" in found, found
    page.close()

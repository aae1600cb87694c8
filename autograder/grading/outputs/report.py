"""`python -m autograder report --out OUT [--for-students]`: what a graded class got wrong, and why.

OUT/report.html, for the instructor, leads with the class's misconceptions: the share still holding the
module's two target misconceptions (parameter sharing = zero weights, zero gradient = zero weight) in one line, the most common
causes with the students who showed each, every graded function's causes (bar charts and counts) and
the concept questions' answers. Then scores per assignment, per-test failure rates, time-outs and
grading failures, and integrity findings ranked by how unusual the shared work is in this class.
Scores, causes and answers are counted from OUT/results.json, time-outs and integrity findings from
OUT/integrity.csv, identical work from OUT/similarity.json, each read back as the record that wrote it.

With --for-students, OUT/class_summary.html: the most common mistakes and what they mean, for the
class; no student ids, no answers (concept questions appear by topic and share missed only).
"""
from __future__ import annotations

import base64
import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

from ...authoring.cells import grade_id, is_test_cell  # noqa: E402
from ...pages import render  # noqa: E402
from ..pipeline.explanations import ANSWERS  # noqa: E402
from ..pipeline.misconceptions import SEED, WRONG, every_cause  # noqa: E402
from ...paths import NOTEBOOKS  # noqa: E402
from ...authoring.testcells import test_title  # noqa: E402
from ..records import FIELDS, Finding, UnitResult  # noqa: E402
from .similarity import Similarity  # noqa: E402

# causes that say a function was not attempted or not reached: counted apart from misconceptions
NOT_ATTEMPTED = {"generic.not_written", "generic.not_checked"}
# what the sandbox and the grader saw, as integrity.csv names it
FAULTS = ("timeout", "kernel_died", "memory_limit", "disk_limit", "process_limit", "output_truncated",
          "grading_error", "invalid_notebook", "missing_notebook", "renamed_notebook")


@dataclass
class CauseCount:
    """How many students showed one cause in one graded function, and who."""
    function: str
    cause_id: str
    description: str
    students: list[str]
    specific: bool = True  # names why, not only where (cnn_student.spec.Cause)


def _png(fig, alt: str) -> dict[str, str]:
    """The chart as the data of an <img> whose alt states its numbers (what a sighted instructor reads off it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return {"alt": alt, "src": f"data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"}


def load(out: Path) -> tuple[list[UnitResult], list[Finding]]:
    """The class's results (OUT/results.json) and integrity findings (OUT/integrity.csv), as the records
    that wrote them."""
    results = [UnitResult.from_dict(r) for r in json.loads((out / "results.json").read_text())]
    with open(out / "integrity.csv", newline="") as fh:
        findings = [Finding(**row) for row in csv.DictReader(fh)]
    return results, findings


def test_titles(notebooks: Path = NOTEBOOKS) -> dict[str, str]:
    """"<notebook>:<grade_id>" -> the first line of the test cell's docstring (what it checks)."""
    titles = {}
    for path in sorted(notebooks.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if is_test_cell(cell):
                titles[f"{path.stem}:{grade_id(cell)}"] = test_title(cell.source)
    return titles


def cause_counts(results: list[UnitResult]) -> list[CauseCount]:
    """Per (function, cause): the students whose graded tests showed it, most students first."""
    known = every_cause()
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in results:
        for test in r.tests.values():
            for cid in test.causes:
                who[(test.function, cid)].add(r.student_id)
    counts = [CauseCount(fn, cid, known[cid].description if cid in known else cid, sorted(s),
                         known[cid].specific if cid in known else False) for (fn, cid), s in who.items()]
    return sorted(counts, key=lambda c: (-len(c.students), c.function, c.cause_id))


def answers(results: list[UnitResult]) -> dict[str, Counter]:
    """Concept question -> Counter of the answers recorded (one per student)."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for r in results:
        for test in r.tests.values():
            for question, answer in test.answers.items():
                found[question][r.student_id] = answer
    return {q: Counter(by.values()) for q, by in sorted(found.items())}


@dataclass(frozen=True)
class SeedFigure:
    """One of the module's two target misconceptions: how many of those who answered its question hold it."""
    label: str
    question: str
    held: int
    answered: int

    def text(self) -> str:
        if not self.answered:
            return f"nobody answered {self.question} yet"
        return f"{self.held / self.answered:.0%} hold {self.label} ({self.held} of {self.answered} who answered {self.question})"


def seed_figures(results: list[UnitResult]) -> list[SeedFigure]:
    """The report's first line, as numbers: each target misconception's share of those who answered."""
    given = answers(results)
    figures = []
    for seed in SEED:
        answered = given.get(seed.question, Counter())
        figures.append(SeedFigure(seed.label, seed.question, sum(answered[a] for a in seed.answers),
                                  sum(answered.values())))
    return figures


def failure_rates(results: list[UnitResult]) -> dict[str, dict[str, float]]:
    """assignment -> test -> fraction of submitted notebooks that lost that test's points."""
    lost: dict[str, Counter] = defaultdict(Counter)
    seen: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if not r.graded:
            continue
        for test, s in r.tests.items():
            seen[r.assignment][test] += 1
            lost[r.assignment][test] += s.score < s.max_score
    return {a: {t: lost[a][t] / n for t, n in sorted(tests.items())} for a, tests in sorted(seen.items())}


def _assignment_of(results: list[UnitResult]) -> dict[str, str]:
    """graded function -> its assignment (the first whose tests name it)."""
    found = {}
    for r in sorted(results, key=lambda r: r.assignment):
        for test in r.tests.values():
            if test.function:
                found.setdefault(test.function, r.assignment)
    return found


def _cause_chart(rows: list[CauseCount], title: str):
    rows = rows[:18]
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(rows) + 0.9))
    labels = [f"{c.function}: {c.cause_id.split('.', 1)[-1] if c.cause_id.startswith(c.function) else c.cause_id}"
              for c in rows][::-1]
    ax.barh(labels, [len(c.students) for c in rows][::-1], color="#D55E00")
    for y, c in enumerate(rows[::-1]):
        ax.text(len(c.students), y, f" {len(c.students)}", va="center", fontsize=8)
    ax.set_xlabel("students")
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def _misconceptions(counts: list[CauseCount]) -> dict:
    """The causes that say why (most students first) and those that only say where."""
    return {"wrong": [c for c in counts if c.cause_id not in NOT_ATTEMPTED and c.specific][:12],
            # where, not why: often a helper's mistake seen again (pool_backward uses the mask)
            "vague": [c for c in counts if c.cause_id not in NOT_ATTEMPTED and not c.specific][:8]}


def _per_function(results: list[UnitResult], counts: list[CauseCount]) -> list[dict]:
    """Per assignment: its chart of students per cause, and every cause of its functions."""
    where = _assignment_of(results)
    by_assignment: dict[str, list[CauseCount]] = defaultdict(list)
    for c in counts:
        by_assignment[where.get(c.function, "")].append(c)
    sections = []
    for assignment, rows in sorted(by_assignment.items()):
        shown = [c for c in rows if c.cause_id not in NOT_ATTEMPTED]
        idle = [c for c in rows if c.cause_id in NOT_ATTEMPTED]
        chart = None
        if shown:
            chart = _png(_cause_chart(shown, f"{assignment}: students per cause"),
                         f"Bar chart, {assignment}: students per cause: " + "; ".join(
                             f"{c.function} {c.cause_id}: {len(c.students)}" for c in shown[:18]) + ".")
        sections.append({"assignment": assignment, "chart": chart,
                         "rows": sorted(shown + idle, key=lambda c: (c.function, -len(c.students), c.cause_id))})
    return sections


def _concepts(results: list[UnitResult]) -> dict | None:
    given = answers(results)
    if not given:
        return None
    said = []
    fig, axes = plt.subplots(1, len(given), figsize=(2.1 * len(given), 2.6), squeeze=False)
    for ax, (question, counter) in zip(axes[0], given.items()):
        key = ANSWERS.get(question, "").split(".")[0].split(" ")[0].strip().lower()
        marked = {a for answers_, _ in WRONG.get(question, []) for a in answers_}
        labels = sorted(counter, key=lambda a: -counter[a])
        kinds = ["key" if a.lower() == key else "misc." if a in marked else "" for a in labels]
        bars = ax.bar(labels, [counter[a] for a in labels], edgecolor="black", lw=0.5,
                      color=[{"key": "#0072B2", "misc.": "#E69F00"}.get(k, "#bbbbbb") for k in kinds])
        for bar, kind in zip(bars, kinds):  # the kind is written on the bar and patterned, never colour only
            bar.set_hatch("//" if kind == "misc." else "")
            if kind:
                ax.annotate(kind, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                            fontsize=7)
        said.append(f"{question}: " + ", ".join(f"{a} {counter[a]}" + (f" ({k})" if k else "")
                                                for a, k in zip(labels, kinds)))
        ax.set_title(question, fontsize=8)
        ax.tick_params(axis="x", labelsize=8, rotation=30)
    axes[0][0].set_ylabel("students")
    chart = _png(fig, "Bar charts of the students per answer to each concept question: " + "; ".join(said) + ".")
    return {"chart": chart, "answers": {q: c.most_common() for q, c in given.items()}}


def _scores(results: list[UnitResult], lines: list[str]) -> dict[str, str]:
    assignments = sorted({r.assignment for r in results})
    fig, axes = plt.subplots(1, len(assignments), figsize=(2.3 * len(assignments), 2.3), squeeze=False)
    said = []
    lines.append(f"{'assignment':28s} {'mean':>6s} {'median':>6s} {'max':>5s} {'graded':>7s}")
    for ax, a in zip(axes[0], assignments):
        rows = [r for r in results if r.assignment == a]
        scores = sorted(r.raw_score for r in rows)
        top = rows[0].max_score if rows else 0
        ax.hist(scores, bins=min(10, max(1, int(top) or 1)), range=(0, top or 1), color="#0072B2")
        ax.set_title(a, fontsize=8)
        ax.set_xlabel("score", fontsize=8)
        mean = sum(scores) / len(scores) if scores else 0
        said.append(f"{a}: {len(scores)} students, mean {mean:.1f}, median "
                    f"{median(scores) if scores else 0:.1f}, lowest {min(scores, default=0):g}, highest "
                    f"{max(scores, default=0):g} of {top:g}")
        lines.append(f"{a:28s} {mean:6.1f} {median(scores) if scores else 0:6.1f} {top:5g} "
                     f"{sum(r.graded for r in rows):3d}/{len(rows):<3d}")
    axes[0][0].set_ylabel("students")
    return _png(fig, "Histograms of the scores per assignment: " + "; ".join(said) + ".")


def _failure_rates(results: list[UnitResult], titles: dict[str, str], lines: list[str]) -> dict | None:
    rates = failure_rates(results)
    tests = [(a, t, v) for a, ts in rates.items() for t, v in ts.items()]
    if not tests:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 0.22 * len(tests) + 1))
    ax.barh([t for _, t, _ in tests][::-1], [v for *_, v in tests][::-1], color="#E69F00")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of graded submissions that lost this test's points")
    ax.tick_params(axis="y", labelsize=7)
    hardest = sorted(tests, key=lambda x: -x[2])[:8]
    lines.append("\nhardest tests: " + ", ".join(f"{t.split(':')[-1]} ({v:.0%})" for _, t, v in hardest[:5]))
    alt = ("Bar chart of the share of graded submissions that lost each test's points: "
           + "; ".join(f"{t} {v:.0%}" for _, t, v in tests) + ".")
    return {"chart": _png(fig, alt), "hardest": [(t, titles.get(t, ""), v) for _, t, v in hardest]}


def _faults(findings: list[Finding]) -> dict:
    rows = [f for f in findings if f.rule in FAULTS]
    return {"count": Counter(f.rule for f in rows).most_common(),
            "rows": [r for r in rows if r.rule != "missing_notebook"],
            # expected by the hundred (an optional notebook): listed folded
            "missing": [r for r in rows if r.rule == "missing_notebook"]}


def _integrity(out: Path, findings: list[Finding]) -> dict:
    path = out / "similarity.json"
    other = [f for f in findings if f.rule not in FAULTS and f.rule != "identical_submission"]
    return {"similar": Similarity.read(path) if path.exists() else Similarity([], 0, 0),
            "by_rule": Counter(f.rule for f in other).most_common(),
            "other": sorted(other, key=lambda f: (f.rule, f.student_id))}


def report(out: Path) -> str:
    """Write OUT/report.html; return the short table printed by `report`."""
    results, findings = load(out)
    students = sorted({r.student_id for r in results})
    counts = cause_counts(results)
    seeds = seed_figures(results)
    lines: list[str] = []
    page = render("report/report.html.j2", seeds=seeds, n_students=len(students),
                  n_assignments=len({r.assignment for r in results}), misconceptions=_misconceptions(counts),
                  concepts=_concepts(results), per_function=_per_function(results, counts),
                  scores=_scores(results, lines), rates=_failure_rates(results, test_titles(), lines),
                  faults=_faults(findings), integrity=_integrity(out, findings), finding_fields=FIELDS)
    (out / "report.html").write_text(page)
    top = [c for c in counts if c.cause_id not in NOT_ATTEMPTED][:5]
    lines.insert(0, "The module's two target misconceptions: " + "; ".join(s.text() for s in seeds) + ".")
    lines.append("most common causes: " + ", ".join(f"{c.function}: {c.cause_id} ({len(c.students)})" for c in top))
    lines.append(f"wrote {out / 'report.html'}")
    return "\n".join(lines)


def class_summary(out: Path, top: int = 3) -> str:
    """Write OUT/class_summary.html, for the class: the most common mistakes per function and what they
    mean, as shares of the class; no student ids, no answers."""
    results, _ = load(out)
    n = len({r.student_id for r in results}) or 1
    counts = [c for c in cause_counts(results) if c.specific and c.cause_id not in NOT_ATTEMPTED
              and not c.cause_id.startswith("concept.")]  # what a concept answer shows states the answer
    by_function: dict[str, list[CauseCount]] = defaultdict(list)
    for c in counts:
        by_function[c.function].append(c)
    where = _assignment_of(results)
    submitted = Counter(r.assignment for r in results if r.graded)
    functions = [{"name": fn, "assignment": where.get(fn, ""),
                  "mistakes": [(len(c.students) / max(1, submitted[where.get(fn, "")]), c.description)
                               for c in by_function[fn][:top]]}
                 for fn in sorted(by_function, key=lambda f: (where.get(f, ""), f))]
    titles = test_titles()
    concepts = [(titles.get(test, test), lost / seen) for test, (lost, seen) in _concept_misses(results).items()]
    (out / "class_summary.html").write_text(render("report/class_summary.html.j2", n=n, functions=functions,
                                                   concepts=concepts))
    return f"wrote {out / 'class_summary.html'}"


def _concept_misses(results: list[UnitResult]) -> dict[str, tuple[int, int]]:
    """concept test -> (students who lost its points, students who answered)."""
    found: dict[str, list[int]] = {}
    for r in results:
        for test, s in sorted(r.tests.items()):
            if s.answers:
                lost, seen = found.setdefault(test, [0, 0])
                found[test] = [lost + (s.score < s.max_score), seen + 1]
    return {t: (v[0], v[1]) for t, v in found.items()}

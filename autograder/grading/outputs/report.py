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
import html
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

from ...authoring.cells import grade_id, is_test_cell  # noqa: E402
from ..pipeline.misconceptions import SEED, WRONG, every_cause  # noqa: E402
from ...paths import NOTEBOOKS  # noqa: E402
from ...authoring.testcells import test_title  # noqa: E402
from ..records import UnitResult  # noqa: E402
from .integrity import FIELDS, Finding  # noqa: E402
from .similarity import Similarity  # noqa: E402

# causes that say a function was not attempted or not reached: counted apart from misconceptions
NOT_ATTEMPTED = {"generic.not_written", "generic.not_checked"}
# what the sandbox and the grader saw, as integrity.csv names it
FAULTS = ("timeout", "kernel_died", "memory_limit", "disk_limit", "process_limit", "output_truncated",
          "grading_error", "invalid_notebook", "missing_notebook", "renamed_notebook")
STYLE = """body{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222}
img{max-width:100%;display:block;margin:.5em 0}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;font-size:14px}
.seed{font-size:1.15em;background:#fff4e0;border-left:5px solid #e08a00;padding:.6em 1em}
.muted{color:#666}code{background:#f4f4f4;padding:0 3px}details{margin:.2em 0}h2{margin-top:1.6em}"""


@dataclass
class CauseCount:
    """How many students showed one cause in one graded function, and who."""
    function: str
    cause_id: str
    description: str
    students: list[str]
    specific: bool = True  # names why, not only where (cnn_student.spec.Cause)


def _png(fig, alt: str) -> str:
    """The chart as an <img> whose alt states its numbers (what a sighted instructor reads off it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return (f'<img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">')


def _th(*names: str) -> str:
    """A table's header row, each header scoped to its column."""
    return "<tr>" + "".join(f"<th scope='col'>{n}</th>" for n in names) + "</tr>"


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


def seed_line(results: list[UnitResult]) -> tuple[str, list[tuple[str, int, int]]]:
    """The one line at the top, and (label, students holding it, students who answered) per half."""
    given = answers(results)
    parts, figures = [], []
    for seed in SEED:
        answered = given.get(seed.question, Counter())
        n = sum(answered.values())
        held = sum(answered[a] for a in seed.answers)
        figures.append((seed.label, held, n))
        parts.append(f"<b>{held / n:.0%}</b> hold <i>{html.escape(seed.label)}</i> ({held} of {n} who answered "
                     f"<code>{seed.question}</code>)" if n else f"nobody answered <code>{seed.question}</code> yet")
    return "The module's two target misconceptions: " + "; ".join(parts) + ".", figures


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


def _students_cell(students: list[str], shown: int = 12) -> str:
    names = ", ".join(html.escape(s) for s in students)
    if len(students) <= shown:
        return names
    return f"<details><summary>{', '.join(html.escape(s) for s in students[:shown])}, ...</summary>{names}</details>"


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


def _misconceptions(results: list[UnitResult], counts: list[CauseCount], n_students: int) -> list[str]:
    parts = ["<h2 id='misconceptions'>What the class got wrong, and who needs which help</h2>"]
    wrong = [c for c in counts if c.cause_id not in NOT_ATTEMPTED and c.specific]
    vague = [c for c in counts if c.cause_id not in NOT_ATTEMPTED and not c.specific]
    if not wrong + vague:
        return parts + ["<p>No graded check diagnosed a mistake.</p>"]
    parts.append(f"<p class='muted'>Each row: a cause the checks diagnosed in a graded function, the number of "
                 f"students (of {n_students}) whose tests showed it, and who they are. Full list in causes.csv.</p>")
    parts.append("<table id='top-causes'><caption>Causes diagnosed in graded functions, most students first</caption>"
                 + _th("function", "cause", "students", "who"))
    for c in wrong[:12]:
        parts.append(f"<tr><td><code>{html.escape(c.function)}</code></td><td>{html.escape(c.description)} "
                     f"<span class='muted'>({html.escape(c.cause_id)})</span></td><td>{len(c.students)}</td>"
                     f"<td>{_students_cell(c.students)}</td></tr>")
    parts.append("</table>")
    if vague:  # where, not why: often a helper's mistake seen again (pool_backward uses the mask)
        parts.append("<p class='muted'>Wrong results no specific check explains (the feedback names where): "
                     + ", ".join(f"<code>{html.escape(c.function)}</code> {len(c.students)} "
                                 f"({html.escape(c.cause_id)})" for c in vague[:8]) + ".</p>")
    return parts


def _per_function(results: list[UnitResult], counts: list[CauseCount]) -> list[str]:
    parts = ["<h2 id='causes'>Causes per graded function</h2>"]
    where = _assignment_of(results)
    by_assignment: dict[str, list[CauseCount]] = defaultdict(list)
    for c in counts:
        by_assignment[where.get(c.function, "")].append(c)
    for assignment, rows in sorted(by_assignment.items()):
        shown = [c for c in rows if c.cause_id not in NOT_ATTEMPTED]
        idle = [c for c in rows if c.cause_id in NOT_ATTEMPTED]
        parts.append(f"<h3>{html.escape(assignment)}</h3>")
        if shown:
            parts.append(_png(_cause_chart(shown, f"{assignment}: students per cause"),
                              f"Bar chart, {assignment}: students per cause: " + "; ".join(
                                  f"{c.function} {c.cause_id}: {len(c.students)}" for c in shown[:18]) + "."))
        parts.append(f"<table class='cause-counts'><caption>{html.escape(assignment)}: causes per function</caption>"
                     + _th("function", "cause id", "what it means", "students", "who"))
        for c in sorted(shown + idle, key=lambda c: (c.function, -len(c.students), c.cause_id)):
            parts.append(f"<tr data-function='{html.escape(c.function)}' data-cause='{html.escape(c.cause_id)}' "
                         f"data-students='{len(c.students)}'><td><code>{html.escape(c.function)}</code></td>"
                         f"<td>{html.escape(c.cause_id)}</td><td>{html.escape(c.description)}</td>"
                         f"<td>{len(c.students)}</td><td>{_students_cell(c.students)}</td></tr>")
        parts.append("</table>")
    return parts


def _concepts(results: list[UnitResult]) -> list[str]:
    given = answers(results)
    if not given:
        return []
    from ..pipeline.explanations import ANSWERS
    parts = ["<h2 id='concepts'>Concept questions: what the class answered</h2>",
             "<p class='muted'>Blue bars, labelled <b>key</b>: the key. Orange hatched bars, labelled <b>misc.</b>: an "
             "answer that shows a misconception named by autograder/grading/pipeline/misconceptions.py. Grey: other answers.</p>"]
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
    parts.append(_png(fig, "Bar charts of the students per answer to each concept question: " + "; ".join(said) + "."))
    parts.append("<table id='answers'><caption>Concept questions: answers given, with the number of students</caption>"
                 + _th("question", "answers (students)"))
    for question, counter in given.items():
        cells = ", ".join(f"<span data-answer='{html.escape(a)}' data-count='{n}'>{html.escape(a)}: {n}</span>"
                          for a, n in counter.most_common())
        parts.append(f"<tr data-question='{html.escape(question)}'><td><code>{question}</code></td><td>{cells}</td></tr>")
    parts.append("</table>")
    return parts


def _scores(results: list[UnitResult], lines: list[str]) -> list[str]:
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
    return ["<h2 id='scores'>Scores per assignment</h2>",
            _png(fig, "Histograms of the scores per assignment: " + "; ".join(said) + ".")]


def _failure_rates(results: list[UnitResult], titles: dict[str, str], lines: list[str]) -> list[str]:
    rates = failure_rates(results)
    tests = [(a, t, v) for a, ts in rates.items() for t, v in ts.items()]
    if not tests:
        return []
    fig, ax = plt.subplots(figsize=(8.5, 0.22 * len(tests) + 1))
    ax.barh([t for _, t, _ in tests][::-1], [v for *_, v in tests][::-1], color="#E69F00")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of graded submissions that lost this test's points")
    ax.tick_params(axis="y", labelsize=7)
    hardest = sorted(tests, key=lambda x: -x[2])[:8]
    lines.append("\nhardest tests: " + ", ".join(f"{t.split(':')[-1]} ({v:.0%})" for _, t, v in hardest[:5]))
    rows = "".join(f"<tr><td><code>{html.escape(t)}</code></td><td>{html.escape(titles.get(t, ''))}</td>"
                   f"<td>{v:.0%}</td></tr>" for _, t, v in hardest)
    alt = ("Bar chart of the share of graded submissions that lost each test's points: "
           + "; ".join(f"{t} {v:.0%}" for _, t, v in tests) + ".")
    return ["<h2 id='tests'>Where the class struggles: failure rate per test</h2>", _png(fig, alt),
            "<table><caption>The hardest tests</caption>" + _th("hardest tests", "what it checks", "lost by") + rows
            + "</table>"]


def _faults(findings: list[Finding]) -> list[str]:
    rows = [f for f in findings if f.rule in FAULTS]
    parts = ["<h2 id='faults'>Time-outs and grading failures</h2>"]
    if not rows:
        return parts + ["<p>None.</p>"]
    count = Counter(f.rule for f in rows)
    parts.append("<p>" + ", ".join(f"{rule}: {n}" for rule, n in count.most_common()) + "</p>")
    parts.append(_table(r for r in rows if r.rule != "missing_notebook"))
    missing = [r for r in rows if r.rule == "missing_notebook"]
    if missing:  # expected by the hundred (an optional notebook): listed folded
        parts.append(f"<details><summary>{len(missing)} notebooks not submitted</summary>{_table(missing)}</details>")
    return parts


def _table(rows: Iterable[Finding]) -> str:
    keys = FIELDS
    body = "".join("<tr>" + "".join(f"<td>{html.escape(getattr(f, k))}</td>" for k in keys) + "</tr>" for f in rows)
    return "<table><caption>Findings</caption>" + _th(*keys) + body + "</table>"


def _integrity(out: Path, findings: list[Finding]) -> list[str]:
    parts = ["<h2 id='integrity'>Integrity findings, ranked for review</h2>"]
    path = out / "similarity.json"
    similar = Similarity.read(path) if path.exists() else Similarity([], 0, 0)
    parts.append(f"<p>Identical work, weighed by how unusual it is in this class: {len(similar.listed)} "
                 f"listed; {similar.counted} pairs of students share only common code (expected: "
                 f"short or reference-like functions many wrote alike) and are counted, not listed.</p>")
    if similar.listed:
        parts.append("<table id='similar'><caption>Identical work, most unusual first</caption>"
                     + _th("bits", "students", "notebook", "evidence"))
        for m in similar.listed[:15]:
            parts.append(f"<tr><td>{m.bits:.0f}</td><td>{html.escape(', '.join(m.students))}</td>"
                         f"<td>{html.escape(m.assignment)}</td><td>{html.escape('; '.join(m.evidence))}</td></tr>")
        parts.append("</table>")
    other = [f for f in findings if f.rule not in FAULTS and f.rule != "identical_submission"]
    by_rule = Counter(f.rule for f in other)
    if by_rule:
        parts.append("<p>What the code did that these exercises never need, and edited or deleted tests: "
                     + ", ".join(f"{r}: {n}" for r, n in by_rule.most_common()) + ".</p>")
        parts.append(_table(sorted(other, key=lambda f: (f.rule, f.student_id))))
    return parts


def report(out: Path) -> str:
    """Write OUT/report.html; return the short table printed by `report`."""
    results, findings = load(out)
    students = sorted({r.student_id for r in results})
    counts = cause_counts(results)
    line, _ = seed_line(results)
    lines: list[str] = []
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Grading report</title>",
             f"<style>{STYLE}</style></head><body><header><h1>Grading report</h1>",
             f"<p class='seed' id='seed'>{line}</p>",
             f"<nav aria-label='Sections'><p>{len(students)} students, {len({r.assignment for r in results})} "
             "assignments. <a href='#misconceptions'>Misconceptions</a> · <a href='#concepts'>concept answers</a> · "
             "<a href='#causes'>causes per function</a> · <a href='#scores'>scores</a> · "
             "<a href='#tests'>tests</a> · <a href='#faults'>time-outs and failures</a> · "
             "<a href='#integrity'>integrity</a></p></nav></header><main>"]
    parts += _misconceptions(results, counts, len(students))
    parts += _concepts(results)
    parts += _per_function(results, counts)
    parts += _scores(results, lines)
    parts += _failure_rates(results, test_titles(), lines)
    parts += _faults(findings)
    parts += _integrity(out, findings)
    parts.append("</main></body></html>")
    (out / "report.html").write_text("\n".join(parts))
    top = [c for c in counts if c.cause_id not in NOT_ATTEMPTED][:5]
    lines.insert(0, html.unescape(line.replace("<b>", "").replace("</b>", "").replace("<i>", "").replace("</i>", "")
                                  .replace("<code>", "").replace("</code>", "")))
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
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>What the class got wrong</title>",
             f"<style>{STYLE}</style></head><body><header><h1>What the class got wrong, and what it means</h1>"
             "</header><main>",
             f"<p>The most common mistakes the grader found in the {n} submissions, by function. Each names what "
             "was wrong, not how to write it: compare it with your own feedback page.</p>"]
    for fn in sorted(by_function, key=lambda f: (where.get(f, ""), f)):
        parts.append(f"<h2><code>{html.escape(fn)}</code> <span class='muted'>({html.escape(where.get(fn, ''))})"
                     "</span></h2><ul>")
        for c in by_function[fn][:top]:
            share = len(c.students) / max(1, submitted[where.get(fn, "")])
            parts.append(f"<li>{share:.0%} of those who submitted it: {html.escape(c.description)}</li>")
        parts.append("</ul>")
    titles = test_titles()
    missed = _concept_misses(results)
    if missed:
        parts.append("<h2>Concept questions</h2><ul>")
        for test, (lost, seen) in missed.items():
            parts.append(f"<li>{html.escape(titles.get(test, test))}: {lost / seen:.0%} of those who answered missed it"
                         "</li>")
        parts.append("</ul>")
    parts.append("</main></body></html>")
    (out / "class_summary.html").write_text("\n".join(parts))
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


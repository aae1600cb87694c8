"""`python -m autograder report --out OUT`: one HTML page for the instructor (grade distribution per
assignment, failure rate of every test, integrity findings), and a short table printed."""
from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def load(out: Path) -> tuple[list[dict], list[dict]]:
    results = json.loads((out / "results.json").read_text())
    with open(out / "integrity.csv", newline="") as fh:
        findings = list(csv.DictReader(fh))
    return results, findings


def failure_rates(results: list[dict]) -> dict[str, dict[str, float]]:
    """assignment -> test -> fraction of submitted notebooks that lost that test's points."""
    lost: dict[str, Counter] = defaultdict(Counter)
    seen: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        if not r.get("graded"):
            continue
        for test, s in r["tests"].items():
            seen[r["assignment"]][test] += 1
            lost[r["assignment"]][test] += s["score"] < s["max_score"]
    return {a: {t: lost[a][t] / n for t, n in sorted(tests.items())} for a, tests in sorted(seen.items())}


def report(out: Path) -> str:
    results, findings = load(out)
    assignments = sorted({r["assignment"] for r in results})
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grading report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
             "img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
             "</style></head><body><h1>Grading report</h1>",
             f"<p>{len({r['student_id'] for r in results})} students, {len(assignments)} assignments, "
             f"{len(findings)} integrity findings.</p>"]
    # grade distribution
    fig, axes = plt.subplots(1, len(assignments), figsize=(3.2 * len(assignments), 2.6), squeeze=False)
    lines = [f"{'assignment':28s} {'mean':>6s} {'median':>6s} {'max':>5s} {'graded':>7s}"]
    for ax, a in zip(axes[0], assignments):
        rows = [r for r in results if r["assignment"] == a]
        scores = sorted(r["score"] for r in rows)
        top = rows[0]["max_score"] if rows else 0
        ax.hist(scores, bins=min(10, max(1, int(top) or 1)), range=(0, top or 1), color="#4c72b0")
        ax.set_title(a, fontsize=9)
        ax.set_xlabel("score")
        mean = sum(scores) / len(scores) if scores else 0
        lines.append(f"{a:28s} {mean:6.1f} {scores[len(scores) // 2] if scores else 0:6.1f} {top:5g} "
                     f"{sum(r.get('graded', False) for r in rows):3d}/{len(rows):<3d}")
    axes[0][0].set_ylabel("students")
    parts += ["<h2>Grade distribution</h2>", _png(fig)]
    # failure rate per test
    rates = failure_rates(results)
    tests = [(a, t, v) for a, ts in rates.items() for t, v in ts.items()]
    if tests:
        fig, ax = plt.subplots(figsize=(8, 0.28 * len(tests) + 1))
        ax.barh([t for _, t, _ in tests][::-1], [v for *_, v in tests][::-1], color="#dd8452")
        ax.set_xlim(0, 1)
        ax.set_xlabel("fraction of graded submissions that lost this test's points")
        ax.tick_params(axis="y", labelsize=7)
        parts += ["<h2>Where the class struggles</h2>", _png(fig)]
        hardest = sorted(tests, key=lambda x: -x[2])[:5]
        lines.append("\nhardest tests: " + ", ".join(f"{t.split(':')[-1]} ({v:.0%})" for _, t, v in hardest))
    # integrity
    by_rule = Counter(f["rule"] for f in findings)
    if by_rule:
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(by_rule) + 1))
        rules = sorted(by_rule)
        ax.barh(rules, [by_rule[r] for r in rules], color="#c44e52")
        ax.set_xlabel("findings")
        parts += ["<h2>Integrity findings</h2>", _png(fig)]
    parts.append("<table><tr><th>student</th><th>assignment</th><th>notebook</th><th>rule</th><th>detail</th></tr>")
    for f in findings:
        parts.append("<tr>" + "".join(f"<td>{html.escape(f[k])}</td>" for k in
                                      ("student_id", "assignment", "notebook", "rule", "detail")) + "</tr>")
    parts.append("</table></body></html>")
    (out / "report.html").write_text("\n".join(parts))
    lines.append("\nintegrity findings: " + (", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) or "none"))
    lines.append(f"wrote {out / 'report.html'}")
    return "\n".join(lines)

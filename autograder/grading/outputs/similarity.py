"""Identical work across a class, weighed by how unusual it is in that class.

The same correct three-line zero_pad written by forty students is expected; the same unusual wrong
answer, the same comments or odd names, or whole notebooks identical cell for cell, are a reason to
look. Each pair of students gets a score in bits: for every solution cell they share, log2 of the class
size over the number of students who wrote that exact code (doubled when the code is wrong, scaled down
for a few lines beyond the released stub's, nothing for a one-line answer to a concept question), plus
the same for shared comments and for names that few students use, and twice the rarity of a whole
notebook identical cell for cell. Pairs at or above LISTED bits are listed for review (integrity.csv, the report) with the evidence; the
others are counted. A finding is a reason to look, never a verdict.
"""
from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterable

from ..records import UnitResult

LISTED = 8.0        # bits: a coincidence rarer than about 1 in 256 within this class
RARE_NAME = 0.1     # a name used by at most this share of the class (and at least 2 students) is odd
SHORT = 4           # fewer lines than this beyond the released stub's weigh in proportion (an answer: nothing)
FEW_FOR_NAMES = 10  # in a smaller class no name is rare


@dataclass
class Match:
    """Two or more students whose notebooks share unusual code."""
    assignment: str
    notebook: str
    students: list[str]
    bits: float
    evidence: list[str] = field(default_factory=list)

    def detail(self, student: str) -> str:
        others = ", ".join(s for s in self.students if s != student)
        return f"{self.bits:.0f} bits shared with {others}: " + "; ".join(self.evidence)


@dataclass
class Similarity:
    """The listed matches, best first, and how many low-signal pairs were only counted."""
    listed: list[Match]
    counted: int
    pairs: int

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"listed": [vars(m) for m in self.listed], "counted": self.counted,
                                    "pairs": self.pairs}, indent=1))

    @classmethod
    def read(cls, path: Path) -> "Similarity":
        data = json.loads(path.read_text())
        return cls([Match(**m) for m in data["listed"]], data["counted"], data["pairs"])


def _prints(results: Iterable[UnitResult]) -> dict[tuple[str, str], dict[str, dict]]:
    """(assignment, notebook) -> student -> the notebook's fingerprints (integrity.cell_fingerprints)."""
    found: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
    for r in results:
        for notebook, prints in r.fingerprints.items():
            try:
                found[(r.assignment, notebook)][r.student_id] = json.loads(prints)
            except ValueError:  # a result written before fingerprints were JSON: nothing to compare
                continue
    return found


def _wrong_functions(r: UnitResult) -> set[str]:
    return {t.function for t in r.tests.values() if t.function and t.score < t.max_score}


def compare(results: list[UnitResult], stubs: dict[tuple[str, str], dict]) -> Similarity:
    """stubs: (assignment, notebook) -> the released notebook's fingerprints (untouched cells match nothing)."""
    wrong = {(r.student_id, r.assignment): _wrong_functions(r) for r in results}
    listed, counted, pairs_seen = [], 0, 0
    for (assignment, notebook), prints in sorted(_prints(results).items()):
        stub = stubs.get((assignment, notebook), {"notebook": "", "cells": {}})
        n = len(prints)
        if n < 2:
            continue
        stub_names = {name for c in stub["cells"].values() for name in c["names"]}
        code, comments, names, whole = defaultdict(list), defaultdict(list), defaultdict(set), defaultdict(list)
        for student, p in prints.items():
            if p["notebook"] != stub["notebook"]:
                whole[p["notebook"]].append(student)
            for gid, cell in p["cells"].items():
                if cell["code"] != stub["cells"].get(gid, {}).get("code"):
                    code[(gid, cell["code"])].append(student)
                if cell["comments"] and cell["comments"] != stub["cells"].get(gid, {}).get("comments"):
                    comments[(gid, cell["comments"])].append(student)
                for name in set(cell["names"]) - stub_names:
                    names[name].add(student)
        score: Counter = Counter()
        evidence: dict[tuple[str, str], list[str]] = defaultdict(list)
        for (gid, _), who in code.items():
            lines = prints[who[0]]["cells"][gid]["lines"]
            own = lines - stub["cells"].get(gid, {}).get("lines", 2)  # the def line and docstring are given
            base = math.log2(n / len(who)) * min(1.0, max(0, own) / SHORT)
            for a, b in combinations(sorted(who), 2):
                both_wrong = gid in wrong.get((a, assignment), set()) & wrong.get((b, assignment), set())
                score[(a, b)] += base * (2 if both_wrong else 1)
                if base:  # what the whole class wrote alike is no evidence (the pair is still counted)
                    evidence[(a, b)].append(f"identical {gid}{' with the same wrong result' if both_wrong else ''} "
                                        f"({lines} lines, written by {len(who)} of {n})")
        for (gid, _), who in comments.items():
            for a, b in combinations(sorted(who), 2):
                score[(a, b)] += math.log2(n / len(who))
                evidence[(a, b)].append(f"the same comments in {gid} ({len(who)} of {n})")
        rare = {name: who for name, who in names.items()
                if n >= FEW_FOR_NAMES and 2 <= len(who) <= max(2, RARE_NAME * n)}
        shared: dict[tuple[str, str], list[str]] = defaultdict(list)
        for name, who in rare.items():
            for a, b in combinations(sorted(who), 2):
                score[(a, b)] += math.log2(n / len(who)) / 2
                shared[(a, b)].append(name)
        for pair, found in shared.items():
            evidence[pair].append("rare names: " + ", ".join(sorted(found)[:6]))
        for who in whole.values():  # many coincidences at once: twice the rarity of that notebook
            for a, b in combinations(sorted(who), 2):
                score[(a, b)] += 2 * math.log2(n / len(who))
                evidence[(a, b)].insert(0, f"whole notebook identical cell for cell ({len(who)} of {n})")
        pairs_seen += len(score)
        for (a, b), bits in score.items():
            if bits >= LISTED:
                listed.append(Match(assignment, notebook, [a, b], round(bits, 1), evidence[(a, b)]))
            else:
                counted += 1
    listed.sort(key=lambda m: (-m.bits, m.assignment, m.students))
    return Similarity(_grouped(listed), counted, pairs_seen)


def _grouped(matches: list[Match]) -> list[Match]:
    """Pairs of one notebook with the same evidence (three students sharing the same notebook) as one group."""
    groups: dict[tuple, Match] = {}
    for m in matches:
        key = (m.assignment, m.notebook, m.bits, tuple(e.split(" (")[0] for e in m.evidence))
        if key in groups:
            groups[key].students = sorted(set(groups[key].students) | set(m.students))
        else:
            groups[key] = Match(m.assignment, m.notebook, list(m.students), m.bits, list(m.evidence))
    return list(groups.values())

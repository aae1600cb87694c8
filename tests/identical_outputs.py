"""Grades, feedback pages and the report byte-identical before and after a change of the grader (issue 32):
what is compared, after which normalisations, written once for bench/identical.py and the tests.

bench/identical.py grades the demo's class with another commit's grader and with this tree, and shows
every difference (`differences`). The tests that already grade a class (tests/test_grading.py's batch,
tests/test_report.py's synthetic class) check their OUT against tests/identical/<class>.json, the
manifest of that class as the pinned commit's grader wrote it (`check`): a sha256 per normalised file and
one per block of BLOCK lines, never the outputs themselves (nothing graded is committed). The manifest is
recorded from this tree's grading with `pytest --record-identical` (tests/conftest.py); the pin it names is
the last commit that changed what grading reads (GRADER_INPUTS), and recording refuses while those files
have uncommitted changes, so the pin's grader is the one that wrote it. A change meant to change a page
records again and commits the new manifest (the pin moves with it).

Each normalisation stands for something that differs between two runs of one and the same grader (seen:
bc807b7 against itself, in a test run and in bench/identical.py), or between two clones of one commit:
- path_normalisations, the folders a page names: the class's folder (pytest's numbered tmp folder,
  "pytest-376/grading0" then "pytest-378/grading0": the spy's page prints the paths it tries) as <class>,
  the checkout (spy's targets, "/work/wt/ident32/nbgrader_config.py") as <checkout> and the venv (a
  traceback through numpy: ".venv/lib/python3.11/site-packages/numpy/_core/numeric.py") as <venv>,
  also as the kernel shortens them under its home, the sandbox's /tmp ("~/tmp.Fz73Gm8Znk/cnn/.venv/...",
  seen in a clone made with mktemp -d);
- PAGE_NORMALISATIONS, each of what one grader writes differently in two runs:
  - notebook 5's measured ratio, "0.100 calibrations on the timed case" then "0.099" (a timing), as
    "N calibrations";
  - cell ids (`id="cell-id=..."`): nbgrader gives each test cell it restores a new random id (fay's
    deleted test cells);
  - the traceback of a cell stopped at its time limit (where the interrupt lands is timing): the
    output's text up to its last line, "KeyboardInterrupt: ";
  - the execution count of the cell in which the kernel exited (KernelDied): "In [5]" when the kernel's
    execute_input message left before it died, "In [ ]" when not (main against itself: 1 run in 6);
  - the spy's write to the checkout (test_grading.py): "blocked write OSError" (a read-only mount),
    but "WROTE <checkout>/planted.txt" in a clone under /tmp (mktemp -d, as CI may clone), where that
    path is the sandbox's own in-memory /tmp; the spy's test asserts the checkout itself untouched.
Every compared file gets every normalisation (a CSV holds none of what they match).
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from autograder.authoring.release import assignments
from autograder.demo.sample_class import DESCRIPTIONS

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "tests" / "identical"
# the class's files compared besides every feedback page (report.html and class_summary.html: where written)
FILES = ("grades.csv", "causes.csv", "integrity.csv", "similarity.json", "report.html", "class_summary.html")
PAGE_NORMALISATIONS = (
    (re.compile(r"\b\d+\.\d+ calibrations on the timed case"), "N calibrations on the timed case"),
    (re.compile(r'id="cell-id=[^"]*"'), 'id="cell-id=?"'),
    (re.compile(r"<pre>(?:(?!</pre>).)*(KeyboardInterrupt</span>: (?:(?!</pre>).)*)</pre>", re.S), r"<pre>[...]\1</pre>"),
    (re.compile("In\xa0\\[(?:\\d+|\xa0)\\]:((?:(?!input_prompt).)*?KernelDied)", re.S), "In\xa0[?]:\\1"),
    (re.compile(r"^WROTE <checkout>/planted\.txt$", re.M), "blocked write OSError"),
)
# the kernel's home: the sandbox's (grading/isolation/sandbox.py), or the grader's own without a sandbox
KERNEL_HOMES = ("/tmp", str(Path.home()))
# what grading reads: the last commit that changed one of these is the grader a manifest records
GRADER_INPUTS = ("autograder", "cnn_student", "notebooks", "solutions", "data", "nbgrader_config.py",
                 "jupyter_nbconvert_config.py", "requirements.txt", "pyproject.toml")
BLOCK = 20   # lines per block hash: a difference is located to within BLOCK lines
RECORD = ("record the manifests again with `.venv/bin/python -m pytest --record-identical -k identical_to_the_pinned "
          "tests/test_grading.py tests/test_report.py` and commit them")


def path_normalisations(class_folder: Path, checkout: Path = ROOT) -> dict[str, str]:
    """The folders a page may name, and what each becomes (see above), also as the kernel
    writes them in a traceback: IPython shortens a path under the kernel's home to "~/..."."""
    places = {str(class_folder): "<class>", str(checkout): "<checkout>", sys.prefix: "<venv>"}
    for home in KERNEL_HOMES:
        places.update({"~" + path[len(home):]: name for path, name in list(places.items())
                       if path.startswith(home + "/")})
    return places


def normalised(text: str, paths: dict[str, str]) -> str:
    for path in sorted(paths, key=len, reverse=True):   # the venv inside the checkout goes first
        text = text.replace(path, paths[path])
    for pattern, replacement in PAGE_NORMALISATIONS:
        text = pattern.sub(replacement, text)
    return text


def compared(out: Path) -> list[str]:
    """The files of a graded OUT that must stay identical, relative to it."""
    pages = sorted(str(p.relative_to(out)) for p in (out / "feedback").rglob("*.html"))
    return [name for name in FILES if (out / name).exists()] + pages


def unified(name: str, a: str, b: str) -> str:
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), "before/" + name, "after/" + name, n=1, lineterm="")
    return "\n".join(line[:300] for line in list(diff)[:12])


def differences(before: Path, after: Path, paths_before: dict[str, str], paths_after: dict[str, str]) -> list[str]:
    """What differs between two graded OUT folders, normalised, as the first lines of a unified diff of each
    file (empty: identical): for bench/identical.py, which has both."""
    found = []
    names_a, names_b = set(compared(before)), set(compared(after))
    for name in sorted(names_a ^ names_b):
        found.append(f"{name}: only {'before' if name in names_a else 'after'}")
    for name in sorted(names_a & names_b):
        a = normalised((before / name).read_text(), paths_before)
        b = normalised((after / name).read_text(), paths_after)
        if a != b:
            found.append(unified(name, a, b))
    return found


def _digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fingerprint(text: str) -> dict:
    """A normalised file in the manifest: its sha256, and one (shortened) per block of BLOCK lines."""
    lines = text.splitlines(keepends=True)
    return {"sha256": _digest(text), "lines": len(lines),
            "blocks": " ".join(_digest("".join(lines[k:k + BLOCK]), 12) for k in range(0, len(lines), BLOCK))}


def manifest(out: Path, paths: dict[str, str]) -> dict[str, dict]:
    return {name: fingerprint(normalised((out / name).read_text(), paths)) for name in compared(out)}


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def record(out: Path, name: str, paths: dict[str, str]) -> Path:
    """Write tests/identical/<name>.json from this tree's grading of the class in `out`."""
    dirty = _git("status", "--porcelain", "--", *GRADER_INPUTS)
    if dirty:
        raise RuntimeError(f"the grader has uncommitted changes; commit them first, so that the manifest's pin "
                           f"is the grader that wrote it:\n{dirty}")
    pin = _git("log", "-1", "--format=%H", "--", *GRADER_INPUTS)
    MANIFESTS.mkdir(exist_ok=True)
    dest = MANIFESTS / f"{name}.json"
    dest.write_text(json.dumps({"pin": pin, "class": name, "block_lines": BLOCK, "files": manifest(out, paths)},
                               indent=1, sort_keys=True) + "\n")
    return dest


def _located(name: str, text: str, expected: dict) -> str:
    """Where the normalised file first differs from the manifest's, and this tree's lines there."""
    got = fingerprint(text)
    pinned, now = expected["blocks"].split(), got["blocks"].split()
    first = next((k for k, (a, b) in enumerate(zip(pinned, now)) if a != b), min(len(pinned), len(now)))
    start = first * BLOCK
    shown = "\n".join(f"  {start + 1 + i:5d}| {line[:300]}" for i, line in enumerate(text.splitlines()[start:start + BLOCK]))
    return (f"{name} ({expected['lines']} lines pinned, {got['lines']} now): the first difference is in lines "
            f"{start + 1}-{start + BLOCK}, which are now:\n{shown or '  (none: the file ends before)'}")


def how_to_see(pin: str, names: list[str]) -> str:
    """The command that shows the whole difference, both graders' files side by side."""
    units = {tuple(n.split("/")[1:3]) for n in names if n.startswith("feedback/")}
    students = sorted({s for s, _ in units} & set(DESCRIPTIONS))
    chosen = sorted({a for _, a in units})
    selected = "".join(f" --student {s}" for s in students if len(students) < len(DESCRIPTIONS))
    selected += "".join(f" --assignment {a}" for a in chosen if len(chosen) < len(assignments()))
    return (f"the whole difference, graded by both graders on the demo's class: .venv/bin/python bench/identical.py "
            f"--ref {pin[:12]}{selected} --keep /tmp/identical (then diff -r /tmp/identical/before "
            f"/tmp/identical/after).\nIf the change is meant: {RECORD}")


def check(out: Path, name: str, paths: dict[str, str], shown: int = 3) -> str:
    """What differs between the class graded in `out` and tests/identical/<name>.json ("": identical)."""
    path = MANIFESTS / f"{name}.json"
    if not path.exists():
        return f"no manifest {path.relative_to(ROOT)}: {RECORD}"
    pinned = json.loads(path.read_text())
    now = compared(out)
    differing = sorted(set(pinned["files"]) ^ set(now))
    located = [f"{n}: {'missing now' if n in pinned['files'] else 'not in the pinned grading'}" for n in differing]
    for n in sorted(set(pinned["files"]) & set(now)):
        text = normalised((out / n).read_text(), paths)
        if _digest(text) != pinned["files"][n]["sha256"]:
            differing.append(n)
            located.append(_located(n, text, pinned["files"][n]))
    if not differing:
        return ""
    listed = ", ".join(differing[:12]) + (f" and {len(differing) - 12} more" if len(differing) > 12 else "")
    return (f"{len(differing)} file(s) of the class differ, normalised, from the pinned grading ({pinned['pin'][:12]}, "
            f"{path.relative_to(ROOT)}): {listed}\n\n" + "\n\n".join(located[:shown])
            + f"\n\nThis tree's files: {out}\n" + how_to_see(pinned["pin"], differing))

"""Find graded answers in what students receive: the scanner behind tests/test_leaks.py.

What counts as an answer (collected from the instructor's side):
- every statement of every `### BEGIN SOLUTION` region in solutions/, and the value it computes
  (the right-hand side of an assignment, what a `return` returns), as two needles:
  *exact* (names kept, e.g. `vert_start = h * stride`) and *renamed* (every local name replaced by
  `_`, e.g. `_ = (_ + 2 * _ - _) // _ + 1`), so that renaming locals does not hide a copy;
- every hidden test case (its literal in the test cell, and its key in the expected tables) and
  its expected value (against every value of the same function in cnn_student/expected/);
- every concept question's key, bound to its question's name, and its explanation
  (autograder/grading/pipeline/explanations.py, any 8 consecutive words).

What a needle is compared with: every text file of the student distribution, tokenised (names,
numbers, operators, brackets; quotes, whitespace, line breaks and comments carry no weight), both
as written and, for Python, as `ast.unparse` rewrites it (redundant parentheses and formatting
gone). Strings and markdown are scanned like code: a hint that spells a reference line is a leak.

Which needles are trivial (excluded, each with its reason, see `Needle.trivial`):
- *unpacking*: statements that only name what the function was given (`m, n_H, n_W, n_C = A.shape`,
  `stride = hparameters["stride"]`, `(A_prev, W, b, hparameters) = cache`), bare `return`s of names,
  `pass`, and loop headers over `range(name)`: the contract and the stub's docstring state them;
- *stub*: statements found in a released stub (a solution cell with its region removed), which every
  student receives by design (`return Z, cache`);
- *contract*: the output-size formulas, which the contract and notebooks 1-2 state;
- *short*: fewer than MIN_EXACT distinctive tokens as written (names, numbers and operators; not
  brackets, commas, colons, dots or quotes): a line like `return Z, cache` or `Z += b`. A needle
  keeps its exact form but is not searched with names replaced when, once renamed, fewer than
  MIN_RENAMED of its tokens are not `_` (`_ = _ * _`, `_ = _(_, _)`): any code contains those.
What is scanned is one release stage (autograder/authoring/distribution.py): the assignments released so far.
A solution line of an assignment already due at that stage (one released before the stage's newest)
is given code there, not a leak: later notebooks provide earlier ones' layers. Every other needle,
the newest assignment's and all later ones', is a leak anywhere in the stage.
"""
from __future__ import annotations

import ast
import builtins
import copy
import dataclasses
import json
import keyword
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import nbformat
import numpy as np

from autograder.authoring.cells import is_solution_cell
from cnn_student.source import python_text

MIN_EXACT = 5     # distinctive tokens of an exact needle: `vert_start = h * stride` has 5
MIN_RENAMED = 12  # tokens other than `_` of a renamed needle (its structure): `_ = _(_, _)` has 4
SHINGLE = 8       # consecutive words of an explanation that count as a copy of it

TOKEN_RE = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[A-Za-z_]\w*|\*\*|//|==|!=|<=|>=|->|"
                      r"[-+*/%@&|^~<>=.,:;()\[\]{}'\"]")
KEEP = set(dir(builtins)) | set(keyword.kwlist) | {"np", "numpy", "math"}
PUNCT = set("()[]{},:;.'")


def tokens(text: str) -> list[str]:
    out = []
    for tok in TOKEN_RE.findall(text):
        if tok == '"':
            tok = "'"
        elif tok[0].isdigit():
            value = float(tok)
            tok = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        out.append(tok)
    return out


def renamed(toks: list[str]) -> list[str]:
    """Every name that is not a keyword, a builtin, np, or an attribute becomes `_`."""
    return ["_" if (t[0].isalpha() or t[0] == "_") and t not in KEEP and (i == 0 or toks[i - 1] != ".") else t
            for i, t in enumerate(toks)]


def distinctive(toks: list[str]) -> int:
    return sum(t not in PUNCT and t != "_" for t in toks)


def structure(toks: list[str]) -> int:
    return sum(t != "_" for t in toks)


def joined(toks: list[str]) -> str:
    return " " + " ".join(toks) + " "


# ---------------------------------------------------------------- needles from solutions/
@dataclass(frozen=True)
class Needle:
    kind: str          # "solution line", "hidden case", "concept key"
    origin: str        # assignment and cell, or the question's name
    text: str          # as written, for the report
    exact: str         # joined tokens, names kept
    loose: str = ""    # joined tokens, names replaced ("" = not searched that way)
    trivial: str = ""  # why it is not searched ("" = it is)
    assignment: str = ""


def _header(node: ast.stmt) -> str:
    """A compound statement's first line (`for i in range(m):`), a simple statement whole."""
    if hasattr(node, "body"):
        bare = copy.copy(node)
        bare.body, bare.orelse = [ast.Pass()], []
        if hasattr(bare, "handlers"):
            bare.handlers, bare.finalbody = [], []
        return ast.unparse(bare).splitlines()[0]
    return ast.unparse(node)


def _given_only(node: Optional[ast.AST]) -> bool:
    """Built from names, attributes and constant subscripts only: it names an input, computes nothing."""
    if node is None or isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _given_only(node.value)
    if isinstance(node, ast.Subscript):  # A.shape[0], hparameters["f"], dZ[i, h, w, c], W[:, :, :, c]
        index = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        plain = all(isinstance(e, (ast.Name, ast.Constant)) or (isinstance(e, ast.Slice) and not (e.lower or e.upper or e.step))
                    for e in index)
        return _given_only(node.value) and plain
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_given_only(e) for e in node.elts)
    return False


ALLOCATE = {"zeros", "empty", "ones", "zeros_like", "empty_like"}


def _given_or_passed_on(node: Optional[ast.AST]) -> bool:
    """Names an input, hands inputs unchanged to a helper (`zero_pad(A_prev, pad)`), or allocates
    an array of a shape built from inputs (`np.zeros((m, n_H, n_W, n_C))`, `np.zeros(W.shape)`)."""
    if _given_only(node):
        return True
    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        helper = isinstance(func, ast.Name)
        allocate = isinstance(func, ast.Attribute) and func.attr in ALLOCATE
        return (helper or allocate) and all(_given_only(a) for a in node.args)
    return False


def _unpacking(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Pass, ast.Break, ast.Continue)):
        return True
    if isinstance(node, ast.Assign):
        return _given_or_passed_on(node.value)
    if isinstance(node, ast.Return):
        return _given_only(node.value)
    if isinstance(node, ast.For):
        it = node.iter
        return (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
                and all(_given_only(a) for a in it.args))
    return False


def stub_of(source: str) -> str:
    return re.sub(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION[^\n]*\n?", "", source, flags=re.S)


def _statements(region: str) -> Iterable[ast.stmt]:
    tree = ast.parse(textwrap.dedent(region))
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            yield node


# The output sizes, stated by the contract (shared/contract.md) and by notebooks 1-2's text.
CONTRACT_FORMULAS = ("(n_H_prev + 2 * pad - f) // stride + 1", "(n_H_prev - f) // stride + 1")


def _regions_by_function(source: str) -> list[tuple[str, str]]:
    """(name of the function a solution region is in, the region)."""
    found = []
    for match in re.finditer(r"### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION", source, re.S | re.M):
        defs = re.findall(r"^def (\w+)", source[:match.start()], re.M)
        found.append((defs[-1] if defs else "", match.group(1)))
    return found


def solution_needles(solutions: Path, stubs: str) -> list[Needle]:
    """Every solution statement and computed value of every assignment, with why it is trivial if it is.

    A region belongs to the first assignment (in release order) that asks for its function: notebook
    5's loop versions are notebooks 1-2's answers, given as code in notebooks 3-4 after those are due."""
    stub_exact, stub_loose = joined(tokens(stubs)), joined(renamed(tokens(stubs)))
    cells = [(p.parent.name, c) for p in sorted(solutions.glob("*/*.ipynb"))
             for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
    home: dict[str, str] = {}
    for assignment, cell in cells:
        for fn, _ in _regions_by_function(cell.source):
            home.setdefault(fn, assignment)
    needles: dict[tuple[str, str], Needle] = {}
    cores: dict[tuple[str, str], str] = {}
    for assignment, cell in cells:
        for fn, region in _regions_by_function(cell.source):
                assignment = home.get(fn, assignment)
                for node in _statements(region):
                    texts = [(_header(node), _unpacking(node), node)]
                    value = getattr(node, "value", None)
                    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return)) and value is not None:
                        texts.append((ast.unparse(value), _given_or_passed_on(value), value))
                    for text, unpacking, tree in texts:
                        toks = tokens(text)
                        exact, loose = joined(toks), joined(renamed(toks))
                        if unpacking:
                            why = "unpacking: names, passes on or allocates what the function was given"
                        elif any(joined(renamed(tokens(c))) in loose for c in CONTRACT_FORMULAS):
                            why = "contract: a formula the contract and the notebook state"
                        elif exact in stub_exact or loose in stub_loose:
                            why = "stub: in a released stub"
                        elif distinctive(toks) < MIN_EXACT:
                            why = f"short: fewer than {MIN_EXACT} distinctive tokens"
                        else:
                            why = ""
                        searched_loose = loose if structure(renamed(toks)) >= MIN_RENAMED else ""
                        key = (assignment, exact)
                        if key not in needles:
                            needles[key] = Needle("solution line", f"{assignment}:{fn}", text, exact,
                                                  searched_loose, why, assignment)
                            cores[key] = _core(tree)
    # the same call with the same positional arguments is the same answer, whatever defaults it spells
    # out: notebook 5's np.pad(A_prev, widths) is notebook 1's np.pad(X, widths, mode="constant", ...)
    first: dict[str, str] = {}
    for (assignment, _), core in sorted(cores.items()):
        first.setdefault(core, assignment)
    return [dataclasses.replace(n, assignment=min(n.assignment, first[cores[k]])) for k, n in needles.items()]


def _core(node: ast.AST) -> str:
    """The renamed tokens of a statement or value, keyword arguments of its outer call left out."""
    if isinstance(node, ast.Call) and node.keywords:
        node = ast.Call(func=node.func, args=node.args, keywords=[])
    return joined(renamed(tokens(ast.unparse(node))))


def stubs_text(notebooks: Path) -> str:
    """Every released solution cell's source: the stubs students receive by design."""
    parts = []
    for nb_path in sorted(notebooks.glob("*/*.ipynb")):
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if is_solution_cell(cell):
                parts.append(stub_of(cell.source))
    return "\n".join(parts)


def hidden_case_needles(solutions: Path) -> list[tuple[str, str, dict, Needle]]:
    """(assignment, fn, case, needle of its literal) for every hidden test case."""
    from autograder.authoring.cells import is_test_cell
    from autograder.authoring.testcells import hidden_checks
    from cnn_student.serialize import case_key
    found = []
    for nb_path in sorted(solutions.glob("*/*.ipynb")):
        assignment = nb_path.parent.name
        for cell in nbformat.read(nb_path, as_version=4).cells:
            if not is_test_cell(cell):
                continue
            for fn, case in hidden_checks(cell.source):
                if not case:  # a question's only case is {}: its key is searched as a concept key
                    continue
                literal = json.dumps(case)
                needle = Needle("hidden case", f"{assignment}:{fn}", literal, joined(tokens(literal)))
                found.append((assignment, fn, case, needle))
                key = case_key(fn, case)
                found.append((assignment, fn, case, Needle("hidden case", f"{assignment}:{fn}", key,
                                                           joined(tokens(key)))))
    return found


def concept_needles(keys: dict[str, Any], explanations: dict[str, str]) -> list[Needle]:
    """A key next to its question's name (`"q": False`, `def q(): return False`), and explanations."""
    needles = []
    for name, key in keys.items():
        key_toks = tokens(repr(key.item() if isinstance(key, np.generic) else key))
        needles.append(Needle("concept key", name, f"{name} -> {key!r}", joined(key_toks), trivial="",
                              loose=name))
    for name, text in explanations.items():
        needles.append(Needle("concept explanation", name, text, " ".join(words(text))))
    return needles


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


# ---------------------------------------------------------------- what students receive
TEXT_SUFFIXES = {".py", ".ipynb", ".json", ".md", ".txt", ".toml", ".cfg", ".csv"}


@dataclass
class Doc:
    path: str
    assignment: str                      # the notebook folder it ships in, "" for the rest
    raw: str
    variants: list[list[str]] = field(default_factory=list)  # token lists: as written, unparsed


def _unparsed(code: str) -> Optional[str]:
    try:
        return ast.unparse(ast.parse(python_text(code)))
    except (SyntaxError, ValueError):
        return None


def documents(dist: Path) -> list[Doc]:
    docs = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        rel = path.relative_to(dist)
        assignment = rel.parts[1] if rel.parts[0] == "notebooks" and len(rel.parts) > 2 else ""
        if path.suffix not in TEXT_SUFFIXES:
            continue  # data arrays (.npy) hold numbers only
        text = path.read_text()
        pieces: list[tuple[str, bool]] = []
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            pieces = [(c.source, c.cell_type == "code") for c in nb.cells]
        else:
            pieces = [(text, path.suffix == ".py")]
        for i, (source, is_code) in enumerate(pieces):
            doc = Doc(f"{rel}" + (f" cell {i}" if path.suffix == ".ipynb" else ""), assignment, source)
            doc.variants.append(tokens(source))
            unparsed = _unparsed(source) if is_code else None
            if unparsed:
                doc.variants.append(tokens(unparsed))
            docs.append(doc)
    return docs


@dataclass(frozen=True)
class Finding:
    where: str
    needle: Needle
    how: str

    def __str__(self) -> str:
        return f"{self.where}: {self.needle.kind} of {self.needle.origin} ({self.how}): {self.needle.text[:120]}"


def scan(docs: list[Doc], needles: list[Needle], due: Iterable[str] = ()) -> list[Finding]:
    """Every needle found in docs, but the solution lines of the assignments in `due` (due at the
    stage scanned, so given code there)."""
    due = set(due)
    findings = []
    prepared = [(d, [joined(v) for v in d.variants], [joined(renamed(v)) for v in d.variants],
                 " " + " ".join(words(d.raw)) + " ") for d in docs]
    for needle in needles:
        if needle.trivial:
            continue
        for doc, exact, loose, text_words in prepared:
            if needle.kind == "solution line" and needle.assignment in due:
                continue
            how = None
            if needle.kind == "concept explanation":
                ws = needle.exact.split()
                for k in range(max(1, len(ws) - SHINGLE + 1)):
                    if " " + " ".join(ws[k:k + SHINGLE]) + " " in text_words:
                        how = f"{SHINGLE} words in a row"
                        break
            elif needle.kind == "concept key":
                how = _key_near_name(doc.variants, needle.loose, needle.exact.split())
            elif any(needle.exact in e for e in exact):
                how = "as written"
            elif needle.loose and any(needle.loose in l for l in loose):
                how = "with names replaced"
            if how:
                findings.append(Finding(doc.path, needle, how))
    return findings


KEY_WINDOW = 6  # tokens between a question's name and its key: `"q": False`, `def q(): return False`
BINDING = {"'", ":", "=", "(", ")", "return", ",", "->", "lambda", "==", "is", "[", "]"}


def _key_near_name(variants: list[list[str]], name: str, key: list[str]) -> Optional[str]:
    """The key right after its question's name, with only binding tokens between them."""
    for toks in variants:
        for i, t in enumerate(toks):
            if t != name:
                continue
            j = i + 1
            while j < len(toks) and j - i <= KEY_WINDOW and toks[j:j + len(key)] != key and toks[j] in BINDING:
                j += 1
            if toks[j:j + len(key)] == key:
                return "the key bound to its question's name"
    return None

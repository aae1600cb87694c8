"""The records that travel through grading, each declared once: the limits a submission runs under,
a unit of work (one student's one assignment) and its result.

`grade`'s and `serve`'s options (Grader, grading/settings.py) build `Limits` and, with the sandbox and
the caps, one `Isolation`, which every unit carries to its kernels; the batch hands a `Unit` to a worker
as JSON; the worker writes a `UnitResult` as JSON, which grades.csv, integrity.csv, the report and
resumed runs read back.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

from ..paths import gradebook_url

MiB, GiB = 1024 ** 2, 1024 ** 3
RESULT = "result.json"  # in the unit's work folder
OUTPUT_LINES = 200  # lines of output nbgrader's LimitOutput keeps per cell (nbgrader_config.py reads it too)


def parse_size(text: str) -> int:
    """'2GiB', '1MB', '500k', '1024' -> bytes (k, M, G are powers of 1024)."""
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    text = str(text).strip().lower().rstrip("ib").rstrip("b")
    return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)


@dataclass(frozen=True)
class Limits:
    """What one submitted notebook may use while it is graded."""
    # the options that set them, with their help, are Grader's traits (grading/settings.py)
    timeout: int = 60                       # seconds per cell
    notebook_timeout: int = 600             # seconds per notebook; later cells are not run
    memory_bytes: int = 2 * GiB             # per kernel, its files in /tmp included
    # the course's own figures take about 0.9 MB in notebook 1: room for them, none for a flood
    max_output_bytes: int = 4_000_000       # stored output per notebook
    file_bytes: int = 100_000_000           # largest file a kernel may write
    processes: int = 256                    # processes and threads per kernel (one uses about 10)
    disk_bytes: int = 200 * MiB             # all a kernel may write, working folder and /tmp together (0: none)

    def unit_deadline(self) -> float:
        """Seconds after which the batch stops a unit: the notebook may use its whole time limit
        (twice: nbgrader runs it, then feedback is rendered), plus start-up."""
        return self.notebook_timeout * 2 + 120


def size_text(n: int) -> str:
    """How every message names a size: '2 GiB', '1.5 GiB', '200 MiB' (whole MiB), else '4 MB'."""
    if n % MiB:
        return f"{n / 1e6:g} MB"
    return f"{n / GiB:g} GiB" if n >= GiB else f"{n // MiB} MiB"


@dataclass(frozen=True)
class Isolation:
    """How students' code is held while it runs: the sandbox, the caps' mechanism and the limits. Built
    once from `Grader`'s settings (orchestrate/batch.py plan, with the limits this machine holds) and
    carried unchanged in each `Unit` (and a cluster's `Parcel`) to where its kernels are started, where
    isolation/sandbox.py's `KernelSettings` hands it to the kernel's launcher."""
    limits: Limits = Limits()
    sandbox: bool = True
    caps_mechanism: Optional[str] = None  # what holds the memory and process caps (kernel_caps); None: no caps

    @property
    def disk_bytes(self) -> int:
        """The disk cap that holds: a tmpfs of that size needs the sandbox (0: none)."""
        return self.limits.disk_bytes if self.sandbox else 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Isolation":
        return cls(**dict(data, limits=Limits(**data["limits"])))


@dataclass(frozen=True, init=False)
class Unit:
    """One student's one assignment, graded in a course folder of its own under `work`."""
    student: str
    assignment: str
    submissions: Path        # DIR of DIR/<student>/<assignment>/<notebook>.ipynb
    work: Path               # OUT/.grader/units/<student>/<assignment>
    master: Path             # OUT/.grader/master: the grader's course folder (solutions, gradebook, release)
    master_hash: str         # which solutions this unit is graded against
    out: Path
    isolation: Isolation = Isolation()
    show_hidden: bool = False

    def __init__(self, student: str, assignment: str, submissions: Path, work: Path, master: Path,
                 master_hash: str, out: Path, isolation: Optional[Isolation] = None, show_hidden: bool = False,
                 *, limits: Optional[Limits] = None, sandbox: bool = True, caps_mechanism: Optional[str] = None):
        """`limits`, `sandbox`, `caps_mechanism`: a unit built by hand (tests, bench/) gets its isolation
        from them; the batch passes the one `isolation` it built."""
        if isolation is None:
            isolation = Isolation(limits=limits or Limits(), sandbox=sandbox, caps_mechanism=caps_mechanism)
        values = dict(student=student, assignment=assignment, submissions=submissions, work=work, master=master,
                      master_hash=master_hash, out=out, isolation=isolation, show_hidden=show_hidden)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    # ---- the unit's folder layout: every path of a unit is built here
    @property
    def submitted(self) -> Path:
        """What the student submitted: DIR/<student>/<assignment>."""
        return self.submissions / self.student / self.assignment

    @property
    def course(self) -> Path:
        """The unit's own nbgrader course folder."""
        return self.work / "course"

    @property
    def gradebook_url(self) -> str:
        """The unit's own gradebook (a copy of the master's)."""
        return gradebook_url(self.course)

    @property
    def autograded(self) -> Path:
        """nbgrader's autograded notebooks of the unit, in its course folder."""
        return self.course / "autograded" / self.student / self.assignment

    @property
    def course_feedback(self) -> Path:
        """nbgrader's feedback pages of the unit, in its course folder."""
        return self.course / "feedback" / self.student / self.assignment

    @property
    def feedback(self) -> Path:
        """OUT/feedback/<student>/<assignment>: the pages the student reads."""
        return self.out / "feedback" / self.student / self.assignment

    @property
    def result_path(self) -> Path:
        """The unit's result, written last: its presence means the unit is done."""
        return self.work / RESULT

    @property
    def release(self) -> Path:
        """The released assignment in the master: its notebooks and the files that ship with them."""
        return self.master / "release" / self.assignment

    @property
    def master_gradebook_url(self) -> str:
        return gradebook_url(self.master)

    def notebooks(self) -> list[str]:
        """The file names of the assignment's notebooks, as released."""
        return sorted(p.name for p in self.release.glob("*.ipynb"))

    def to_json(self) -> str:
        """The unit as the batch hands it to a grading process (one line); read by from_json."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["isolation"] = self.isolation.to_dict()
        return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in data.items()})

    @classmethod
    def from_json(cls, text: str) -> "Unit":
        data = json.loads(text)
        data["isolation"] = Isolation.from_dict(data["isolation"])
        for name in ("submissions", "work", "master", "out"):
            data[name] = Path(data[name])
        return cls(**data)


@dataclass
class Finding:
    """One row of integrity.csv: what grading noticed about a notebook (a rule and its detail)."""
    student_id: str
    assignment: str
    notebook: str
    rule: str
    detail: str

    def row(self) -> dict[str, str]:
        return asdict(self)


FIELDS = tuple(f.name for f in fields(Finding))  # integrity.csv's columns


@dataclass(frozen=True)
class Verdict:
    """What the grader decided on one test cell (pipeline/preprocessors.py VerifyChecks, by verify.py judge),
    handed in memory to the collect stage: the function whose check failed first and the causes it names
    ("" and none when every check passed), and the concept questions' answers as recorded (right or not)."""
    function: str = ""
    causes: tuple[str, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)   # concept question -> the answer recorded


@dataclass
class CellScore:
    """One test cell's points, and what its verdict diagnosed (grading/pipeline/verify.py judge)."""
    score: float
    max_score: float
    function: str = ""                # the function whose check failed first ("" when none failed)
    causes: list[str] = field(default_factory=list)      # cause ids (cnn_student.spec.cause), most likely first
    answers: dict[str, str] = field(default_factory=dict)  # concept question -> the answer recorded


@dataclass
class UnitResult:
    """What grading one unit found; OUT/.grader/units/<student>/<assignment>/result.json."""
    student_id: str
    assignment: str
    raw_score: float                  # nbgrader's score, before any late penalty (grades.csv: raw_score)
    max_score: float
    master_hash: str                  # the solutions' hash it was graded against (Unit.master_hash)
    tests: dict[str, CellScore] = field(default_factory=dict)   # "<notebook>:<grade_id>" -> outcome
    notes: dict[str, str] = field(default_factory=dict)           # notebook -> why it scored 0
    findings: list[Finding] = field(default_factory=list)
    # notebook -> its code's fingerprints (integrity.cell_fingerprints), compared across the class
    fingerprints: dict[str, str] = field(default_factory=dict)
    timestamp: str = ""
    graded: bool = False              # nbgrader ran and succeeded
    retry: bool = False               # the grader itself failed: grade again on the next run
    timings: dict[str, float] = field(default_factory=dict)       # stage -> seconds
    duedate: str = ""                 # the nbgrader course's due date (graded in a course only)
    late_penalty: float = 0.0         # what the course's late-submission rule took off (idem)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "UnitResult":
        data = dict(data)
        for old, new in (("score", "raw_score"), ("master", "master_hash")):  # results written before the renames
            if old in data:
                data.setdefault(new, data.pop(old))
        data["tests"] = {k: CellScore(**v) for k, v in data.get("tests", {}).items()}
        findings = [Finding(**f) for f in data.get("findings", [])]
        # results written before fingerprints had a field of their own carried them as findings
        data.setdefault("fingerprints", {f.notebook: f.detail for f in findings if f.rule == "fingerprint"})
        data["findings"] = [f for f in findings if f.rule != "fingerprint"]
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @classmethod
    def read(cls, path: Path) -> Optional["UnitResult"]:
        return cls.from_dict(json.loads(path.read_text())) if path.exists() else None

    def write(self, work: Path) -> "UnitResult":
        """Written last and atomically: its presence means "this unit is done"."""
        work.mkdir(parents=True, exist_ok=True)
        tmp = work / (RESULT + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1))
        tmp.replace(work / RESULT)
        return self


@dataclass(frozen=True)
class Parcel:
    """A unit as it travels to a cluster worker: everything it needs as data, so that workers share no
    file system with the client. The worker grades it against its own copy of solutions/, which must
    hash to `master_hash`."""
    student: str
    assignment: str
    master_hash: str
    assignments: Optional[tuple[str, ...]]   # `grade --assignment`: the assignments the master holds
    # the client's, with the limits as asked and no caps' mechanism: the worker holds the caps with its own
    isolation: Isolation
    show_hidden: bool
    submitted: bool                          # DIR/<student>/<assignment> exists
    hold_caps: bool = True                   # the worker must hold the kernel caps (its own mechanism)
    files: dict[str, bytes] = field(default_factory=dict)    # relative path -> content
    links: dict[str, str] = field(default_factory=dict)      # symlinks (never followed): path -> target
    oversized: dict[str, int] = field(default_factory=dict)  # files too big to copy: path -> size


@dataclass
class Graded:
    """What comes back from a cluster worker: the unit's result and the files a local run leaves in OUT."""
    result: UnitResult
    feedback: dict[str, bytes]     # <notebook>.html -> page (OUT/feedback/<student>/<assignment>/)
    autograded: dict[str, bytes]   # nbgrader's autograded notebooks and timestamp.txt, by name

    def write(self, unit: Unit) -> UnitResult:
        """Into OUT where a local run puts the same files; the result last, as its marker of completion."""
        if unit.work.exists():
            shutil.rmtree(unit.work)
        places = ((unit.feedback, self.feedback), (unit.autograded, self.autograded))
        for folder, files in places:
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
        return self.result.write(unit.work)

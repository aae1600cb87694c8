"""`python -m autograder release | grade | report | sample-class | demo | serve | hub | lms` (see README): one
traitlets Application with a subapp per command, as nbgrader's own `nbgrader` app and its subapps.

Every option is a trait with help on a Configurable (the grader's on `Grader`, grading/settings.py; the
service's on FeedbackService and FeedbackPolicy; the hub's on Hub; the LMS link's on LTITool, GradePassback
and LMSExport): set on the command line as `--Class.name=value` (or `--Class.name value`), with short
aliases for the common ones (`--jobs 2`, `--no-sandbox`), or in the course's nbgrader_config.py as
`c.Class.name = value`; the command line wins. `--help` lists a command's short options, `--help-all`
every option. Each subapp's module is imported only when its command runs, so that the launcher starts
quickly."""
from __future__ import annotations

import os
import sys
from copy import deepcopy
from inspect import cleandoc
from pathlib import Path
from typing import Any, NoReturn, Optional, TypeVar

from traitlets import Bool, List, TraitError, Unicode, default
from traitlets.config import Application, Config, Configurable
from traitlets.config.loader import KVArgParseConfigLoader
from traitlets.utils.importstring import import_item

from .authoring.course import Course, load_course

PROG = "python -m autograder"
C = TypeVar("C", bound=Configurable)


class UsageError(SystemExit):
    """A command line that cannot run, said in one line on stderr; exit status 2, as Python's own command lines."""
    def __init__(self, app: "Command", message: str) -> None:
        print(f"{app.name}: {message} (--help lists its options)", file=sys.stderr)
        super().__init__(2)


class _StrictLoader(KVArgParseConfigLoader):
    """traitlets' command-line loader, refusing an option it does not know instead of warning."""
    app: "Command"

    def _handle_unrecognized_alias(self, arg: str) -> None:
        raise UsageError(self.app, f"unknown option --{arg}")

    def _create_parser(self) -> None:
        super()._create_parser()

        def error(message: str) -> NoReturn:   # the parser's own refusals (an unknown flag), in one line too
            raise UsageError(self.app, message.replace("unrecognized arguments:", "unknown option"))
        self.parser.error = error  # type: ignore[method-assign]


class Command(Application):
    """A command of the launcher: its options are the traits of `classes` (and its own), its positional
    arguments named by `positionals`; `start()` runs it and returns the exit status."""
    positionals: tuple[str, ...] = ()   # what extra_args may hold, in order (all optional)

    @classmethod
    def summary(cls) -> str:
        """The command's line in its parent's --help: its docstring."""
        return " ".join((cls.__doc__ or "").split())

    @default("description")
    def _description(self) -> str:   # what --help starts with: the command's docstring
        return cleandoc(type(self).__doc__ or "")

    def initialize(self, argv: Optional[list[str]] = None) -> None:
        self.parse_command_line(argv)
        if self.subapp is not None:
            return
        known = {cls.__name__: set(cls.class_trait_names(config=True)) for cls in self._classes_with_config_traits()}
        for section, values in self.cli_config.items():
            if section not in known:
                raise UsageError(self, f"unknown option --{section}.{next(iter(values), '')}: this command's "
                                       f"options are those of {', '.join(sorted(known))}")
            for trait in values:
                if trait not in known[section]:
                    raise UsageError(self, f"unknown option --{section}.{trait}: {section}'s options are "
                                           f"{', '.join(sorted(known[section]))}")
        if len(self.extra_args) > len(self.positionals):
            raise UsageError(self, f"unexpected argument {self.extra_args[len(self.positionals)]!r}")

    def _create_loader(self, argv: Any, aliases: Any, flags: Any, classes: Any) -> KVArgParseConfigLoader:
        loader = _StrictLoader(argv, aliases, flags, classes=classes, log=self.log, subcommands=self.subcommands)
        loader.app = self
        return loader

    def initialize_subcommand(self, subc: str, argv: Optional[list[str]] = None) -> None:
        """As traitlets', without its singletons: each command line gets fresh apps (the tests run many)."""
        subapp = self.subcommands[subc][0]
        self.subapp = (import_item(subapp) if isinstance(subapp, str) else subapp)(parent=self)
        self.subapp.initialize(argv)

    def positional(self, index: int) -> Optional[str]:
        return self.extra_args[index] if len(self.extra_args) > index else None

    def require(self, **given: Any) -> None:
        """Refuse the command line when an option it needs is missing (name=value; the name as typed)."""
        missing = [f"--{name.replace('_', '-')}" for name, value in given.items() if not value]
        if missing:
            raise UsageError(self, f"needs {' and '.join(missing)}")

    @staticmethod
    def course_in(folder: str) -> Course:
        """The course in this folder as nbgrader reads it (`--course DIR`; empty: the current folder)."""
        return load_course(Path(folder or os.getcwd()).resolve())

    def configured(self, cls: type[C], file_config: Optional[Config] = None) -> C:
        """`cls` as the course's configuration (nbgrader_config.py, as nbgrader loads it) and this command
        line set it, the command line winning; a value it cannot take is refused in one line."""
        config = deepcopy(file_config) if file_config is not None else Config()
        config.merge(self.cli_config)
        try:
            return cls(config=config)
        except TraitError as err:
            raise UsageError(self, str(err)) from None

    def start(self) -> int:
        if self.subapp is not None:
            return self.subapp.start()
        print(f"{self.name}: which command? one of {', '.join(self.subcommands)} (--help says what each does)",
              file=sys.stderr)
        return 2


# --- the commands whose work lives elsewhere, in a few lines each ---------------------------------------

class ReleaseApp(Command):
    """Regenerate notebooks/, the visible cases' expected values and the student distribution dist/student/
    from solutions/."""
    name = f"{PROG} release"
    assignments = List(Unicode(), help="only these assignments (--assignment A, repeatable); empty: all"
                       ).tag(config=True)
    aliases = {"assignment": "ReleaseApp.assignments"}

    def start(self) -> int:
        from .authoring.release import release   # each command imports what it runs: --help stays cheap
        for path in release(only=self.assignments or None):
            print("wrote", path)
        return 0


class ReportApp(Command):
    """The instructor's summary of a graded batch: OUT/report.html and a short table."""
    name = f"{PROG} report"
    out = Unicode("", help="OUT: the folder `grade --out` wrote").tag(config=True)
    for_students = Bool(False, help="OUT/class_summary.html instead: the most common mistakes and what they mean, "
                                    "for the class (no student ids, no answers)").tag(config=True)
    aliases = {"out": "ReportApp.out"}
    flags = {"for-students": ({"ReportApp": {"for_students": True}}, for_students.help)}

    def start(self) -> int:
        self.require(out=self.out)
        from .grading import api   # here: each command's modules are imported when it runs
        out = Path(self.out)
        print(api.class_summary(out) if self.for_students else api.report(out))
        return 0


class SampleClassApp(Command):
    """Write the sample class of submissions into DIR: `python -m autograder sample-class DIR`."""
    name = f"{PROG} sample-class"
    positionals = ("DIR",)

    def start(self) -> int:
        folder = self.positional(0)
        if not folder:
            raise UsageError(self, "needs DIR, the folder to write the class into")
        from .demo.sample_class import make   # as release's: --help stays cheap
        print("wrote", ", ".join(make(Path(folder))), "under", folder)
        return 0


class DemoApp(Command):
    """Release, run the reference solutions, grade and report on the sample class."""
    name = f"{PROG} demo"

    def start(self) -> int:
        from .demo import demo   # as release's: --help stays cheap
        return demo()


class Autograder(Command):
    """The course's instructor tools (README): each command's --help lists its options, --help-all every
    option with its help; options are also read from the course's nbgrader_config.py (c.Grader.memory =
    "2GiB")."""
    name = PROG
    subcommands = {
        "release": (ReleaseApp, ReleaseApp.summary()),
        "grade": ("autograder.grading.cli.GradeApp",
                  "grade DIR/<student_id>/<assignment>/<notebook>.ipynb into OUT (grades.csv, integrity.csv, "
                  "feedback/)"),
        "report": (ReportApp, ReportApp.summary()),
        "sample-class": (SampleClassApp, SampleClassApp.summary()),
        "demo": (DemoApp, DemoApp.summary()),
        "serve": ("autograder.service.cli.ServeApp",
                  "grade each submission in the course's nbgrader exchange as it arrives and release its feedback "
                  "(the course's FeedbackPolicy in nbgrader_config.py; see README)"),
        "hub": ("autograder.deploy.hub.HubApp",
                "the course on a real JupyterHub on 127.0.0.1: an instructor and N students, each their own Unix "
                "account (needs root), 01_conv_forward released into nbgrader's exchange"),
        "lms": ("autograder.lms.cli.LmsApp",
                "the course's scores to its LMS: `passback` (LTI 1.3 grade services), `export` (Canvas or Moodle "
                "gradebook import file), `key` (the tool's key)"),
    }


def main(argv: Optional[list[str]] = None) -> int:
    app = Autograder()
    app.initialize(sys.argv[1:] if argv is None else argv)
    return app.start()

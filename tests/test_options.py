"""Options once, the nbgrader way: every option of `python -m autograder` is a trait with help on a
Configurable, set from the course's nbgrader_config.py or the command line (the command line wins), with
short aliases; `--help-all` lists every one; every command line the README shows still parses."""
from __future__ import annotations

import re
import shlex

import pytest
from traitlets.utils.importstring import import_item

from autograder.authoring.course import load_course
from autograder.grading.isolation import kernel_caps
from autograder.grading.isolation.readiness import held_limits
from autograder.grading.records import GiB, MiB, Limits, parse_size
from autograder.grading.settings import Grader
from autograder.launcher import Autograder, Command
from autograder.paths import ROOT


def command(*argv: str) -> Command:
    """The command's app, its command line parsed (as `python -m autograder ARGV` parses it)."""
    app = Autograder()
    app.initialize(list(argv))
    while app.subapp is not None:
        app = app.subapp
    return app


def leaves(app: type[Command] = Autograder, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], type[Command]]]:
    """Every runnable command: (its words after `python -m autograder`, its app class)."""
    subcommands = app().subcommands
    if not subcommands:
        return [(path, app)]
    found = []
    for word, (sub, _) in subcommands.items():
        found += leaves(import_item(sub) if isinstance(sub, str) else sub, (*path, word))
    return found


def test_the_limits_record_is_built_from_the_grader_options():
    assert command("grade").configured(Grader).limits() == Limits()
    grader = command("grade", "--memory", "1GiB", "--timeout=5", "--max-output", "2MB", "--Grader.disk=50M",
                     "--no-sandbox", "--assignment", "a", "--assignment", "b").configured(Grader)
    assert grader.limits() == Limits(timeout=5, memory_bytes=GiB, max_output_bytes=2 * MiB, disk_bytes=50 * MiB)
    assert (grader.sandbox, grader.caps, grader.assignments) == (False, True, ["a", "b"])
    assert parse_size("500k") == 512_000 and parse_size("1024") == 1024 and parse_size("2 GiB") == 2 * GiB


def test_the_course_config_sets_options_and_the_command_line_wins(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.Grader.memory = "1G"\nc.Grader.processes = 100\nc.Grader.jobs = 3\n'
        'c.FeedbackPolicy.attempts = 5\n')
    course = load_course(tmp_path)
    grader = command("grade", "--memory", "512MiB").configured(Grader, course.config)
    assert (grader.memory, grader.processes, grader.jobs) == (512 * MiB, 100, 3)
    from autograder.service.policy import FeedbackPolicy
    serve = command("serve", "--FeedbackPolicy.attempts=2", "--jobs", "1")
    assert serve.configured(FeedbackPolicy, course.config).attempts == 2
    assert serve.configured(Grader, course.config).jobs == 1


@pytest.mark.parametrize("argv, said", [
    (("grade", "--bogus", "1"), "unknown option --bogus"),
    (("grade", "--Grader.nope=1"), "unknown option --Grader.nope"),
    (("grade", "--Hub.port=1"), "unknown option --Hub.port"),
    (("serve", "--show-hidden"), "unknown option --show-hidden"),
    (("sample-class", "a", "b"), "unexpected argument 'b'"),
])
def test_a_wrong_command_line_is_refused_in_one_line(argv, said, capsys):
    with pytest.raises(SystemExit) as exit:
        command(*argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2 and said in err and len(err.strip().splitlines()) == 1, err


def test_a_value_an_option_cannot_take_is_refused(capsys):
    with pytest.raises(SystemExit) as exit:
        command("grade", "--memory", "lots").configured(Grader)
    assert exit.value.code == 2 and "'memory' trait" in capsys.readouterr().err


def test_help_all_lists_every_option_of_every_command_with_its_help(capsys):
    for words, app in leaves():
        with pytest.raises(SystemExit):
            command(*words, "--help-all")
        shown = capsys.readouterr().out
        instance = app()
        for cls in instance._classes_with_config_traits():
            for name, trait in cls.class_traits(config=True).items():
                assert f"--{cls.__name__}.{name}=" in shown, (words, cls.__name__, name)
                assert trait.help or cls in (instance.__class__.__mro__), (words, cls.__name__, name)
        for target in instance.aliases.values():   # a short form's trait is listed, with its class's others
            assert f"--{target}=" in shown, (words, target)
        for name, trait in app.class_traits(config=True).items():   # the command's own options say what they do
            if name not in Command.class_trait_names(config=True):
                assert trait.help, (words, name)


# ---- every command line the README shows
PLACEHOLDERS = {"N": "2", "HOST:PORT": "127.0.0.1:8786", "HOST:8786": "127.0.0.1:8786"}


def readme_commands() -> list[list[str]]:
    """The words after `python -m autograder` of every such command the README shows, its brackets
    ([--jobs N]) opened, its placeholders given a value, a comment or a sentence after it cut."""
    text = (ROOT / "README.md").read_text()
    found = []
    for m in re.finditer(r"python -m autograder([^`#\"<\n]*)(<?)", text):
        words = [w for w in shlex.split(m[1].replace("[", " ").replace("]", " ")) if w != "..."]
        words = [PLACEHOLDERS.get(w, w) for w in words if "NAME" not in w]
        if m[2] and words and words[-1].startswith("--"):
            words.pop()   # `--course <the course folder>`: a value the README describes in words
        found.append(words)
    for m in re.finditer(r"HUB_ARGS=(\S+?)[`)\s]", text):
        found.append(["hub", m[1]])
    # and the command the hub's JupyterHub configuration runs as a service: its words, an expression as X
    hub = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    for m in re.finditer(r'\["python", "-m", "autograder", ([^\]]*)\]', hub):
        found.append([w[1:-1] if w.startswith('"') else "X" for w in re.split(r",\s*", m[1])])
    return found


def test_every_command_line_of_the_readme_parses():
    commands = readme_commands()
    assert len(commands) >= 20 and ["hub", "--Hub.port=8001"] in commands, commands
    assert ["serve", "--course", "X", "--jobs", "1"] in commands, commands
    for words in commands:
        if not words or words[0] not in Autograder.subcommands:
            continue   # the README names the launcher itself (`python -m autograder release | grade | ...`)
        app = command(*words)
        for cls in app.classes:
            if cls is not type(app):
                app.configured(cls)   # every value given takes


def test_every_make_target_of_the_readme_exists():
    text = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    # in code: a line of a code block, or `make ...` in the text
    named = {t for m in re.finditer(r"(?:^|`|sudo )make((?: [a-z][\w-]*)+)", text, re.M) for t in m[1].split()}
    assert {"demo", "test", "hub", "venv", "system"} <= named and named <= targets, named - targets


def test_no_disk_cap_without_the_caps_and_a_sized_tmp(monkeypatch):
    limits = Limits()
    monkeypatch.setattr(kernel_caps, "bwrap_has_size", lambda: True)
    assert held_limits(limits, "cgroup-v1", True) == limits
    assert held_limits(limits, None, True).disk_bytes == 0
    assert held_limits(limits, "cgroup-v1", False).disk_bytes == 0
    monkeypatch.setattr(kernel_caps, "bwrap_has_size", lambda: False)
    assert held_limits(limits, "cgroup-v1", True) == Limits(disk_bytes=0)

"""A sandboxed kernel's command, as the grader writes it into the kernelspec (sandbox.kernel_argv): the
sandbox itself, after a shell that moves itself into the kernel's control group and then becomes the
sandbox; no Python launcher. test_caps shows the caps holding on real kernels; here, quickly, the shell's
part: every folder of the group gets the pid that then runs the command, and a folder it cannot join
stops the kernel from starting at all."""
import subprocess
import sys

from autograder.grading.isolation import kernel_caps, sandbox
from autograder.grading.records import Limits


def spec(group=None, sandboxed=True):
    return sandbox.KernelSettings(sandbox=sandboxed, assignment="a", scratch="/x", limits=Limits(), group=group)


def test_a_sandboxed_kernel_starts_as_the_sandbox_itself_after_joining_its_group():
    group = kernel_caps.Group("cgroup1", ["/sys/fs/cgroup/memory/g", "/sys/fs/cgroup/pids/g"], Limits())
    argv = sandbox.kernel_argv(spec(group.to_json()), "/dev/shm/r/run/kernel.json")
    assert argv[:7] == ["sh", "-c", sandbox.JOIN, "sh", "2", *group.dirs]
    assert argv[7:] == sandbox.command(spec(group.to_json()), "/dev/shm/r/run/kernel.json")
    assert "autograder.grading.isolation.sandbox" not in " ".join(argv)
    assert sandbox.kernel_argv(spec(), "/r/kernel.json")[0] == "bwrap"   # no group: nothing to join


def test_without_the_sandbox_the_launcher_starts_the_kernel():
    settings = spec(sandboxed=False)
    assert sandbox.kernel_argv(settings, "/r/kernel.json")[1:] == \
        ["-m", "autograder.grading.isolation.sandbox", sandbox.SETTINGS_ARG + settings.encode(), "{connection_file}"]


def test_the_shell_joins_every_folder_of_the_group_with_the_pid_that_runs_the_command(tmp_path):
    dirs = [tmp_path / "memory", tmp_path / "pids"]
    for d in dirs:
        d.mkdir()
        (d / "cgroup.procs").write_text("")
    run = subprocess.run(["sh", "-c", sandbox.JOIN, "sh", "2", *map(str, dirs),
                          sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    pid = run.stdout.strip()
    assert [(d / "cgroup.procs").read_text().strip() for d in dirs] == [pid, pid]


def test_a_group_the_shell_cannot_join_starts_nothing(tmp_path):
    ran = tmp_path / "ran"
    run = subprocess.run(["sh", "-c", sandbox.JOIN, "sh", "1", str(tmp_path / "gone"), "touch", str(ran)],
                         capture_output=True, text=True)
    assert run.returncode == 125 and not ran.exists()

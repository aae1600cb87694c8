"""The hub's clean-up finds its accounts' processes still alive (deploy/leftovers.py, through psutil), a
zombie left out, and its proxy by its command line. Fast: one `sleep` as the account `nobody`."""
import os
import pwd
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from autograder.deploy import leftovers

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starts a process as another account")


def test_an_accounts_process_is_found_until_it_is_gone(tmp_path):
    nobody = pwd.getpwnam("nobody")
    run = SimpleNamespace(isolated=True, accounts=["nobody"], hub_dir=tmp_path)
    proc = subprocess.Popen(["sleep", "60"], user=nobody.pw_uid, group=nobody.pw_gid)
    try:
        assert proc.pid in leftovers.leftover_processes(run)
        assert leftovers.leftover_processes(SimpleNamespace(isolated=True, accounts=[], hub_dir=tmp_path)) == []
        proc.kill()
        deadline = time.monotonic() + 10
        while proc.pid in leftovers.leftover_processes(run) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.pid not in leftovers.leftover_processes(run), "a zombie is gone already"
    finally:
        proc.kill()
        proc.wait()


def test_the_proxy_is_found_by_its_command_line(tmp_path):
    run = SimpleNamespace(isolated=False, accounts=[], hub_dir=tmp_path)
    proxy = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "configurable-http-proxy"])
    other = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "proxy.pid").write_text(f"{proxy.pid}\n")
        assert leftovers.leftover_processes(run) == [proxy.pid]
        (tmp_path / "proxy.pid").write_text(f"{other.pid}\n")   # a pid reused by something else
        assert leftovers.leftover_processes(run) == []
    finally:
        for p in (proxy, other):
            p.kill()
            p.wait()

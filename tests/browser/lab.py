"""A JupyterLab server from the project's environment, and Debian's Chromium driven by Playwright.

Both run on this machine only: the server listens on localhost on a free port with a random token;
Chromium is /usr/bin/chromium (Playwright never downloads a browser here) with a fresh profile and
its background traffic switched off (a closed network refuses it, and a test must not depend on it).
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from autograder.deploy.hub import free_port  # one home for it: the hub's ports too

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# JupyterLab user settings for the test session: no news prompt, no update check, every cell rendered
# (by default JupyterLab 4 skips rendering cells outside the window, so their text is empty), and the
# notebook's own kernel started without asking (on a busy machine the kernel list comes late and
# JupyterLab asks "Select Kernel" after the page looked ready: the dialog then blocks the next click).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                    "autoStartDefaultKernel": True},
}


@dataclass
class Lab:
    """A running JupyterLab: its base URL, token, served folder and process."""
    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def lab_url(self, path: str) -> str:
        """The URL that opens a notebook in a fresh workspace (no tabs restored from an earlier page)."""
        return f"{self.url}lab/workspaces/{secrets.token_hex(4)}/tree/{path}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> dict | list:
        """Call a server endpoint (api/status, api/kernels, ...); its JSON answer."""
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"{}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_lab(root: Path, state: Path, timeout: float = 90) -> Lab:
    """Start `jupyter lab` serving root (state: a scratch folder for its settings, workspaces, log);
    return once it answers. The server runs in root, so nbgrader reads root/nbgrader_config.py."""
    for name, value in SETTINGS.items():
        path = state / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).parent / "jupyter"  # the project's environment, as `make test` runs it
    cmd = [str(jupyter), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           f"--LabApp.user_settings_dir={state / 'settings'}", f"--LabApp.workspaces_dir={state / 'workspaces'}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    # Jupyter's per-user folders go to scratch (the user's own config and data stay out of the test)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"), JUPYTER_CONFIG_DIR=str(state / "config"),
               JUPYTER_DATA_DIR=str(state / "data"),
               PATH=str(jupyter.parent) + os.pathsep + os.environ.get("PATH", ""))
    log = state / "jupyter-lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}/", token, root, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            lab.api("api/status")
            return lab
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    lab.stop()
    raise TimeoutError(f"jupyter lab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def launch_chromium(playwright, profile: Path):
    """A headless Chromium context with a fresh profile (the caller closes it)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: run `make system` (installs Debian's chromium)")
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, service_workers="block")

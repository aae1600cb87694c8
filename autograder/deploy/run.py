"""One run of the course's hub: what the launcher (`python -m autograder hub`, deploy/hub.py) decided,
and where everything of it lives. The launcher writes it to `run.json` in JupyterHub's working folder
(`<state>/hub/`, root's alone: it holds the password); hub/jupyterhub_config.py reads it there.

The state folder (`Hub.state_dir`, outside the checkout) holds what the accounts use, with these owners
and modes, so that a checkout in a closed folder (a 0700 home, /root, `mktemp -d`) serves as well:

    <state>/                     root 0755
      hub/                       root 0700   run.json, password, JupyterHub's database and cookie secret,
                                             the proxy's pid file, jupyterhub.log
      exchange/                  root 1777   nbgrader's exchange
      envs/student/              root 0755   the students' environment (the student distribution)
      envs/instructor/           root:<instructor's group> 0750   the instructor's (the project's
                                             requirements; `autograder` from the course in their home)
      jupyter/<role>/            root 0755   the Jupyter configuration of each role
"""
from __future__ import annotations

import json
import os
import pwd
from dataclasses import asdict, dataclass
from pathlib import Path

from ..paths import COURSE_ID

RUN_FILE = "run.json"
ROLES = ("student", "instructor")


@dataclass(frozen=True)
class HubRun:
    """The accounts, ports and places of one hub run."""
    port: int                           # the hub's public port on 127.0.0.1
    state: str                          # the state folder
    instructor: str                     # account names
    students: tuple[str, ...]
    password: str                       # one for every account (SharedPasswordAuthenticator)
    proxy: str = ""                     # configurable-http-proxy's command
    isolated: bool = True               # False: Hub.single_account (every server as one Unix user)
    feedback_service: bool = True       # `python -m autograder serve` as a hub service
    hub_port: int = 0
    proxy_api_port: int = 0
    cgroups: str = ""                   # the cgroup version of the accounts' delegated groups ("": none)

    # --- places -----------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return Path(self.state)

    @property
    def hub_dir(self) -> Path:
        """JupyterHub's working folder: root's alone."""
        return self.folder / "hub"

    @property
    def exchange(self) -> Path:
        return self.folder / "exchange"

    def env(self, role: str) -> Path:
        return self.folder / "envs" / role

    def config_dir(self, role: str) -> Path:
        """The Jupyter configuration folder (JUPYTER_CONFIG_PATH) of that role's servers and shells."""
        return self.folder / "jupyter" / role

    @property
    def data(self) -> Path:
        """Where the notebooks find their data (CNN_STUDENT_DATA): the exchange hands out notebooks only."""
        return self.env("student") / "share" / "cnn-inside-data"

    def role(self, user: str) -> str:
        return "instructor" if user == self.instructor else "student"

    def home(self, user: str) -> Path:
        if not self.isolated:
            return self.folder / "homes" / user
        return Path(pwd.getpwnam(user).pw_dir)

    def course(self) -> Path:
        return self.home(self.instructor) / COURSE_ID

    @property
    def service_log(self) -> Path:
        """The grading service's log, the instructor's to read."""
        return self.course() / "autograder-serve.log"

    @property
    def accounts(self) -> list[str]:
        return [self.instructor, *self.students]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def environment(self, user: str) -> dict[str, str]:
        """What a server, a terminal and a login shell of that account have (~/.profile sets the same)."""
        role = self.role(user)
        return {"PATH": f"{self.env(role) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                "JUPYTER_CONFIG_PATH": str(self.config_dir(role)),
                "CNN_STUDENT_DATA": str(self.data)}

    # --- run.json ---------------------------------------------------------------------------------
    def write(self) -> Path:
        path = self.hub_dir / RUN_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(self), out, indent=1)
        return path

    @classmethod
    def read(cls, path: Path) -> "HubRun":
        if not path.is_file():
            raise SystemExit(f"{path} is missing: start the hub with `python -m autograder hub` (it prepares "
                             "the machine and writes it), or run jupyterhub in the state folder's hub/ after that")
        data = json.loads(path.read_text())
        return cls(**dict(data, students=tuple(data["students"])))

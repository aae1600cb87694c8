# JupyterHub's configuration for the course cnn-inside on one machine (the hub `make hub` starts).
#
# `python -m autograder hub` (autograder/deploy/hub.py) prepares the machine as root: the accounts, the
# state folder (exchange, the students' and the instructor's environments, each role's Jupyter
# configuration), the instructor's course, each account's ~/.profile and control group. It then runs
# `jupyterhub -f hub/jupyterhub_config.py` in `<state folder>/hub/`, JupyterHub's working folder (root's
# alone), where JupyterHub keeps its database and cookie secret. What changes from run to run (ports,
# the state folder, the accounts, the password) is in run.json there, written by the launcher with mode
# 0600, so that the password is on no command line; this file reads it and says everything else.
# Edit it as on The Littlest JupyterHub (README, "The class on a JupyterHub").
import os
import shlex
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the checkout this file is in
from autograder.deploy.run import HubRun  # noqa: E402

c = get_config()  # noqa: F821
run = HubRun.read(Path.cwd() / "run.json")
state = run.hub_dir

# --- where it listens: this machine only -----------------------------------------------------------
c.JupyterHub.bind_url = run.url
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{run.hub_port}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{run.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [run.proxy]          # configurable-http-proxy from npm (hub/node/)
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True     # stopping the hub stops every server ...
c.JupyterHub.cleanup_proxy = True       # ... and the proxy

# --- who logs in: the run's accounts, one shared password (a demo; PAM or your institution's login for a class)
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = run.password
c.Authenticator.allowed_users = set(run.accounts)

# --- each person's server: JupyterLab as their own Unix account, from their role's environment -------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.env_keep = ["LANG"]           # nothing of the hub's own environment reaches the servers
c.Spawner.args = ["--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
# a server that died is noticed within 10 s (JupyterHub's default: 30), so that its student can start it
# again from the hub's home page sooner; one cheap check per running server
c.Spawner.poll_interval = 10
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# stopping: SIGINT, then SIGTERM after 5 s, SIGKILL after 5 more (JupyterHub's defaults, 30 + 30 s, would
# keep the hub from stopping within the 30 s an administrator expects)
c.LocalProcessSpawner.interrupt_timeout = 5
c.LocalProcessSpawner.term_timeout = 5
c.LocalProcessSpawner.kill_timeout = 2
if run.isolated:
    # in the account's login shell, so that the server has what its terminals have: ~/.profile puts the
    # role's environment on PATH with its Jupyter configuration, and moves it into the control group the
    # hub delegated to the account (for the instructor: grade's memory and process caps)
    c.LocalProcessSpawner.shell_cmd = ["bash", "-l", "-c"]
else:   # --single-account: every server as this Unix user, with a home of its own in the state folder
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(run.folder / "homes" / "{username}")
    if os.geteuid() == 0:
        c.Spawner.args = [*c.Spawner.args, "--allow-root"]


def per_role(spawner) -> None:
    """The role's jupyterhub-singleuser, and the environment ~/.profile also sets (the one place for it
    in the single-account mode, where the accounts share one ~/.profile)."""
    user = spawner.user.name
    spawner.cmd = [str(run.env(run.role(user)) / "bin" / "jupyterhub-singleuser")]
    spawner.environment = run.environment(user)


c.Spawner.pre_spawn_hook = per_role

# --- the grading service: graded feedback seconds after each submission (README, "Feedback after each
# submission"). JupyterHub starts it as the instructor, in their login shell (their environment and
# control group: the grader's sandbox and caps need no root), restarts it if it dies and stops it with
# itself. It needs nothing of the hub's API: no URL, no token, no role. Its log is the instructor's.
if run.feedback_service:
    course = run.course()
    serve = ["python", "-m", "autograder", "serve", "--course", str(course), "--jobs", "1"]
    c.JupyterHub.services = [{
        "name": "autograder-feedback",
        "user": run.instructor,
        "cwd": str(course),
        "command": ["bash", "-l", "-c", f"exec {shlex.join(serve)} >> {shlex.quote(str(run.service_log))} 2>&1"],
        "environment": {"LANG": "C.UTF-8"},
    }]

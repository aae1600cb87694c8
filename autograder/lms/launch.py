"""The hub's LTI 1.3 login: JupyterHub's own jupyterhub-ltiauthenticator (LTI13Authenticator: the OpenID
Connect login, the id_token's signature against the platform's key set, its expiry, audience, nonce and
state), with what a course needs on top:

- one place for the settings: LTITool (settings.py), from which the authenticator's own are set;
- the deployment: a launch of any deployment but the registered ones is refused (the library reads
  the claim but does not check it);
- the role: the LMS's instructor role logs in as the course's instructor account, the learner role as
  the student's own account, any other role is refused: nothing else gives the instructor's rights;
- the account: made once from the LMS identity (accounts.py, kept in the launch records), created as a
  Unix account on the first launch (LocalAuthenticator, as root: the hub runs as root), private home;
- a launch is used once: its nonce is recorded, a second use is refused even with the browser's cookies;
- every refusal is a page that says what happened and what to do, not a bare "400: Bad Request";
- the tool's key set at /hub/lti13/jwks, which the LMS verifies the passback's token requests with.

This module is imported by the hub's jupyterhub_config.py only (it needs jupyterhub and the library).
"""
from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any, Optional

from jupyterhub import orm
from jupyterhub.auth import LocalAuthenticator
from jupyterhub.handlers import BaseHandler
from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION, WorkspacesManager, slugify
from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.error import ValidationError
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler, LTI13LoginInitHandler
from tornado import web
from traitlets import default

from .accounts import role_of
from .keys import key_set
from .settings import LTITool
from .store import DEPLOYMENT_CLAIM, LaunchRecords

ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
# where a launch lands (the target link URI: HUB/hub/user-redirect/lab/workspaces/assignments): a
# JupyterLab workspace of its own with nbgrader's Assignments tab open, restored by JupyterLab's layout
# restorer (the tab's tracker is "nbgrader-assignment-list", its one widget named the same)
WORKSPACE = "assignments"
ASSIGNMENTS_TAB = "nbgrader-assignment-list:nbgrader-assignment-list"
LANDING = {"data": {"layout-restorer:data": {"main": {"dock": {"type": "tab-area", "currentIndex": 0,
                                                                "widgets": [ASSIGNMENTS_TAB]},
                                                       "current": ASSIGNMENTS_TAB},
                                              "left": {"collapsed": False, "visible": True, "current": "filebrowser",
                                                       "widgets": ["filebrowser", "running-sessions", "table-of-contents"]}},
                    ASSIGNMENTS_TAB: {"data": {}}},
           "metadata": {"id": WORKSPACE}}
AGAIN = "Go back to your course in the LMS and open the link to this course again."
# what the library's and PyJWT's refusals mean, in words a student can act on
EXPLAINED = (
    (("expired", "too long ago", "not yet valid", "iat"),
     "This launch has expired: your LMS signed it more than a few minutes ago. " + AGAIN),
    (("signature", "signing key", "alg", "segments", "kid", "header", "decode"),
     "This launch is not signed by your LMS: its signature does not match the keys your LMS publishes, so "
     "it was refused. " + AGAIN),
    (("cookie", "state", "nonce"),
     "This launch was already used, or it did not start in this browser: each launch works once. " + AGAIN),
    (("audience", "azp"),
     "This launch is meant for another tool (its client id is not this hub's). Ask your instructor to check "
     "the course's link to this hub."),
    (("issuer",),
     "This launch comes from another LMS than the one this hub is registered with. " + AGAIN),
)


def refused(status: int, message: str) -> web.HTTPError:
    """An HTTP error whose page (JupyterHub's error.html) says `message` under the heading "Launch refused"."""
    err = web.HTTPError(status, message, reason="Launch refused")
    err.jupyterhub_message = message     # what JupyterHub's write_error shows instead of the bare reason
    return err


def explain(detail: str) -> str:
    """The sentence for a refused launch, with the technical reason after it (for the instructor)."""
    low = detail.lower()
    for words, sentence in EXPLAINED:
        if any(w in low for w in words):
            return f"{sentence} (Reason: {detail}.)"
    return f"This is not a valid LTI 1.3 launch, so it was refused. {AGAIN} (Reason: {detail}.)"


class LoginHandler(LTI13LoginInitHandler):
    """Step 1, the LMS's login initiation: the library's, after checking it is for this registration."""

    def post(self) -> None:
        tool: LTITool = self.authenticator.tool
        iss = self.get_argument("iss", "")
        if not iss:
            raise refused(400, "This hub is opened from your LMS: go to your course in the LMS and follow its "
                               "link to this course (this page cannot log you in by itself).")
        if iss != tool.issuer:
            raise refused(403, explain(f"issuer {iss!r} is not {tool.issuer!r}"))
        client = self.get_argument("client_id", "")
        if client and client != tool.client_id:
            raise refused(403, explain(f"audience: client id {client!r} is not this hub's"))
        deployment = self.get_argument("lti_deployment_id", "")
        if deployment and deployment not in tool.deployment_ids:
            raise refused(403, wrong_deployment(deployment))
        super().post()

    get = post


class CallbackHandler(LTI13CallbackHandler):
    """Step 3, the signed launch: the library validates it; a refusal gets a page that explains it."""

    def decode_and_validate_launch_request(self) -> dict:
        try:
            return super().decode_and_validate_launch_request()
        except ValidationError as err:
            raise refused(400, explain(str(err))) from err
        except web.HTTPError as err:
            if getattr(err, "jupyterhub_message", None):
                raise
            raise refused(err.status_code, explain(err.log_message or err.reason or str(err))) from err


class KeySetHandler(BaseHandler):
    """The tool's public key set (what the LMS verifies the passback's token requests with)."""

    def get(self) -> None:
        pem = Path(self.authenticator.tool.tool_key_file).read_text()
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(key_set(pem)))


def ensure_landing(username: str) -> Optional[Path]:
    """The `assignments` JupyterLab workspace in that account's ~/.jupyter/lab/workspaces (written by
    jupyterlab_server's own WorkspacesManager, then given to the account), unless it is there."""
    account = pwd.getpwnam(username)
    folder = Path(account.pw_dir) / ".jupyter" / "lab" / "workspaces"
    if (folder / f"{slugify(WORKSPACE)}{WORKSPACE_EXTENSION}").exists():
        return None
    path = WorkspacesManager(path=str(folder)).save(WORKSPACE, json.dumps(LANDING))
    for made in (folder.parent.parent, folder.parent, folder, path):   # ~/.jupyter and below: theirs
        os.chown(made, account.pw_uid, account.pw_gid)
    return path


def wrong_deployment(deployment: str) -> str:
    return (f"This launch comes from an LMS deployment this hub does not accept ({deployment}). Ask your "
            "instructor to add this hub to the course from the tool registered for it, or the hub's "
            "administrator to add the deployment id to LTITool.deployment_ids.")


class CourseLTIAuthenticator(LTI13Authenticator, LocalAuthenticator):
    """LTI 1.3 logins for the course (see the module's docstring)."""

    login_handler = LoginHandler
    callback_handler = CallbackHandler

    @default("allow_all")
    def _allow_all(self) -> bool:
        return True     # who may log in is the LMS's (deployment and role are checked in authenticate)

    @default("create_system_users")
    def _create_system_users(self) -> bool:
        return True

    @default("add_user_cmd")
    def _add_user_cmd(self) -> list[str]:
        return ["useradd", "--create-home", "--shell", "/bin/bash"]

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.tool = LTITool(parent=self)
        missing = self.tool.missing("launch")
        if missing:
            raise ValueError(f"LTI launch settings missing: {', '.join(missing)} (README, 'From an LMS: LTI 1.3')")
        self.issuer, self.client_id = self.tool.issuer, {self.tool.client_id}
        self.authorize_url, self.jwks_endpoint = self.tool.authorize_url, self.tool.key_set_url
        try:     # the passback, run as the instructor, reads the records through the instructor's group
            group = pwd.getpwnam(self.tool.instructor_account).pw_gid
        except KeyError:
            group = -1
        self.records = LaunchRecords(Path(self.tool.records), group=group)

    def get_handlers(self, app: Any) -> list:
        return [*super().get_handlers(app), ("/lti13/jwks", KeySetHandler)]

    def taken(self, handler: Any) -> Any:
        """Whether a name is not free for a new student: a Unix account, the instructor's, a hub user."""
        def check(name: str) -> bool:
            if name == self.tool.instructor_account or orm.User.find(handler.db, name) is not None:
                return True
            try:
                pwd.getpwnam(name)
            except KeyError:
                return False
            return True
        return check

    async def authenticate(self, handler: Any, data: Optional[dict] = None) -> dict:
        """The account of a validated launch (`data`: the id_token's claims), or a refusal page."""
        claims = data or {}
        deployment = str(claims.get(DEPLOYMENT_CLAIM, ""))
        if deployment not in self.tool.deployment_ids:
            raise refused(403, wrong_deployment(deployment))
        role = role_of(list(claims.get(ROLES_CLAIM) or []), self.tool.instructor_roles, self.tool.learner_roles)
        if role is None:
            raise refused(403, "Your role in this LMS course gives no account on this hub: it is for the course's "
                               "students and instructors. If you should have one, ask your instructor.")
        if not self.records.first_use(str(claims.get("nonce", "")), float(claims.get("exp", 0))):
            raise refused(400, explain("nonce already used: a replayed launch"))
        self.records.grade_service(claims)
        if role == "instructor":
            return {"name": self.tool.instructor_account, "auth_state": None}
        person = self.records.student(claims, self.tool.username_prefix, self.taken(handler))
        self.log.info("LTI launch of %s (%s) as %s", person.subject, person.email or person.name, person.username)
        return {"name": person.username, "auth_state": None}

    def pre_spawn_start(self, user: Any, spawner: Any) -> None:
        """Before a server starts: the landing workspace in the account's JupyterLab settings, if it has
        none (JupyterLab keeps the student's changes to it from then on)."""
        ensure_landing(user.name)

    def add_system_user(self, user: Any) -> None:
        """useradd (LocalAuthenticator), then the home made private as the hub's other accounts' are."""
        super().add_system_user(user)
        os.chmod(pwd.getpwnam(user.name).pw_dir, 0o700)

"""The LTI settings, declared once.

`LTITool` is the registration: the values an LMS administrator gets when they register this hub as an
LTI 1.3 tool (issuer, client id, deployment ids, the platform's endpoints) and the tool's own key. It is
read by the hub's authenticator (launch.py) and by the passback (passback.py), from one file the hub's
administrator writes (README, "From an LMS: LTI 1.3"):

    c.LTITool.issuer = "https://canvas.instructure.com"
    c.LTITool.client_id = "10000000000042"
    c.LTITool.deployment_ids = ["42:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"]
    c.LTITool.authorize_url = "https://sso.canvaslms.com/api/lti/authorize_redirect"
    c.LTITool.key_set_url = "https://sso.canvaslms.com/api/lti/security/jwks"
    c.LTITool.token_url = "https://sso.canvaslms.com/login/oauth2/token"

`GradePassback` is how the course sends its scores (the course's nbgrader_config.py): how often, how
long to wait for the LMS, how to back off when it does not answer.
"""
from __future__ import annotations

from pathlib import Path

from traitlets import Float, List, Unicode
from traitlets.config import Config, Configurable, PyFileConfigLoader

# LTI 1.3 context roles (LIS vocabulary); only these two lead to an account
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


class LTITool(Configurable):
    """This hub as an LTI 1.3 tool of one LMS registration."""

    issuer = Unicode("", help="the platform's issuer (iss), as the LMS gives it: https://canvas.instructure.com "
                              "for Canvas cloud, the site's URL for Moodle").tag(config=True)
    client_id = Unicode("", help="the client id the LMS gave this tool when it was registered (Canvas: the "
                                 "developer key's id; Moodle: the tool's Client ID)").tag(config=True)
    deployment_ids = List(Unicode(), help="the deployment ids whose launches are accepted (Canvas: shown when the "
                                          "tool is added to the course or account; Moodle: the tool's Deployment "
                                          "ID); a launch for any other deployment is refused").tag(config=True)
    authorize_url = Unicode("", help="the platform's OpenID Connect authentication endpoint (where the tool "
                                     "sends the browser back to get the signed launch)").tag(config=True)
    key_set_url = Unicode("", help="the platform's public key set (JWKS) URL: launches must be signed by one of "
                                   "its keys").tag(config=True)
    token_url = Unicode("", help="the platform's OAuth 2 access token URL (for posting scores)").tag(config=True)
    token_audience = Unicode("", help="the audience of the tool's token request, when the platform wants another "
                                      "than token_url (Brightspace); empty: token_url").tag(config=True)
    tool_key_file = Unicode("", help="the tool's private RSA key (PEM), which signs its token requests; its "
                                     "public half is the tool's key set, served at /hub/lti13/jwks").tag(config=True)
    records = Unicode("", help="the launch records (SQLite): who arrived from the LMS under which account, and "
                               "each LMS course's grade service; written by the hub, read by the "
                               "passback").tag(config=True)
    instructor_roles = List(Unicode(), [INSTRUCTOR],
                            help="LTI context roles that log in as the course's instructor account; no other "
                                 "role gives the instructor's rights").tag(config=True)
    learner_roles = List(Unicode(), [LEARNER], help="LTI context roles that log in as a student").tag(config=True)
    instructor_account = Unicode("instructor", help="the Unix account an LMS instructor logs in as").tag(config=True)
    username_prefix = Unicode("", help="what every student account made from an LMS identity begins with "
                                       "(letters, digits, '-' or '_')").tag(config=True)

    def missing(self, purpose: str) -> list[str]:
        """The settings a 'launch' or a 'passback' cannot do without, by name, if unset."""
        needed = {"launch": ("issuer", "client_id", "deployment_ids", "authorize_url", "key_set_url", "records"),
                  "passback": ("issuer", "client_id", "token_url", "tool_key_file", "records")}[purpose]
        return [f"LTITool.{name}" for name in needed if not getattr(self, name)]


class GradePassback(Configurable):
    """How the course's scores go to the LMS (`python -m autograder lms passback`)."""

    every_seconds = Float(60.0, help="with --every: seconds between two passes (each reads the gradebook and "
                                     "posts what changed)").tag(config=True)
    timeout_seconds = Float(10.0, help="seconds to wait for an answer of the LMS before the post is retried "
                                       "later").tag(config=True)
    backoff_seconds = Float(30.0, help="wait before the first retry of a post that failed; doubled at each "
                                       "failure").tag(config=True)
    max_backoff_seconds = Float(3600.0, help="the longest wait between two retries").tag(config=True)


def read_config(path: Path) -> Config:
    """A traitlets config file (Python, `c.LTITool.issuer = ...`), as JupyterHub and nbgrader read theirs."""
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()

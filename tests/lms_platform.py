"""A stand-in LMS for the tests (no LMS installs here), built on lti1p3platform, a platform-side LTI 1.3
library: it signs launches with its own RSA key and serves its key set, runs the OpenID Connect login
(third-party initiated login, then the signed id_token posted to the tool), and implements Assignment
and Grade Services (access tokens for the tool's signed client assertion, line items, scores, results),
keeping every score it receives. Tornado (already here for Jupyter), in a thread, on 127.0.0.1.

Its pages: `/` lists the course's people, each with a link that launches the tool as them (what a
student clicks in their LMS course); `/gradebook` is the LMS gradebook (line items x students).

For the bad-input tests: `fail(n, how)` makes the next n grade-service requests time out or fail with
HTTP 500; `sign(claims, ...)` signs any claims, with the platform's key or another, as the tests need.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import jwt
from jinja2 import Template
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, TPage
from lti1p3platform.exceptions import LineItemNotFoundException
import tornado.web
from tornado.httpserver import HTTPServer

from autograder.lms.settings import INSTRUCTOR, LEARNER

ROLES = {"student": [LEARNER], "instructor": [INSTRUCTOR],
         "mentor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]}
ACTIVITY = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}

PAGE = Template("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>{{ body }}</main></body></html>""")
FORM = Template("""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Launching the tool</title></head>
<body><form method="post" action="{{ action }}" id="launch"><input type="hidden" name="id_token" value="{{ id_token }}">
<input type="hidden" name="state" value="{{ state }}"><noscript><button type="submit">Continue to the tool</button></noscript>
</form><script>document.getElementById('launch').submit()</script></body></html>""")


@dataclass
class Member:
    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    role: str = "student"


@dataclass
class Course:
    """What the stand-in keeps of its one course: members, line items, every score received."""
    context_id: str = "cnn-course-1"
    title: str = "CNNs from the inside (LMS course)"
    members: dict[str, Member] = field(default_factory=dict)
    line_items: dict[str, dict] = field(default_factory=dict)        # id (URL) -> line item
    scores: dict[tuple[str, str], dict] = field(default_factory=dict)  # (line item id, user) -> latest score
    received: list[dict] = field(default_factory=list)                # every score post, as received
    duplicates: int = 0                                                # posts repeating a timestamp


def tornado_request(handler: tornado.web.RequestHandler) -> Request:
    class _Req(Request):
        def build_metadata(self, req: Any) -> dict:
            body = req.body or b""
            is_json = "json" in req.headers.get("Content-Type", "")
            return {"method": req.method, "headers": req.headers, "path": req.path,
                    "content_type": req.headers.get("Content-Type"),
                    "form_data": {k: v[0].decode() for k, v in req.body_arguments.items()},
                    "get_data": {k: v[0].decode() for k, v in req.query_arguments.items()},
                    "json": json.loads(body) if is_json and body else None}
    return _Req(handler.request)


class Platform:
    """The stand-in LMS: its keys, its registration of the tool and its course."""

    def __init__(self, port: int, client_id: str = "cnn-inside-tool", deployment_id: str = "deployment-1"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.issuer = self.url
        self.client_id, self.deployment_id = client_id, deployment_id
        self.key = JWK.generate(kty="RSA", size=2048)
        self.private_pem = self.key.export_to_pem(private_key=True, password=None).decode()
        self.public_pem = self.key.export_to_pem().decode()
        self.course = Course()
        self.tool_login_url = self.tool_launch_url = self.target_link_uri = ""
        self.tool_key_set: Optional[dict] = None
        self.tool_key_set_url = ""
        self.faults: list[str] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.server: Optional[HTTPServer] = None

    # ---------- what the tests set up
    def register_tool(self, login_url: str, launch_url: str, target_link_uri: str,
                      key_set_url: str = "", key_set: Optional[dict] = None) -> None:
        """The LMS administrator's registration of the tool: its URLs and its key set (URL or value)."""
        self.tool_login_url, self.tool_launch_url, self.target_link_uri = login_url, launch_url, target_link_uri
        self.tool_key_set_url, self.tool_key_set = key_set_url, key_set

    def enrol(self, sub: str, given: str, family: str, role: str = "student", email: str = "") -> Member:
        email = email or f"{given}.{family}@example.edu".lower()
        member = Member(sub, f"{given} {family}", given, family, email, role)
        self.course.members[sub] = member
        return member

    def fail(self, n: int, how: str = "timeout", delay: float = 3.0, after: int = 0) -> None:
        """After `after` good ones, the next n grade-service requests (token, line items, scores) time
        out (answered after `delay` s, and then carried out, as a slow LMS does) or fail with HTTP 500."""
        with self.lock:
            self.faults = ["ok"] * after + [how] * n
            self.delay = delay

    def gradebook(self) -> dict[tuple[str, str], float]:
        """(line item label, user) -> scoreGiven: what the LMS gradebook shows."""
        with self.lock:
            return self._gradebook()

    def _gradebook(self) -> dict[tuple[str, str], float]:
        labels = {i: item["label"] for i, item in self.course.line_items.items()}
        return {(labels[item], user): s["scoreGiven"] for (item, user), s in self.course.scores.items()}

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/ags/{self.course.context_id}/lineitems"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    @property
    def key_set_url(self) -> str:
        return f"{self.url}/jwks"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def launch_link(self, sub: str) -> str:
        return f"{self.url}/launch?user={sub}"

    def claims(self, member: Member, nonce: str, deployment_id: Optional[str] = None, **extra: Any) -> dict:
        """The claims of a resource link launch as `member` (what the library's launch signs)."""
        now = int(time.time())
        base = {
            "iss": self.issuer, "aud": self.client_id, "azp": self.client_id, "sub": member.sub, "nonce": nonce,
            "iat": now, "exp": now + 300, "name": member.name, "given_name": member.given_name,
            "family_name": member.family_name, "email": member.email,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": deployment_id or self.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": self.target_link_uri,
            "https://purl.imsglobal.org/spec/lti/claim/roles": ROLES[member.role],
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "cnn-link-1", "title": "CNNs from the inside"},
            "https://purl.imsglobal.org/spec/lti/claim/context": {"id": self.course.context_id, "label": "CNN",
                                                                 "title": self.course.title},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                          "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "lineitems": self.lineitems_url},
        }
        base.update(extra)
        return base

    def sign(self, claims: dict, key_pem: Optional[str] = None, alg: str = "RS256", kid: Optional[str] = None) -> str:
        """Claims signed as a launch: by the platform's key unless another is given; alg 'none' unsigned."""
        if alg == "none":
            return jwt.encode(claims, None, algorithm="none")
        pem = key_pem or self.private_pem
        kid = kid or JWK.from_pem(pem.encode()).thumbprint()
        return jwt.encode(claims, pem, algorithm=alg, headers={"kid": kid})

    # ---------- lti1p3platform's configuration
    def config(self) -> "Config":
        return Config(platform=self)

    # ---------- running
    def start(self) -> "Platform":
        ready = threading.Event()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.server = HTTPServer(make_app(self))
            self.server.listen(self.port, address="127.0.0.1")
            ready.set()
            self.loop.run_forever()
            self.loop.close()

        threading.Thread(target=run, daemon=True, name="stand-in-lms").start()
        if not ready.wait(10):
            raise RuntimeError("the stand-in LMS did not start")
        return self

    def stop(self) -> None:
        if self.loop is not None:
            def halt() -> None:
                assert self.server is not None
                self.server.stop()
                self.loop.stop()
            self.loop.call_soon_threadsafe(halt)


class Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, platform: Platform) -> None:
        self.platform = platform

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        p = self.platform
        reg = (Registration().set_iss(p.issuer).set_client_id(p.client_id).set_deployment_id(p.deployment_id)
               .set_oidc_login_url(p.tool_login_url).set_launch_url(p.target_link_uri)
               .set_platform_public_key(p.public_pem).set_platform_private_key(p.private_pem))
        if p.tool_key_set:
            reg.set_tool_key_set(p.tool_key_set)
        else:
            reg.set_tool_key_set_url(p.tool_key_set_url)
        return reg


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def get_preflight_response(self) -> dict:
        return self._request.get_data

    def render_launch_form(self, launch_data: dict, **kwargs: Any) -> str:
        return FORM.render(action=launch_data["launch_url"], id_token=launch_data["id_token"], state=launch_data["state"])


class Grades(AssignmentsGradesService):
    """The grade services of the stand-in's course, over its in-memory gradebook."""

    def __init__(self, request: Request, platform: Platform, config: Config):
        super().__init__(request, config, platform.lineitems_url)
        self.platform = platform

    def find_lineitems(self, page: int = 1, limit: Optional[int] = None, line_item_id: Optional[str] = None,
                       resource_link_id: Optional[str] = None, resource_id: Optional[str] = None,
                       tag: Optional[str] = None) -> TPage:
        items = [i for i in self.platform.course.line_items.values()
                 if (tag is None or i.get("tag") == tag) and (resource_id is None or i.get("resourceId") == resource_id)]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> dict:
        try:
            return self.platform.course.line_items[line_item_id]
        except KeyError:
            raise LineItemNotFoundException(line_item_id)

    def create_lineitem(self, creation_data: dict) -> dict:
        items = self.platform.course.line_items
        item = dict(creation_data, id=f"{self.platform.lineitems_url}/{len(items) + 1}")
        items[item["id"]] = item
        return item

    def update_lineitem(self, update_data: dict) -> dict:
        self.find_lineitem(update_data["id"]).update(update_data)
        return self.platform.course.line_items[update_data["id"]]

    def delete_lineitem(self, line_item_id: str) -> None:
        self.platform.course.line_items.pop(self.find_lineitem(line_item_id)["id"])

    def update_score(self, line_item_id: str, score: dict) -> UpdateScoreStatus:
        """AGS's rules for a score: a known user, numbers, both progress values, a timestamp; one with
        an older timestamp than the last is not applied, one with the same timestamp is the same score."""
        self.find_lineitem(line_item_id)
        course = self.platform.course
        problems = [k for k in ("userId", "timestamp", "activityProgress", "gradingProgress") if k not in score]
        if score.get("userId") not in course.members or score.get("activityProgress") not in ACTIVITY \
                or score.get("gradingProgress") not in GRADING or problems:
            raise ValueError(f"invalid score {score}")
        course.received.append(dict(score, lineItem=line_item_id))
        last = course.scores.get((line_item_id, score["userId"]))
        if last is not None and last["timestamp"] == score["timestamp"]:
            course.duplicates += 1
            return UpdateScoreStatus.SUCCESS
        if last is not None and last["timestamp"] > score["timestamp"]:
            return UpdateScoreStatus.OLD_TIMESTAMP
        course.scores[(line_item_id, score["userId"])] = score
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page: int = 1, limit: Optional[int] = None,
                    user_id: Optional[str] = None) -> TPage:
        found = [{"userId": u, "resultScore": s["scoreGiven"], "resultMaximum": s["scoreMaximum"]}
                 for (i, u), s in self.platform.course.scores.items() if i == line_item_id]
        return {"content": found, "has_next": False, "next": None}


# ---------- the web application
class Base(tornado.web.RequestHandler):
    @property
    def platform(self) -> Platform:
        return self.application.settings["platform"]

    def check_xsrf_cookie(self) -> None:   # LTI posts come from the tool's server and browser
        return

    async def fault(self) -> bool:
        """Apply the next injected fault, if any; True if the request was answered by it."""
        with self.platform.lock:
            how = self.platform.faults.pop(0) if self.platform.faults else None
        if how == "timeout":
            await asyncio.sleep(self.platform.delay)
        if how == "500":
            self.set_status(500)
            self.finish("stand-in LMS: injected failure")
            return True
        return False

    def reply(self, response: Any) -> None:
        self.set_status(response.code)
        result = response.result
        if isinstance(result, dict) and "content" in result and "has_next" in result:
            result = result["content"]     # a page of a container: its items, as AGS lists them
        self.set_header("Content-Type", response.media_type)
        self.finish(json.dumps(result) if result is not None else b"")


class Home(Base):
    def get(self) -> None:
        p = self.platform
        rows = "".join(f"<li><a href='/launch?user={m.sub}'>Open the course tool as {m.name} ({m.role})</a></li>"
                       for m in p.course.members.values())
        self.finish(PAGE.render(title=p.course.title, body=f"<ul>{rows}</ul><p><a href='/gradebook'>Gradebook</a></p>"))


class StartLaunch(Base):
    """The link in the LMS course: third-party initiated login at the tool (OIDC step 1)."""

    def get(self) -> None:
        p = self.platform
        sub = self.get_argument("user")
        if sub not in p.course.members:
            raise tornado.web.HTTPError(404)
        login = Login(tornado_request(self), p.config())
        login.set_lti_message_hint(hint=f"{sub}|{p.course.context_id}")
        self.redirect(login.initiate_login(sub))


class Authorize(Base):
    """The platform's OIDC authorization endpoint: the signed launch, posted to the tool (OIDC step 3)."""

    def get(self) -> None:
        p = self.platform
        args = {k: self.get_argument(k) for k in self.request.query_arguments}
        if args.get("redirect_uri") != p.tool_launch_url:
            raise tornado.web.HTTPError(400, "redirect_uri is not the tool's registered launch URL")
        member = p.course.members.get(args.get("login_hint", ""))
        if member is None:
            raise tornado.web.HTTPError(400, "unknown login_hint")
        launch = Launch(tornado_request(self), p.config())
        launch.set_user_data(member.sub, ROLES[member.role], member.name, member.email)
        launch.set_extra_claims({"given_name": member.given_name, "family_name": member.family_name})
        launch.set_resource_link_claim("cnn-link-1", title="CNNs from the inside")
        launch.set_launch_context_claim(p.course.context_id, context_title=p.course.title, context_label="CNN")
        launch.set_ags(p.lineitems_url, allow_creating_lineitems=True)
        self.finish(launch.lti_launch())


class KeySet(Base):
    def get(self) -> None:
        config = self.platform.config()
        config.get_registration()
        self.finish(config.get_jwks())


class Token(Base):
    async def post(self) -> None:
        if await self.fault():
            return
        p = self.platform
        form = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
        config = p.config()
        config.get_registration()
        try:
            token = config.get_access_token(form)
            # what the library leaves to the platform: the assertion is the registered tool's, for this URL
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            if claims.get("iss") != p.client_id or claims.get("sub") != p.client_id or claims.get("aud") != p.token_url:
                raise ValueError(f"client assertion for {claims.get('iss')} / {claims.get('aud')}")
        except Exception as err:   # the stand-in answers every refusal as OAuth 2 does
            self.set_status(400)
            self.finish({"error": "invalid_client", "error_description": f"{type(err).__name__}: {err}"})
            return
        self.finish(token)


class LineItems(Base):
    async def get(self, context: str) -> None:
        if not await self.fault():
            self.reply(self.service().handle_get_lineitems())

    async def post(self, context: str) -> None:
        if not await self.fault():
            self.reply(self.service().handle_create_lineitem())

    def service(self) -> Grades:
        config = self.platform.config()
        config.get_registration()
        return Grades(tornado_request(self), self.platform, config)


class LineItem(LineItems):
    async def get(self, context: str, number: str) -> None:
        if not await self.fault():
            self.reply(self.service().handle_get_lineitem(f"{self.platform.lineitems_url}/{number}"))


class Scores(LineItems):
    async def post(self, context: str, number: str) -> None:
        if await self.fault():
            return
        try:
            with self.platform.lock:
                self.reply(self.service().handle_update_score(f"{self.platform.lineitems_url}/{number}"))
        except ValueError as err:
            self.set_status(400)
            self.finish(str(err))


class Gradebook(Base):
    def get(self) -> None:
        p = self.platform
        items = list(p.course.line_items.values())
        head = "".join(f"<th scope='col'>{i['label']} (of {i['scoreMaximum']:g})</th>" for i in items)
        rows = []
        for m in p.course.members.values():
            if m.role != "student":
                continue
            cells = "".join(f"<td>{p.course.scores[(i['id'], m.sub)]['scoreGiven']:g}</td>"
                            if (i["id"], m.sub) in p.course.scores else "<td>-</td>" for i in items)
            rows.append(f"<tr><th scope='row'>{m.name}</th>{cells}</tr>")
        table = (f"<table><caption>Scores received from the tool</caption><thead><tr><th scope='col'>student</th>"
                 f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
        self.finish(PAGE.render(title=f"Gradebook: {p.course.title}", body=table))


def make_app(platform: Platform) -> tornado.web.Application:
    return tornado.web.Application([
        (r"/", Home), (r"/launch", StartLaunch), (r"/authorize", Authorize), (r"/jwks", KeySet),
        (r"/token", Token), (r"/gradebook", Gradebook),
        (r"/ags/([^/]+)/lineitems", LineItems), (r"/ags/([^/]+)/lineitems/(\d+)", LineItem),
        (r"/ags/([^/]+)/lineitems/(\d+)/scores", Scores),
    ], platform=platform)


def free_lms_port() -> int:
    """A free port of the stand-in's range (8210-8219)."""
    import socket
    for port in range(8210, 8220):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8210-8219 for the stand-in LMS")


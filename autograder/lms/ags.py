"""Posting to an LMS's Assignment and Grade Services, by pylti1p3 (the maintained fork pylti1p3next):
it signs the tool's token request with the tool's key (OAuth 2 client credentials with a JWT
assertion, as the IMS Security Framework asks), finds or creates line items and posts scores. What
is ours: the registration from LTITool, a timeout on every request, the access token kept while it
is valid, and every failure turned into one exception that says what happened."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from .keys import public_pem
from .records import GradeService
from .settings import LTITool


class LMSError(Exception):
    """A request to the LMS that failed: the post stays queued and is tried again later."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


class _TimedSession(requests.Session):
    """Every request gives up after `timeout` seconds (pylti1p3 passes none: it would wait for ever)."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = "cnn-inside-passback (pylti1p3)"

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


class _Connector(ServiceConnector):
    """pylti1p3's connector with its access token kept until a minute before it expires."""

    def __init__(self, registration: Registration, session: requests.Session):
        super().__init__(registration, session)
        self._tokens: dict[str, tuple[str, float]] = {}

    def _get_cached_access_token(self, scope_key: str) -> Optional[str]:
        token, until = self._tokens.get(scope_key, ("", 0.0))
        return token if time.time() < until else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        self._tokens[scope_key] = (access_token, time.time() + float(expires_in or 0) - 60)


def _explain(err: Exception, timeout: float) -> LMSError:
    if isinstance(err, requests.Timeout):
        return LMSError(f"the LMS did not answer within {timeout:g} s")
    if isinstance(err, requests.ConnectionError):
        return LMSError(f"the LMS could not be reached ({type(err).__name__})")
    if isinstance(err, LtiServiceException):
        response = err.response
        status = getattr(response, "status_code", None)
        body = (getattr(response, "text", "") or "")[:200].strip()
        what = {401: "refused the tool's credentials (check its key and client id)",
                403: "refused: the tool lacks the grade service's permission (scope)",
                404: "does not know this address (a line item deleted in the LMS?)"}.get(status, "answered with an error")
        if "access token" in str(err) and status is not None and status < 500:
            what = "refused the tool's token request (check the tool's client id and key set URL in the LMS)"
        return LMSError(f"the LMS {what}: HTTP {status}" + (f" {body}" if body else ""), status)
    return LMSError(f"{type(err).__name__}: {err}")


class LMSClient:
    """One LMS registration's grade services, for posting scores."""

    def __init__(self, tool: LTITool, timeout: float):
        private = Path(tool.tool_key_file).read_text()
        registration = (Registration().set_issuer(tool.issuer).set_client_id(tool.client_id)
                        .set_auth_token_url(tool.token_url).set_tool_private_key(private)
                        .set_tool_public_key(public_pem(private)))
        if tool.token_audience:
            registration.set_auth_audience(tool.token_audience)
        self.timeout = timeout
        self.connector = _Connector(registration, _TimedSession(timeout))

    def _service(self, service: GradeService) -> AssignmentsGradesService:
        return AssignmentsGradesService(self.connector, {"scope": list(service.scopes),
                                                         "lineitems": service.lineitems})

    def line_item(self, service: GradeService, assignment: str, max_score: float) -> str:
        """The URL of the assignment's line item in that LMS course (tagged with the assignment's
        name), created with its maximum points if there is none."""
        wanted = (LineItem().set_tag(assignment).set_resource_id(assignment).set_label(assignment)
                  .set_score_maximum(max_score))
        try:
            found = self._service(service).find_or_create_lineitem(wanted, find_by="tag")
        except (requests.RequestException, LtiException) as err:
            raise _explain(err, self.timeout) from err
        if not found.get_id():
            raise LMSError("the LMS returned a line item without an id")
        return str(found.get_id())

    def post(self, service: GradeService, line_item: str, score: dict) -> None:
        """Post one score (the AGS score object, as the outbox holds it) to a line item."""
        grade = (Grade().set_user_id(score["userId"]).set_score_given(score["scoreGiven"])
                 .set_score_maximum(score["scoreMaximum"]).set_timestamp(score["timestamp"])
                 .set_activity_progress(score["activityProgress"]).set_grading_progress(score["gradingProgress"]))
        if score.get("comment"):
            grade.set_comment(score["comment"])
        try:
            self._service(service).put_grade(grade, LineItem({"id": line_item}))
        except (requests.RequestException, LtiException) as err:
            raise _explain(err, self.timeout) from err

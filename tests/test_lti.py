"""The course's LTI 1.3 link, against the stand-in LMS (tests/lms_platform.py, lti1p3platform) on 127.0.0.1.

Fast tier: account names from LMS identities (stable, safe, never shared), the launch records, the
passback (a course gradebook written with nbgrader's Gradebook API, the stand-in's grade services: line
items, tokens, scores), the LMS's failures and time-outs, and the Canvas and Moodle import files.
Slow tier: launches into a real JupyterHub (the hub's CourseLTIAuthenticator over
jupyterhub-ltiauthenticator): a student's and the instructor's, and the bad ones (unsigned, expired,
wrongly signed, replayed, another deployment, another role), each refused with a page that says why.
"""
from __future__ import annotations

import os
import re
import time

import pytest

from autograder.lms import accounts
from autograder.lms.settings import GradePassback, LTITool, read_config
from autograder.lms.store import LaunchRecords

PREFIX = os.environ.get("CNN_HUB_TEST_PREFIX", "cnnt-")


# --- account names ----------------------------------------------------------------------------------

def never(name: str) -> bool:
    return False


def test_account_names_are_readable_valid_unix_names():
    cases = {("ada.lovelace@uni.edu", "", ""): "ada-lovelace",
             ("", "Zoë", "Ångström-Öz"): "zoe-angstrom-oz",
             ("", "", "Grace Hopper"): "grace-hopper",
             ("2024.smith@uni.edu", "", ""): "smith",                     # a Unix name starts with a letter
             ("root@evil.example", "", ""): "root",                        # valid; taken below, never reused
             ("../../etc/passwd@x", "", ""): "etc-passwd",
             ("a" * 80 + "@x", "", ""): "a" * 28}
    for (email, given, name), want in cases.items():
        family = given and name
        claims = {"email": email, "given_name": given if family else "", "family_name": name if family else "",
                  "name": "" if family else name, "iss": "i", "sub": "s"}
        got = accounts.new_name(claims, "", never)
        assert got == want and accounts.UNIX_NAME.match(got) and len(got) <= accounts.MAX_LENGTH, (claims, got)
    # an LMS that sends no name: a digest of the identity, different for each person
    anon = [accounts.new_name({"iss": "i", "sub": s}, "", never) for s in ("1", "2")]
    assert anon[0] != anon[1] and all(re.fullmatch(r"u[0-9a-f]{10}", a) for a in anon)
    assert accounts.new_name({"email": "ada@x"}, PREFIX, never) == f"{PREFIX}ada"
    with pytest.raises(ValueError):
        accounts.base_name({"email": "ada@x"}, "../")


def test_a_taken_name_is_never_given_again():
    taken = {"root", "ada", "ada-2"}
    assert accounts.new_name({"email": "root@x"}, "", taken.__contains__) == "root-2"
    assert accounts.new_name({"email": "ada@x"}, "", taken.__contains__) == "ada-3"
    long = "b" * 28
    names = set()
    for n in range(12):   # the suffix never pushes a name past 32 characters
        name = accounts.new_name({"email": f"{long}@x"}, "", names.__contains__)
        assert len(name) <= accounts.MAX_LENGTH and name not in names
        names.add(name)


def test_roles():
    tool = LTITool()
    role = lambda *r: accounts.role_of(list(r), tool.instructor_roles, tool.learner_roles)  # noqa: E731
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor") == "instructor"
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner") == "learner"
    # an institution's instructor who is a student of this course is a student here
    assert role("http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner") == "learner"
    assert role("http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor") is None
    assert role("http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator") is None
    assert role("Instructor") is None     # LTI 1.1's short names are not LTI 1.3 roles


def test_records_keep_each_persons_account_for_good(tmp_path):
    records = LaunchRecords(tmp_path / "records.db")
    ada = {"iss": "https://lms", "sub": "1", "email": "ada@uni.edu", "given_name": "Ada"}
    first = records.student(ada, "", never)
    # her e-mail address changes: same account, new address kept
    again = records.student(dict(ada, email="countess@uni.edu"), "", never)
    assert again.username == first.username == "ada" and again.email == "countess@uni.edu"
    # another person with the same address, or the same subject on another platform: another account
    other = records.student(dict(ada, sub="2"), "", never)
    elsewhere = records.student(dict(ada, iss="https://other-lms"), "", never)
    assert len({first.username, other.username, elsewhere.username}) == 3
    assert set(LaunchRecords(tmp_path / "records.db", readonly=True).people()) == {"ada", "ada-2", "ada-3"}
    # a launch's nonce is accepted once
    assert records.first_use("n-1", time.time() + 300) and not records.first_use("n-1", time.time() + 300)


def test_the_settings_come_from_one_file(tmp_path):
    (tmp_path / "lti_config.py").write_text("c.LTITool.issuer = 'https://lms.example'\n"
                                            "c.LTITool.deployment_ids = ['d1']\n"
                                            "c.GradePassback.timeout_seconds = 3.0\n")
    config = read_config(tmp_path / "lti_config.py")
    tool = LTITool(config=config)
    assert tool.issuer == "https://lms.example" and tool.deployment_ids == ["d1"]
    assert GradePassback(config=config).timeout_seconds == 3.0
    assert "LTITool.client_id" in tool.missing("launch") and "LTITool.issuer" not in tool.missing("passback")

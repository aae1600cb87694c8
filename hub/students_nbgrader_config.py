# The students' nbgrader configuration on the course's hub, beside what `python -m autograder hub` writes
# for them (their exchange and course): appended to <state folder>/jupyter/student/nbgrader_config.py,
# which their server (the Assignments tab) and their terminals read.
#
# nbgrader's Fetch Feedback for every user name nbgrader's submit accepts, '+' included.
# `nbgrader submit` names each submission `<user>+<assignment>+<time>` (in the exchange and in the
# student's own cache), taking the user name as the account has it. nbgrader 0.9.6's fetch_feedback reads
# its cache folders back with `name.split('+')` into exactly three parts, so for a user such as `c+d` it
# stops with "ValueError: too many values to unpack" and the student gets none of their released pages,
# in the Assignments tab and on the command line alike. Its list and collect, and the course's grading
# service, read the same names from the right and are not affected.
#
# FetchFeedback is nbgrader's own, shown a view of the cache in which each folder's user part holds no
# '+': a folder of links, `<user with '+' written %2B>+<assignment>+<time>`, to the real folders. nbgrader
# uses that part of the name for nothing but the split: it finds each page by the submission's secret,
# which `nbgrader submit` writes into the folder. The student package never imports nbgrader, so this
# lives here, in a configuration file, as the course's own nbgrader_config.py defines its NoGraderHere.
import os as _os
import tempfile as _tempfile
from pathlib import Path as _Path

from nbgrader.exchange.default.fetch_feedback import ExchangeFetchFeedback as _NbgraderFetchFeedback

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)


def readable_name(name: str) -> str:
    """A cache folder's name as nbgrader 0.9.6's fetch_feedback can split it: '+' in the user part
    written %2B (the assignment and the time never hold one: nbgrader refuses such assignments)."""
    parts = name.rsplit("+", 2)
    if len(parts) != 3:
        return name
    return "+".join([parts[0].replace("+", "%2B"), *parts[1:]])


class FetchFeedback(_NbgraderFetchFeedback):
    """nbgrader's ExchangeFetchFeedback, for user names holding '+' too (see above)."""

    def init_src(self) -> None:
        cache = _Path(self.cache) / self.coursedir.course_id
        names = sorted(_os.listdir(cache)) if cache.is_dir() else []
        if all(readable_name(n) == n for n in names):
            return super().init_src()
        real = self.cache
        with _tempfile.TemporaryDirectory(prefix="nbgrader-cache-") as view:
            shown = _Path(view) / self.coursedir.course_id
            shown.mkdir()
            for name in names:
                (shown / readable_name(name)).symlink_to(cache / name)
            self.cache = view
            try:
                super().init_src()
            finally:
                self.cache = real


c.ExchangeFactory.fetch_feedback = FetchFeedback

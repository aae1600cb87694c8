"""How the grading service reads the exchange (FeedbackService, set in the course's nbgrader_config.py or
on serve's command line; what students get is FeedbackPolicy's, policy.py), and where it keeps its state."""
from __future__ import annotations

from pathlib import Path

from traitlets import Float, Int
from traitlets.config import Configurable

from .inbound import Limits as InboundLimits
from .queue import NOTICE_AFTER


class FeedbackService(Configurable):
    """How the service reads the exchange (nbgrader_config.py; the policy is FeedbackPolicy's)."""
    poll_seconds = Float(0.1, help="how often the inbound folder is read").tag(config=True)
    queue_notice_seconds = Float(NOTICE_AFTER, help="a submission whose feedback is expected later than this "
                                 "(a queue at the deadline) gets a page at once saying its place in the queue and "
                                 "when its feedback is expected; the graded page replaces it").tag(config=True)
    max_submission_mb = Float(InboundLimits.submission_bytes / 1e6,
                              help="megabytes of files one submission may hold; a bigger one is not copied nor "
                                   "graded, and its student is told why").tag(config=True)
    max_student_mb = Float(InboundLimits.student_bytes / 1e6,
                           help="megabytes the service keeps of one student's submissions (it keeps a copy of "
                                "each); past it, a submission is not graded, and its student is told "
                                "why").tag(config=True)
    max_entries = Int(InboundLimits.entries, help="files and folders one submission may hold; one with more is "
                                                  "not copied nor graded").tag(config=True)

    def limits(self) -> InboundLimits:
        return InboundLimits(submission_bytes=int(self.max_submission_mb * 1e6),
                             student_bytes=int(self.max_student_mb * 1e6), entries=self.max_entries)


def home_of(db_url: str, course_root: Path) -> Path:
    """Beside the course's gradebook (the course folder when the gradebook is elsewhere)."""
    if db_url.startswith("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).resolve().parent
    return course_root

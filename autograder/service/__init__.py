"""`python -m autograder serve`: graded feedback within seconds of each nbgrader submit, within the
course's attempt limits (policy.py), through nbgrader's own exchange and feedback channel."""

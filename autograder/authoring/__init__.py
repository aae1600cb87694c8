"""Authoring and release: the course's notebooks as the instructor's tools read them (nbgrader metadata,
test cells, the reference solutions and variants of them) and `python -m autograder release`, which
writes notebooks/, the visible expected values and the student distribution."""

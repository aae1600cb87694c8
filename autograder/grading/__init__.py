"""The instructor's grader: `python -m autograder grade` and `report`."""

"""Checks, release and grading tools for the 'CNNs from the inside' course module.

Students meet this package through `from cnn_student.checks import check` in the test cells;
instructors through `python -m autograder release | grade | report`.
"""

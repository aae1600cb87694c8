"""What students use beside their notebooks in 'CNNs from the inside': the checks that test cells
call, worked examples, figures and widget explorers, the gradient checker and the experiment helpers.

It holds no answer: no reference solution, no concept-question key, no hidden test case. Expected
values of the visible test cases ship in cnn_student/expected/ (written by the instructor's release).
It never imports the instructor's package (autograder), and installs with pip on its own.
"""

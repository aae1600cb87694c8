"""What a test cell's verdict can name beyond a wrong result (verify.py): the grader's own causes,
declared here and listed in VERDICT, which every_cause (autograder/grading/pipeline/misconceptions.py) reads by name."""
from __future__ import annotations

from cnn_student.spec import cause

NOT_WRITTEN = cause("generic.not_written", "the function is not written (it still raises NotImplementedError)")
RAISED = cause("generic.raised", "the function raises an error on the test's inputs", specific=False)
RAISED_SHAPES = cause("raised.shapes_mismatch", "raises because two arrays' shapes do not match: most often a window "
                                                "slice runs past the input (output size, slice bounds, missing padding)")
RAISED_INDEX = cause("raised.index_out_of_range", "raises because an index runs past an array's end (loop bounds, "
                                                  "output size, swapped axes)")
TOO_SLOW = cause("generic.too_slow", "far slower than loops over positions on the test's inputs (in a backward pass, most "
                                     "often a gradient computed numerically)")
NOT_CHECKED = cause("generic.not_checked", "the test cell stopped before this check (an earlier error, or a "
                                           "missing function)")
VERDICT = (NOT_WRITTEN, RAISED, RAISED_SHAPES, RAISED_INDEX, TOO_SLOW, NOT_CHECKED)

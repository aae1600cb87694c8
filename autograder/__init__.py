"""The instructor's side of the 'CNNs from the inside' course module: release, grading, report, sample
class and demo (`python -m autograder release | grade | report | ...`). Students never receive it;
what their notebooks import is the student package, cnn_student.
"""
import sys

# nbformat validates with jsonschema, which imports rfc3987_syntax where it is installed (jupyter-events
# asks for it); that module compiles 38 grammars on import, 0.9 s of the start of every grading process
# and worker, to check "iri" strings, a format no notebook schema uses. Refused here, jsonschema skips
# that one format and validates everything else as before.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

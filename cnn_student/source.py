"""Reading a notebook cell's code as Python, for the checks that look at how a function is written
(speed.py here; the grader's integrity scan, test-cell parsing and cell skipping)."""
from __future__ import annotations

# what parsing a cell can raise besides SyntaxError: a 200,000-term expression (RecursionError),
# 100,000 unary minuses (MemoryError), a lone surrogate (UnicodeEncodeError), a null byte (ValueError)
UNREADABLE = (SyntaxError, ValueError, RecursionError, MemoryError, UnicodeError)


def python_text(source: str) -> str:
    """The cell's code with its IPython magic (%) and shell (!) lines blanked, line numbers kept."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())

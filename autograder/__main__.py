"""`python -m autograder release | grade | report | sample-class | demo | serve | hub | lms` (see README;
the launcher is autograder/launcher.py)."""
import sys

from .launcher import main

if __name__ == "__main__":
    sys.exit(main())

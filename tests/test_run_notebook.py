"""run_notebook.execute survives a lost message: a run never waits on a kernel that has finished."""
import subprocess
import sys

import nbformat

from autograder.paths import ROOT

# the kernel finishes the cell and replies, but its final "idle" status never reaches the client,
# as when a message is lost under load
DROP_IDLE = '''k = get_ipython().kernel
publish = k._publish_status
def drop_next_idle(status, *args, **kwargs):
    if status == "idle":
        k._publish_status = publish
        return
    publish(status, *args, **kwargs)
k._publish_status = drop_next_idle'''

RUN = '''import sys
from pathlib import Path
from autograder.authoring.run_notebook import execute
nb, _ = execute(Path(sys.argv[1]), timeout=30)
print(nb.cells[1].outputs[0]["text"].strip())
'''


def test_a_lost_idle_message_costs_seconds_not_the_run(tmp_path):
    """With a blocking client the run waited for ever (cell timeout and SIGTERM included): it must not."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(DROP_IDLE), nbformat.v4.new_code_cell("print('next cell ran')")]
    path = tmp_path / "lost_idle.ipynb"
    nbformat.write(nb, path)
    # in a child with a hard limit, so that a regression fails this test instead of hanging the suite
    proc = subprocess.run([sys.executable, "-c", RUN, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("next cell ran")

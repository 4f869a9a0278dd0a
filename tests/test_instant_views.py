"""The instant views never import TensorFlow: checked in a fresh interpreter, where nothing else could have loaded it.

Overview, Unrolled, Weights, Shape flow and Code redraw on every click, so they must stay on `core.describe` and
friends; only Training and Equivalence may pay for TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

INSTANT_PAGES = ("overview", "unrolled", "weights", "shapes", "code")
# The probe: which TensorFlow/Keras modules a process has imported.
LOADED = "sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))"

SCRIPT = """
import json, sys
sys.path.insert(0, {root!r})
from tests.conftest import run_app
report = {{}}
for page in {pages!r}:
    for params in ({{}}, {{"cell": "LSTM", "bidirectional": "true", "return_sequences": "false", "head": "dense",
                     "timesteps": "5", "input_size": "3", "hidden_size": "4", "output_size": "2"}}):
        at = run_app(page, params)
        report.setdefault(page, []).append([str(e.value)[:300] for e in at.exception])
report["loaded"] = {loaded}
print("REPORT" + json.dumps(report))
"""


def test_instant_views_do_not_import_tensorflow():
    code = SCRIPT.format(root=str(ROOT), pages=INSTANT_PAGES, loaded=LOADED)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT"))
    report = json.loads(line.removeprefix("REPORT"))
    for page in INSTANT_PAGES:
        assert report[page] == [[], []], (page, report[page])
    assert report["loaded"] == [], report["loaded"][:10]


def test_the_check_can_see_tensorflow():
    """The same probe reports Keras once something imports it (so an empty list above means something). Asked in
    this test process, which has (or now gets) Keras: another interpreter would only import TensorFlow again."""
    from core.keras.env import load_keras

    load_keras()
    assert "keras" in eval(LOADED, {"sys": sys})

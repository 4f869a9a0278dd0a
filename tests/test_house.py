"""The house rules, measured: what imports TensorFlow, where Streamlit may be, and how large a module or function is.

core/ is in packages named for the architecture: `core.model` (the spec and its maths), `core.figures` (what the
pages draw), `core.keras` (everything that runs Keras: the only package allowed to import TensorFlow), `core.talk`
(stories). A module over 500 lines or a function over 60 is a design question (DEVELOPERS.md): the exceptions left
are named below, each with its reason.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
MAX_PAGE_BODY_LINES = 60

# Modules of the Keras package the Streamlit server imports (the worker client, the jobs' request types and the messages
# to the child, the audience, the training session and the lab's result types): they stay TensorFlow-free at import.
SERVER_SIDE_KERAS = (
    "core.keras.worker",
    "core.keras.requests",
    "core.keras.protocol",
    "core.keras.audience",
    "core.keras.jobs",
    "core.keras.training_session",
    "core.keras.equivalence",
)

ALLOWED_MODULES: dict[str, str] = {}
ALLOWED_FUNCTIONS: dict[str, str] = {}
# Every page is a render() function now (views/navigation.py) but Fix my error, a script within the limit (another
# branch rewrites it).
ALLOWED_PAGE_BODIES: dict[str, str] = {}


def core_modules() -> list[str]:
    """Every module of core/, dotted."""
    names = []
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def python_files() -> list[Path]:
    """core/, views/ and the frame."""
    return [*sorted(CORE.rglob("*.py")), *sorted((ROOT / "views").glob("*.py")), ROOT / "app.py", ROOT / "serve.py"]


BLOCK_TENSORFLOW = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
            raise ImportError(f"{name} is blocked: this module must import without TensorFlow")
        return None
sys.meta_path.insert(0, Refuse())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print("imported", len(sys.argv) - 1)
"""


def test_every_module_outside_the_keras_package_imports_with_tensorflow_blocked():
    """TensorFlow and Keras refused at import: every core module outside core.keras, and the Keras package's
    server-side modules, still import (a deferred import that became a module-level one would fail here)."""
    modules = [name for name in core_modules() if not name.startswith("core.keras")]
    assert "core.model.spec" in modules and "core.figures.theme" in modules
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_TENSORFLOW, *modules, *SERVER_SIDE_KERAS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"imported {len(modules) + len(SERVER_SIDE_KERAS)}" in done.stdout


def test_the_blocker_blocks():
    """The check above could pass vacuously: the same subprocess refuses a module that imports Keras."""
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_TENSORFLOW, "core.keras.env", "keras"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0 and "keras is blocked" in done.stderr


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_streamlit_in_core_and_tensorflow_only_in_the_keras_package():
    for path in sorted(CORE.rglob("*.py")):
        imported = _imports(ast.parse(path.read_text()))
        relative = path.relative_to(ROOT).as_posix()
        assert "streamlit" not in imported, relative
        if not relative.startswith("core/keras/"):
            assert not imported & {"tensorflow", "keras"}, relative


def test_core_model_draws_nothing_and_runs_no_keras():
    """core.model is the maths: it imports neither plotly nor the figures or the Keras package."""
    for path in sorted((CORE / "model").rglob("*.py")):
        tree = ast.parse(path.read_text())
        imported = _imports(tree)
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert "plotly" not in imported, path.name
        assert not {m for m in modules if m.startswith(("core.figures", "core.keras"))}, path.name


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def _page_body_lines(path: Path) -> int:
    """Lines of a page's module-level script: every top-level statement but imports, definitions and docstrings."""
    tree = ast.parse(path.read_text())
    skipped = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
    body = [
        node
        for node in tree.body
        if not isinstance(node, skipped)
        and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (isinstance(node, ast.Assign | ast.AnnAssign) and node.end_lineno == node.lineno)
    ]
    return sum(node.end_lineno - node.lineno + 1 for node in body)


def test_no_module_over_500_lines_and_no_function_over_60():
    too_long: dict[str, str] = {}
    for path in python_files():
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > MAX_MODULE_LINES and relative not in ALLOWED_MODULES:
            too_long[relative] = f"{lines} lines"
        functions = _long_functions(path)
        if functions and relative not in ALLOWED_FUNCTIONS:
            too_long[f"{relative} functions"] = ", ".join(functions)
    assert not too_long, too_long


def test_no_page_body_over_60_lines():
    too_long = {}
    for path in sorted((ROOT / "views").glob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        lines = _page_body_lines(path)
        if lines > MAX_PAGE_BODY_LINES and relative not in ALLOWED_PAGE_BODIES:
            too_long[relative] = lines
    assert not too_long, too_long


def test_every_exception_is_still_needed():
    """An allowed exception that no longer breaks the rule leaves the list (so the list shrinks as the house does)."""
    for relative in ALLOWED_MODULES:
        assert len((ROOT / relative).read_text().splitlines()) > MAX_MODULE_LINES, relative
    for relative in ALLOWED_FUNCTIONS:
        assert _long_functions(ROOT / relative), relative
    for relative in ALLOWED_PAGE_BODIES:
        assert _page_body_lines(ROOT / relative) > MAX_PAGE_BODY_LINES, relative


# Words only the refusals use: the wording of Keras's three refusals lives in core/model/refusal.py alone.
REFUSAL_WORDS = ("expected ndim=", "needs a sequence", "needs one vector", "has no time axis", "at least 3 dimensions")
# Fix my error reads Keras's own messages in a learner's paste: it must know their words.
READS_KERAS_MESSAGES = ("core/diagnosis/wordings.py", "core/diagnosis/causes.py", "core/diagnosis/explain.py")


def test_the_refusal_wording_exists_once():
    for path in python_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in ("core/model/refusal.py", *READS_KERAS_MESSAGES):
            continue
        text = path.read_text()
        assert not [word for word in REFUSAL_WORDS if word in text], relative

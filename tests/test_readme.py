"""The README's promises about set-up stay true: CI runs its test command, word for word."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def fenced_commands(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_has_one_run_and_one_test_command_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = fenced_commands(readme)
    run = [c for c in commands if "streamlit run serve.py" in c]
    test = [c for c in commands if "pytest" in c]
    assert len(run) == 1 and len(test) == 1
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test[0] in ci_lines


def test_requirements_name_what_the_app_imports() -> None:
    requirements = (ROOT / "requirements.txt").read_text().lower()
    for package in ("streamlit", "tensorflow", "keras", "numpy", "pandas", "plotly"):
        assert re.search(rf"^{package}(-cpu)?[<>=]", requirements, flags=re.M), package


def test_the_suites_longest_first_order_names_real_files_browser_files_first() -> None:
    from tests.browser_fixtures import BROWSER_FILES
    from tests.conftest import longest_first

    order = longest_first()
    assert order[: len(BROWSER_FILES)] == BROWSER_FILES and BROWSER_FILES[0] == "tests/test_browser.py"
    assert [path for path in order if not (ROOT / path).is_file()] == []
    assert len(set(order)) == len(order)


def test_readme_stays_short_and_its_links_to_docs_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#:]+)\)", readme)
    assert {"docs/architecture.md", "docs/performance.md", "docs/testing.md"} <= set(links)
    assert [link for link in links if not (ROOT / link).is_file()] == []
    assert len(readme.splitlines()) <= 100

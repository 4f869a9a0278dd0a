"""Every page under hostile links: no exception, one message naming the field, every other setting kept.

The parser itself is covered value by value in tests/test_url_state.py (in a fraction of a second). What a page
adds is only that it renders the fallback spec and shows the one message, so here each kind of fault is opened
once, the kinds spread over the pages so that every page meets at least one.
"""

from __future__ import annotations

import itertools

import pytest

from core import ModelSpec
from core.model.spec import FIELD_NAMES
from tests.conftest import PAGES, run_app

# kind of fault -> (hostile query parameters, the field the message must name)
FAULTS: dict[str, tuple[dict[str, str | list[str]], str]] = {
    "unknown choice": ({"cell": "foo"}, "cell"),
    "empty value": ({"return_sequences": ""}, "return_sequences"),
    "repeated key": ({"head": ["dense", "dense"]}, "head"),
    "huge value": ({"cell": "x" * 10_000}, "cell"),
    "non-ascii": ({"output_size": "八"}, "output_size"),
    "out of range": ({"hidden_size": "513"}, "hidden_size"),
    "not a number": ({"timesteps": "nan"}, "timesteps"),
    "huge number": ({"timesteps": "9" * 500}, "timesteps"),
    "not a boolean": ({"use_bias": "TRUE!"}, "use_bias"),
    "markup": ({"head": "<script>alert(1)</script>"}, "head"),
    "unknown key": ({"junk": "1"}, "junk"),
    "huge unknown key": ({"k" * 3000: "v"}, "kkkk"),
    "bad talk": ({"talk": "perhaps"}, "talk"),
}
# Each kind on one page, cycling through the pages: every page meets at least one hostile link.
CASES = list(zip(FAULTS, itertools.cycle(PAGES), strict=False))
KEPT = {"cell": "LSTM", "input_size": "7", "output_size": "3"}
KEPT_OTHERWISE = {"timesteps": "9", "hidden_size": "6", "return_sequences": "false", "head": "dense"}


def test_every_page_meets_a_hostile_link() -> None:
    assert {page for _, page in CASES} == set(PAGES)


@pytest.mark.parametrize(("fault", "page"), CASES, ids=[f"{page}-{fault}" for fault, page in CASES])
def test_a_page_survives_a_hostile_link(fault: str, page: str) -> None:
    hostile, field = FAULTS[fault]
    kept = KEPT if not set(hostile) & set(KEPT) else KEPT_OTHERWISE
    at = run_app(page, {**kept, **hostile})
    assert not at.exception, [e.value for e in at.exception]
    messages = [w.value for w in at.warning if "link" in w.value]
    assert len(messages) == 1
    assert field in messages[0]
    if field in FIELD_NAMES:
        assert "allowed" in messages[0]
    assert len(messages[0]) < 2000  # a huge value or key is cut, never echoed whole
    # The valid settings kept, the bad one at its default.
    assert at.session_state["spec"] == ModelSpec.from_params(kept)

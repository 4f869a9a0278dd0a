"""Every page under hostile links: no exception, one message naming the field, every other setting kept."""

from __future__ import annotations

import pytest

from core import ModelSpec
from core.spec import FIELD_NAMES
from tests.conftest import PAGES, run_app

DEFAULTS = ModelSpec()

# (hostile query parameters, the field the message must name)
HOSTILE: list[tuple[dict[str, str | list[str]], str]] = [
    ({"cell": "foo"}, "cell"),
    ({"cell": ""}, "cell"),
    ({"cell": ["GRU", "LSTM"]}, "cell"),
    ({"cell": "😀"}, "cell"),
    ({"cell": "x" * 10_000}, "cell"),
    ({"timesteps": "-3"}, "timesteps"),
    ({"timesteps": "0"}, "timesteps"),
    ({"timesteps": "1000000000"}, "timesteps"),
    ({"timesteps": "9" * 500}, "timesteps"),
    ({"timesteps": "abc"}, "timesteps"),
    ({"timesteps": "2.5"}, "timesteps"),
    ({"timesteps": "1e309"}, "timesteps"),
    ({"timesteps": "nan"}, "timesteps"),
    ({"timesteps": "\x00"}, "timesteps"),
    ({"hidden_size": "-1"}, "hidden_size"),
    ({"hidden_size": "513"}, "hidden_size"),
    ({"hidden_size": "0x10"}, "hidden_size"),
    ({"input_size": ""}, "input_size"),
    ({"input_size": "+-5"}, "input_size"),
    ({"output_size": "八"}, "output_size"),
    ({"return_sequences": "maybe"}, "return_sequences"),
    ({"return_sequences": ""}, "return_sequences"),
    ({"bidirectional": "2"}, "bidirectional"),
    ({"use_bias": "TRUE!"}, "use_bias"),
    ({"head": "Dense()"}, "head"),
    ({"head": "<script>alert(1)</script>"}, "head"),
    ({"head": ["dense", "dense"]}, "head"),
    ({"merge_mode": "concat;drop"}, "merge_mode"),
    ({"activation": "relu"}, "activation"),
    ({"reset_after": "yes please"}, "reset_after"),
    ({"junk": "1"}, "junk"),
    ({"k" * 3000: "v"}, "kkkk"),
    ({"talk": "perhaps"}, "talk"),
]
KEPT = {"cell": "LSTM", "input_size": "7", "output_size": "3"}
KEPT_OTHERWISE = {"timesteps": "9", "hidden_size": "6", "return_sequences": "false", "head": "dense"}


def test_there_are_at_least_30_hostile_links() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_survives_every_hostile_link(page: str) -> None:
    for hostile, field in HOSTILE:
        kept = KEPT if not set(hostile) & set(KEPT) else KEPT_OTHERWISE
        at = run_app(page, {**kept, **hostile})
        where = f"{page} with {str(hostile)[:80]}"
        assert not at.exception, where
        messages = [w.value for w in at.warning if "link" in w.value]
        assert len(messages) == 1, where
        assert field in messages[0], where
        if field in FIELD_NAMES:
            assert "allowed" in messages[0], where
        spec = at.session_state["spec"]
        expected = ModelSpec.from_params(kept)
        assert spec == expected, where  # the valid settings kept, the bad one at its default

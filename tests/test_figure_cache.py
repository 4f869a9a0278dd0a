"""Figures and tables are built once per input for the whole server (views/cache.py): a second session on the same
link is answered from the cache, gets the same picture, and may change its copy without changing anyone else's."""

from __future__ import annotations

import json
from collections import Counter

import pytest

import core.figures.shape_flow
import core.figures.training
import core.figures.weights
import views.shapes  # noqa: F401 - wrapped (views/cache.py) before a test counts the builds they wrap
import views.training
import views.unrolled
import views.weights  # noqa: F401
from core.model.spec import ModelSpec
from tests.conftest import run_app
from views import cache

SPEC = ModelSpec(timesteps=5, input_size=3, hidden_size=4, output_size=2)
LINK = {"timesteps": "5", "input_size": "3", "hidden_size": "4", "output_size": "2"}


@pytest.fixture
def builds(monkeypatch) -> Counter:
    """Counts the builds of the pages' expensive builders, from an empty cache."""
    counts: Counter = Counter()

    def counting(module, name):
        original = getattr(module, name)

        def build(*args, **kwargs):
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, build)

    counting(views.unrolled, "_picture")
    counting(core.figures.weights, "growth_figure")
    counting(core.figures.shape_flow, "shape_flow_figure")
    counting(core.figures.training, "loss_figure")
    cache.clear()
    yield counts
    cache.clear()


def _chart_specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize(
    ("page", "builder"), [("unrolled", "_picture"), ("weights", "growth_figure"), ("shapes", "shape_flow_figure")]
)
def test_a_second_session_on_the_same_link_does_not_build_again(builds, page, builder):
    first = run_app(page, LINK)
    assert not first.exception
    built = builds[builder]
    assert built == (2 if builder == "growth_figure" else 1)  # the Weights chart has a phone twin
    second = run_app(page, LINK)
    assert not second.exception
    assert builds[builder] == built, "the second session built the figure again"
    assert _chart_specs(second) == _chart_specs(first)
    assert _chart_specs(first), "the page drew no chart"


def test_another_link_is_built_for_itself(builds):
    first = run_app("unrolled", LINK)
    other = run_app("unrolled", {**LINK, "hidden_size": "5"})
    assert builds["_picture"] == 2
    assert _chart_specs(other) != _chart_specs(first)


def test_the_cached_picture_is_the_built_one_and_each_caller_gets_its_own_copy(builds):
    built = views.unrolled._picture(SPEC, False, ("time", 2), False)
    diagram, figure, compact = views.unrolled.picture(SPEC, False, ("time", 2), False)
    assert figure.to_dict() == built[1].to_dict()
    assert compact[1].to_dict() == built[2][1].to_dict()  # the phone twin: (its Diagram, its figure)
    assert diagram == built[0] and compact[0] == built[2][0]
    figure.to_dict()["layout"]["shapes"] = []  # a page changing its copy (as mark_focus once did)
    _, again, _ = views.unrolled.picture(SPEC, False, ("time", 2), False)
    assert again.to_dict()["layout"]["shapes"] == built[1].to_dict()["layout"]["shapes"] != []
    assert builds["_picture"] == 2  # the direct call above, and one cached build


def test_the_focused_step_is_part_of_the_key(builds):
    _, plain, _ = views.unrolled.picture(SPEC, False, None, False)
    _, banded, _ = views.unrolled.picture(SPEC, False, ("time", 2), False)
    assert len(banded.to_dict()["layout"].get("shapes", ())) == len(plain.to_dict()["layout"].get("shapes", ())) + 1
    assert builds["_picture"] == 2


def test_a_result_too_large_to_keep_is_built_each_time(builds, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", 100)
    first = views.unrolled.picture(SPEC, False, None, False)
    second = views.unrolled.picture(SPEC, False, None, False)
    assert second[1].to_dict() == first[1].to_dict()
    assert builds["_picture"] == 3  # the cache's build (not kept), then one build per call


def test_the_watchers_of_one_run_share_its_live_loss_chart(builds):
    """Every watcher of a shared training polls the same curves: the chart is built once per state of the run."""
    curves = [("Current model", (1.0, 0.8, 0.7), (0.8,))]
    charts = [views.training.loss_figure(curves, 2, loss_name="mse") for _ in range(3)]
    assert builds["loss_figure"] == 1
    assert charts[0].to_dict() == core.figures.training.loss_figure(curves, 2, loss_name="mse").to_dict()
    grown = [("Current model", (1.0, 0.8, 0.7, 0.6), (0.8, 0.65))]
    views.training.loss_figure(grown, 2, loss_name="mse")
    assert builds["loss_figure"] == 3  # the direct call above, and the run's next state

"""Issue 25, in Chromium: a status box names its job and leaves with it.

The reporter saw "Queued: 1 job ahead of yours…" stay after a training had finished. It was not the training's box: the
Training page's results start a new job, the fit() check of model 3, whose box appeared as the training's left and sat
"Next in the queue…" while the worker replaced its TensorFlow process (to give memory back after the training). Its text
said neither which job it was nor what it waited for. One tab on the shared server, a spec no other test trains (so the
fit() check is not already answered), one epoch."""

from __future__ import annotations

import pytest

from tests.browser_support import ROOT, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

LINK = "/training?timesteps=7&input_size=2&hidden_size=5&output_size=3"
# Every status box (an info box with the hourglass) the page draws from now on, as it reads when drawn or changed.
_RECORD_STATUS_BOXES = """() => {
    window.__statusBoxes = [];
    const record = () => {
        for (const box of document.querySelectorAll("[data-testid='stMain'] [data-testid='stAlertContentInfo']")) {
            const icon = box.querySelector("[data-testid='stAlertDynamicIcon']");
            const text = box.querySelector("[data-testid='stMarkdownContainer']").innerText.trim();
            if (icon && icon.textContent === "hourglass_top" && window.__statusBoxes.at(-1) !== text) {
                window.__statusBoxes.push(text);
            }
        }
    };
    new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
_STATUS_BOX = "[data-testid='stMain'] [data-testid='stAlertContentInfo']:has([data-testid='stAlertDynamicIcon'])"
_ANY_STATUS_BOX = "[data-testid='stMain'] [data-testid='stAlertContainer']:has([data-testid='stAlertDynamicIcon'])"


def _changes_the_estimate(tab, edit) -> None:
    """Make `edit` and wait for the rerun it causes: the Work line's estimate changes with the plan."""
    estimate = tab.get_by_text("Work:")
    before = estimate.inner_text()
    edit()
    tab.wait_for_function(
        "(before) => [...document.querySelectorAll('p')].some(p => p.innerText.startsWith('Work:') && p.innerText !== "
        "before)",
        arg=before,
        timeout=60_000,
    )


def test_the_fit_check_after_a_training_says_it_is_its_own_job_and_leaves_with_it(tab, app_server):
    tab.goto(app_server + LINK)
    wait_idle(tab, title="Training")
    _changes_the_estimate(tab, lambda: tab.get_by_text("The seed's three models, to compare").click())
    epochs = tab.get_by_role("spinbutton", name="Epochs")
    _changes_the_estimate(tab, lambda: (epochs.fill("1"), epochs.press("Enter")))
    samples = tab.get_by_role("spinbutton", name="Samples")  # a small fit: the boxes, not the training, are tested
    _changes_the_estimate(tab, lambda: (samples.fill("64"), samples.press("Enter")))
    wait_idle(tab, title="Training")
    tab.evaluate(_RECORD_STATUS_BOXES)
    tab.locator("[data-testid='stMain']").get_by_role("button", name="Train").click()
    tab.get_by_text("Final loss").wait_for(timeout=180_000)
    # The fit() check's answer: Keras's refusal to fit model 3 on per-timestep targets, in a code block.
    tab.locator("[data-testid='stMain'] [data-testid='stCode']").first.wait_for(timeout=180_000)
    wait_idle(tab, title="Training")
    seen = tab.evaluate("() => window.__statusBoxes")
    assert seen, "the fit() check's status box was never drawn"  # it was: the training's results start that job
    assert [box for box in seen if not box.startswith("Your fit() check: ")] == [], seen
    assert tab.locator(_STATUS_BOX).count() == 0  # gone with its job


# A server of its own whose first run puts another visitor's job in the worker, held until the test releases it: the
# step panel's weights then wait in the queue for as long as the test needs, whatever the machine's speed.
HELD_FRAME = """
import os, pathlib, runpy

_hold = pathlib.Path(os.environ["TDE_TEST_HOLD"])
if _hold.exists():
    _hold.unlink()
    from tests.worker_handlers import Hold
    from views import common

    common.keras_worker().submit("another visitor", Hold(os.environ["TDE_TEST_GATE"]))
runpy.run_path(str(pathlib.Path(__file__).with_name("app.py")), run_name="__main__")
"""
PANEL = "Sample 0 of the Training page's"  # the open step panel's caption: its weights have come


def test_a_box_that_says_what_a_job_waits_for_leaves_when_that_job_ends(tmp_path, monkeypatch, chromium):
    """The step panel asks for its model's weights on every run. A learner who edited the model while the first
    weights were still queued read "Your weights is still queued: wait for it to end…", a box that stayed after that
    job had ended, and the panel never asked again for the edited model's weights (nothing reran the page)."""
    hold, gate = tmp_path / "hold", tmp_path / "gate"
    monkeypatch.setenv("TDE_TEST_HOLD", str(hold))
    monkeypatch.setenv("TDE_TEST_GATE", str(gate))
    frame = ROOT / f".held_frame_{tmp_path.name}.py"  # beside app.py, so that the pages resolve as they do for it
    frame.write_text(HELD_FRAME)
    hold.touch()
    try:
        with streamlit_server(script=frame.name, speculate=False) as url:
            page = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.goto(url + "/unrolled?timesteps=6&input_size=2&hidden_size=3&output_size=2")
            wait_idle(page, title="Unrolled network")
            assert not hold.exists()  # the held job is in the worker
            page.get_by_role("button", name="Show the numbers").click()
            page.locator(_ANY_STATUS_BOX).first.wait_for(timeout=60_000)  # the weights wait behind the held job
            timesteps = page.get_by_role("spinbutton", name="Timesteps (T)")
            timesteps.fill("7")
            timesteps.press("Enter")
            page.wait_for_url("**timesteps=7**", timeout=60_000)
            wait_idle(page, title="Unrolled network")
            waiting = page.locator(_ANY_STATUS_BOX).all_inner_texts()
            assert len(waiting) == 1 and "Your weights" in waiting[0], waiting  # T=7's weights wait for T=6's
            gate.touch()
            page.get_by_text(PANEL).wait_for(timeout=60_000)  # T=6's weights came, then T=7's were asked for
            wait_idle(page, title="Unrolled network")
            assert page.locator(_ANY_STATUS_BOX).count() == 0
            page.context.close()
    finally:
        gate.touch()
        frame.unlink(missing_ok=True)

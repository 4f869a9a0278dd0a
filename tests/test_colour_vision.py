"""The colours that tell the model's parts, the verdicts and the compared models apart stay apart for a reader with
deuteranopia (the most common colour-vision deficiency, about 1 man in 17 with a red-green deficiency of some kind).

Simulation: Machado, Oliveira and Fernandes (2009), severity 1.0, applied to linear sRGB; difference: CIEDE2000 in
CIELAB (D65). Threshold: ΔE00 ≥ 10. One ΔE00 is about the smallest difference seen side by side under good
conditions; marks in a figure are small, apart and read at a glance, so a pair must differ by several times that.
Every pair here also differs by at least as much for normal vision. Pairs that are told apart by something else as
well (the cell kinds also differ by dash) are held to the same bound.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core.figures.theme import CELL_KIND_COLOURS, MODEL_COLOURS, PALETTE

# Machado et al. 2009, Table 1, deuteranomaly at severity 1.0 (deuteranopia); rows give linear R, G, B.
DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
)
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
D65 = np.array([0.95047, 1.0, 1.08883])
MIN_DELTA_E = 10.0

# Colours drawn side by side that a reader must tell apart: the model's parts (the unrolled diagram's rows, the
# step panel), the verdicts (a target that fits, almost fits, breaks), the compared models' curves, the cell kinds.
MUST_DIFFER = {
    "parts": [PALETTE[name] for name in ("input", "cell", "cell_backward", "state", "head", "output")],
    "verdicts": [PALETTE[name] for name in ("ok", "warn", "error")],
    "models": list(MODEL_COLOURS.values()),
    "cell kinds": list(CELL_KIND_COLOURS.values()),
}


def linear_rgb(colour: str) -> np.ndarray:
    """An sRGB hex colour as linear RGB in [0, 1]."""
    channels = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> tuple[float, float, float]:
    """CIELAB (D65) of a linear RGB colour."""
    t = (SRGB_TO_XYZ @ linear) / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def deuteranope(colour: str) -> tuple[float, float, float]:
    """How a colour looks with deuteranopia, in CIELAB."""
    return lab(np.clip(DEUTERANOPIA @ linear_rgb(colour), 0.0, 1.0))


def delta_e_2000(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005)."""
    (l1, a1, b1), (l2, a2, b2) = first, second
    mean_c = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(mean_c**7 / (mean_c**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1p)) % 360, math.degrees(math.atan2(b2, a2p)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    big_dh = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    mean_l, mean_cp = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        mean_h = h1 + h2
    elif abs(h1 - h2) <= 180:
        mean_h = (h1 + h2) / 2
    else:
        mean_h = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(mean_h - 30))
        + 0.24 * math.cos(math.radians(2 * mean_h))
        + 0.32 * math.cos(math.radians(3 * mean_h + 6))
        - 0.20 * math.cos(math.radians(4 * mean_h - 63))
    )
    s_l = 1 + 0.015 * (mean_l - 50) ** 2 / math.sqrt(20 + (mean_l - 50) ** 2)
    s_c, s_h = 1 + 0.045 * mean_cp, 1 + 0.015 * mean_cp * t
    rotation = (
        -math.sin(math.radians(60 * math.exp(-(((mean_h - 275) / 25) ** 2))))
        * 2
        * math.sqrt(mean_cp**7 / (mean_cp**7 + 25**7))
    )
    dl, dc, dhh = (l2 - l1) / s_l, (c2 - c1) / s_c, big_dh / s_h
    return math.sqrt(dl**2 + dc**2 + dhh**2 + rotation * dc * dhh)


def test_delta_e_2000_matches_sharmas_published_pairs():
    """Pairs 1, 7 and 17 of Sharma, Wu and Dalal's test data (their Table 1), to 4 decimals."""
    assert delta_e_2000((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert delta_e_2000((50.0, 0.0, 0.0), (50.0, -1.0, 2.0)) == pytest.approx(2.3669, abs=1e-4)
    assert delta_e_2000((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)) == pytest.approx(27.1492, abs=1e-4)


def test_the_simulation_merges_what_deuteranopes_confuse():
    """The simulation is not a no-op: pure red and a green of about its lightness nearly merge; blue and yellow do
    not."""
    assert delta_e_2000(deuteranope("#ff0000"), deuteranope("#8a7a00")) < 10
    assert delta_e_2000(lab(linear_rgb("#ff0000")), lab(linear_rgb("#8a7a00"))) > 40
    assert delta_e_2000(deuteranope("#0000ff"), deuteranope("#ffff00")) > 60


@pytest.mark.parametrize("group", MUST_DIFFER)
def test_colours_that_must_differ_stay_apart_under_deuteranopia(group):
    close = {
        (first, second): round(delta_e_2000(deuteranope(first), deuteranope(second)), 1)
        for first, second in itertools.combinations(MUST_DIFFER[group], 2)
    }
    assert all(difference >= MIN_DELTA_E for difference in close.values()), close

"""Overview: the seed's question, its three models and the invalid fourth side by side, and the verdict.

Every number comes from `core.describe` for the current cell and sizes (proven equal to Keras in the tests).
"""

from __future__ import annotations

import streamlit as st

from core import ModelSpec, describe, format_shape, seed_variants
from core.figures.line_breaks import identifier_breaks
from core.figures.tables import pattern_cards
from core.model.anatomy import Description
from core.model.spec import STACKING_MISTAKE
from views import common, navigation, step_panel
from views.common import current_spec

CAPTIONS = {
    "Model 1": "return_sequences=True → TimeDistributed(Dense)",
    "Model 2": "return_sequences=True → Dense",
    "Model 3": "return_sequences=False → Dense",
    "Invalid": "return_sequences=False → TimeDistributed(Dense)",
}
CARD_KEYS = {"Model 1": "overview_model_1", "Model 2": "overview_model_2", "Model 3": "overview_model_3"}


def _breakable(label: str) -> str:
    """A class name that a narrow column wraps after "(" ("TimeDistributed(" / "Dense)"), never mid-word.

    Identifiers have no spaces, so the browser would otherwise cut them anywhere ("TimeDistributed(Dens e)").
    `<wbr>` offers the break without adding a character: find-in-page and copy still see "TimeDistributed(Dense)".
    """
    return label.replace("(", "(<wbr>")


def _unbroken(text: str) -> str:
    """`text` with non-breaking spaces, so that a narrow card wraps before it, not inside it."""
    return text.replace(" ", "\u00a0")


def _times(count: int) -> str:
    """'once' or '64 times'."""
    return "once" if count == 1 else f"{count:,} times"


def _load_pattern(pattern: ModelSpec) -> None:
    """Button callback: ask the frame (app.py) to load this spec before it draws the sidebar."""
    st.session_state["pending_spec"] = pattern


def render() -> None:
    """The page: the seed's question, its four variants side by side, the verdict, the sequence patterns, and a link
    to each page that shows a claim."""
    spec = current_spec()
    variants = seed_variants(spec)
    descriptions = {label: describe(variant) for label, variant in variants.items()}
    st.title("TimeDistributed(Dense) or Dense?")
    with common.intro(
        f"After a recurrent layer with `return_sequences=True`, is `TimeDistributed(Dense)` any different from a plain "
        f"`Dense`, given that Keras reports the same number of parameters for both? "
        f"And what changes when the {spec.cell} returns only its last step (`return_sequences=False`)?",
        "TimeDistributed(Dense) after return_sequences=True, plain Dense, and the last step only",
    ):
        navigation.link("fix", "Got an error? See where it breaks and a fix Keras accepts", ":material/build:")
    current = next((label for label, variant in variants.items() if variant == spec), None)
    _cards(descriptions, current)
    _verdict(spec, descriptions)
    _patterns(spec)
    _links()


def _cards(descriptions: dict[str, Description], current: str | None) -> None:
    """The four variants side by side, the sidebar's model marked."""
    talk = common.talk_mode()
    # Four columns side by side; on a slide each card keeps only what a room reads from afar (the layers are in the
    # hover-free Weights table), so the four fit the first screen.
    with common.key_picture("overview_cards"):
        columns = st.columns(4, gap="small" if talk else "medium")
    for column, (label, description) in zip(columns, descriptions.items(), strict=True):
        with column.container(border=True, key=CARD_KEYS.get(label, "overview_invalid")):
            _card(label, description, label == current, talk)


def _card(label: str, description: Description, current: bool, talk: bool) -> None:
    """One variant: its layers (not on a slide), its parameters and shapes, or why Keras cannot build it."""
    st.subheader(label)
    st.caption(CAPTIONS[label] + ("  \n:blue-badge[your sidebar model]" if current else ""))
    if not talk:
        rows = [
            f"- **{_breakable(layer.class_label)}** {format_shape(layer.output_shape)} · {layer.params:,} params"
            for layer in description.layers
        ]
        st.markdown("\n".join(rows), unsafe_allow_html=True)  # only for <wbr>: every row is the app's own text
    if (refusal := description.refusal) is None:
        st.metric("Parameters", f"{description.total_params:,}")
        # No break inside a shape: "(None," / "64, 8)" reads as two things.
        st.markdown(
            f"Output shape **{_unbroken(format_shape(description.output_shape))}**  \n"
            f"Target shape **{_unbroken(format_shape(description.target_shape))}**"
        )
    elif talk:
        _refusal_box(refusal.slide_line)
    else:
        _refusal_box(refusal.why)
        st.markdown("Keras says:")
        st.code(refusal.keras_error, language=None, wrap_lines=True)


def _refusal_box(text: str) -> None:
    """Keras's refusal in a box styled like an error (assets/layout.css), as HTML for <wbr>: the column is narrow, and
    an alert would cut "return_sequence|s=False" mid-word."""
    st.container(key="overview_invalid_error").markdown(
        f":material/block: {identifier_breaks(text)}", unsafe_allow_html=True
    )


def _verdict(spec: ModelSpec, descriptions: dict[str, Description]) -> None:
    """Models 1 and 2 are the same model; model 3 maps a whole sequence to one label."""
    m1, m2, m3 = (descriptions[label] for label in ("Model 1", "Model 2", "Model 3"))
    st.header("Verdict")
    same = (
        m1.total_params == m2.total_params
        and m1.output_shape == m2.output_shape
        and [w.shape for w in m1.head.weights] == [w.shape for w in m2.head.weights]
    )
    if same:
        st.success(
            f"**Model 1 and Model 2 are the same model.** Both have {m1.total_params:,} parameters and the same weight "
            f"shapes, both output `{format_shape(m1.output_shape)}`, and given the same weights they compute the same "
            f"outputs: `Dense` on a 3D input already applies one shared kernel at each of the {spec.output_steps} "
            "timesteps, which is exactly what `TimeDistributed(Dense)` does.",
            icon=":material/check_circle:",
        )
    else:  # never expected; shown rather than hidden if the anatomy ever disagrees
        st.warning(
            f"Model 1 ({m1.total_params:,} parameters, `{format_shape(m1.output_shape)}`) and Model 2 "
            f"({m2.total_params:,}, `{format_shape(m2.output_shape)}`) differ for this configuration."
        )
    st.info(
        f"**Model 3 maps a whole sequence to one label.** Its {spec.cell} hands only the last step to `Dense`, so the "
        f"output is `{format_shape(m3.output_shape)}` and it needs targets shaped `{format_shape(m3.target_shape)}`, "
        f"one per sequence, instead of `{format_shape(m1.target_shape)}`. "
        f"Its Dense is applied {_times(m3.head.applications)} per sample instead of {_times(m1.head.applications)}; "
        f"its parameter count is {m3.total_params:,}.",
        icon=":material/call_merge:",
    )
    st.caption(
        "Fitting Model 3 on Model 1's sequence targets fails on the shape mismatch; TimeDistributed after "
        "return_sequences=False does not even build (the fourth column)."
    )


def _patterns(spec: ModelSpec) -> None:
    """A card per sequence pattern, each loadable into the sidebar, and the classic stacking mistake."""
    st.header("Sequence patterns")
    st.markdown(
        "The same layers make every pattern learners ask about: stack recurrent layers, return one state or all, "
        "repeat a vector along a new time axis, hand states to a decoder. Each card is built from what Keras reports; "
        "**Load** makes it the sidebar model, so every page shows it."
    )
    cards = pattern_cards()
    card_columns = [*st.columns(2, gap="medium"), *st.columns(2, gap="medium")] if common.talk_mode() else st.columns(4)
    for column, card in zip(card_columns, cards, strict=True):
        with column.container(border=True):
            st.subheader(card.name)
            st.caption(card.blurb + ("  \n:blue-badge[your sidebar model]" if card.spec == spec else ""))
            st.metric("Parameters", f"{card.total_params:,}")
            st.markdown(f"X **{card.input_shape}** → Y **{card.output_shape}**")
            st.markdown(_breakable(card.flow), unsafe_allow_html=True)  # only for <wbr>: the app's own text
            st.button(
                "Load", key=f"pattern_{card.name}", on_click=_load_pattern, args=(card.spec,), icon=":material/upload:"
            )
    st.button(
        "Load the classic mistake: two stacked LSTMs, the lower one without return_sequences",
        key="pattern_mistake",
        on_click=_load_pattern,
        args=(STACKING_MISTAKE,),
        icon=":material/error:",
    )


def _links() -> None:
    """A link to the page that shows each claim."""
    st.subheader("See each claim")
    navigation.link("weights", "Same weights: the kernel and bias of both heads", ":material/table_chart:")
    navigation.link("unrolled", "One Dense, applied at every timestep: the unrolled network", ":material/account_tree:")
    step_panel.link("overview_step_link")
    navigation.link("shapes", "Shapes through each layer, and where the time axis goes", ":material/swap_horiz:")
    navigation.link("equivalence", "Same outputs and same training from the same weights", ":material/compare_arrows:")
    navigation.link(
        "training", "Training all three on real data, and Model 3's target mismatch", ":material/monitoring:"
    )
    navigation.link("code", "The Keras code for your model", ":material/code:")

"""Weights: where every parameter of the current spec lives, the seed's variants side by side, and why T doesn't count.

Every number comes from `core.figures.tables`, built on `core.describe` (proven equal to Keras in the tests).
"""

from __future__ import annotations

import streamlit as st

from core import describe
from core.figures.alt_text import growth_alt
from core.figures.tables import (
    GROWTH_AXES,
    counterfactual,
    growth_data,
    growth_spec,
    summary_totals,
    table_csv,
    variant_cell_status,
    variants_table,
    weight_tensors_table,
    weights_table,
)
from core.figures.theme import COMPACT
from core.figures.weights import growth_figure
from core.model.anatomy import Description
from core.model.spec import ModelSpec
from views import cache, common, step_panel
from views.common import current_spec, talk_mode

STATUS_STYLES = {
    "diff": "background-color: #fdd0a2; font-weight: bold",
    "na": "color: #969696",
    "same": "",
    "": "",
}

VARIANT_WIDTH = 160
WEIGHTS_ROW = 66  # pixels: above st.dataframe's 4rem, where a cell's text wraps


def _variants_and_status(spec: ModelSpec) -> tuple:
    """The variants table and which of its cells differ from Model 1 (pure: built once per spec for every session)."""
    variants = variants_table(spec)
    return variants, variant_cell_status(variants)


# Built once per input for the whole server (views/cache.py): every visitor on one link sees the same numbers.
weights_table = cache.once(weights_table)
weight_tensors_table = cache.once(weight_tensors_table)
table_csv = cache.once(table_csv)
growth_data = cache.once(growth_data)
growth_figure = cache.once(growth_figure)
variants_and_status = cache.once(_variants_and_status)


def render() -> None:
    """The page: the current model's weight tensors, the shared head's counterfactual, the seed's variants with
    these sizes, and how parameters and work grow."""
    spec = current_spec()
    description = describe(spec)
    st.title("Weights")
    _intro(spec, description)
    _weights_table(spec, description)
    _counterfactual(spec)
    _variants(spec)
    _growth(spec)


def _intro(spec: ModelSpec, description: Description) -> None:
    """What the table lists, for this model."""
    common.intro(
        f"Every weight tensor of the current model, `{description.recurrent.class_label}` → `{spec.head_label}` with "
        f"`return_sequences={spec.return_sequences}`, where its parameters come from, and what share of the total "
        "it is."
        + (
            f" One row per layer: each of the {spec.recurrent_count} recurrent layers has its own weights; a layer "
            "above the first reads the one below, so its kernel has the lower layer's width as rows."
            if spec.recurrent_count > 1
            else ""
        ),
        f"Every weight tensor of {description.recurrent.class_label} → {spec.head_label}, and its share of the total",
    )


def _weights_table(spec: ModelSpec, description: Description) -> None:
    """Every weight tensor of the current spec, the summary's totals, the CSV, and each tensor by its Keras path."""
    if description.error:
        st.error(description.error, icon=":material/block:")
        st.caption("The table stops where Keras stops: at the recurrent layer.")

    table = weights_table(spec)
    picture = common.key_picture("weights_picture")
    common.table(
        table,
        "weights_table",
        where=picture,
        percent=["Share of total"],
        # Widths that add up to the column beside the sidebar at 1400 px (about 940 px), rows tall enough that the
        # formula and the tensors wrap (st.dataframe wraps above 4rem) instead of ending in "recurrent_kern…".
        column_config={
            "Layer": st.column_config.TextColumn(width=125),
            "Keras class": st.column_config.TextColumn(width=165),
            "Parameters": st.column_config.TextColumn(width=85, alignment="right"),
            "Share of total": st.column_config.ProgressColumn(
                format="percent", min_value=0.0, max_value=1.0, width=120
            ),
            "Formula": st.column_config.TextColumn(width=200),
            "Weight tensors": st.column_config.TextColumn(
                width=215,
                help="Each tensor by its Keras name and shape; the expander below lists every tensor on its own row.",
            ),
        },
        row_height=WEIGHTS_ROW,
        # The numbers first; the output shape stays in the CSV (the Shape flow page draws it), leaving room on screen.
        column_order=["Layer", "Keras class", "Parameters", "Share of total", "Formula", "Weight tensors"],
    )
    totals = summary_totals(spec)
    total_columns = picture.columns(len(totals))
    for column, (label, value) in zip(total_columns, totals.items(), strict=True):
        column.metric(label, value)
    st.caption(
        "The totals as Keras's `model.summary()` prints them for this model (4 bytes per float32 parameter). "
        "A compiled model's summary also lists the optimizer's variables; the *Shape flow* page shows Keras's own "
        "summary."
    )
    st.download_button(
        "Download the table as CSV",
        data=table_csv(spec),
        file_name=f"weights_{spec.cell.lower()}_{spec.head}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="weights_csv",
    )
    with st.expander("Every weight tensor, by its Keras variable path"):
        common.table(weight_tensors_table(spec), "weights_tensors_table")


def _counterfactual(spec: ModelSpec) -> None:
    """One Dense shared by every timestep, against one Dense per timestep."""
    st.header("One Dense, shared by every timestep")
    story = counterfactual(spec)
    left, right = st.columns(2)
    left.metric(
        f"If each of the {story.timesteps} timesteps had its own Dense",
        f"{story.unshared_head_params:,}",
        help=f"{story.timesteps} × {story.head_params:,}",
    )
    right.metric(f"Keras's {story.head_label}: one Dense, shared", f"{story.head_params:,}")
    st.markdown(f"**{story.sentence}**")
    st.markdown(story.note)
    step_panel.link("weights_step_link")


def _variants(spec: ModelSpec) -> None:
    """The seed's four variants with the current sizes, the cells that differ from Model 1 highlighted."""
    st.header("The seed's variants, with your sizes")
    st.markdown(
        f"`return_sequences` × head for `{spec.cell}`, T={spec.timesteps}, input {spec.input_size}, hidden "
        f"{spec.hidden_size}, output {spec.output_size}. Cells that differ from Model 1 are highlighted; the last "
        "column marks the rows where all variants agree (=)."
    )
    variants, status = variants_and_status(spec)
    row_height = 44 if talk_mode() else 35
    # Tall enough for every row: the last rows (targets, builds) are the point of the comparison.
    common.table(
        variants,
        "variants_table",
        styles=status.map(STATUS_STYLES.get),
        # Streamlit's rows are 35 px; talk mode's larger type needs taller ones.
        row_height=row_height,
        height=(row_height + 1) * (len(variants) + 1) + 3,
        # Wide enough for "TimeDistributed(Dense)" and "Bidirectional(LSTM)", so no cell is cut off.
        column_config={label: st.column_config.TextColumn(width=VARIANT_WIDTH) for label in variants.columns[1:-1]},
    )
    st.caption(
        "Model 1 and Model 2 agree on every row: same weights, same shapes, same parameters. Model 3 keeps the same "
        "weights but applies its Dense once per sample, and needs one target per sequence. The fourth does not build."
    )


def _growth(spec: ModelSpec) -> None:
    """Parameters and work as T, a size or the stack's depth grows."""
    st.header("Parameters stay, work grows")
    axis = st.segmented_control(
        "Vary",
        options=list(GROWTH_AXES),
        format_func=GROWTH_AXES.get,
        default="timesteps",
        key="weights_growth_axis",
    )
    axis = axis or "timesteps"  # a segmented control can be cleared; fall back rather than draw nothing
    common.chart(
        growth_figure(spec, axis, common.theme()),
        key="weights_growth",
        alt=growth_alt(spec, axis),
        compact=growth_figure(spec, axis, COMPACT),  # a phone: the two panels one above the other
    )
    if growth_spec(spec) != spec:
        st.caption("Your model does not build, so the curves are drawn for the nearest model that does, same sizes.")
    if axis == "timesteps":
        st.markdown(
            "Parameters are flat in T: one set of weights, reused at every step. Multiply-adds grow linearly with T: "
            "the recurrent cell (and, with `return_sequences=True`, the head) runs once per timestep."
        )
    elif axis == "layers":
        st.markdown(
            "Each stacked layer has its own weights: parameters and work both grow with every layer. A layer above the "
            "first reads the one below (its hidden size, not the input size), so its kernel has a different shape."
        )
    else:
        st.markdown(
            f"Parameters and work both grow with the {GROWTH_AXES[axis].lower()}: the kernels get wider. The gates "
            "make the difference between the cells: an LSTM has 4 sets of weights, a GRU 3, a SimpleRNN 1."
        )
    with st.expander("The numbers behind the chart"):
        common.table(growth_data(spec, axis), "weights_growth_table")

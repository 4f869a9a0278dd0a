"""The numbers of the Weights page as plain data: tables, the counterfactual and the growth curves' data.

Everything here is derived from `core.describe`, which the tests prove equal to Keras, so the page never shows
a number of its own making. Pure Python (pandas): no TensorFlow, no Streamlit;
the growth chart itself is drawn in core.figures.weights.

Example:
    >>> from core import ModelSpec
    >>> counterfactual(ModelSpec()).unshared_head_params
    8704
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from core.model.anatomy import Description, Layer, describe, fmt, format_shape
from core.model.spec import CELLS, INT_RANGES, PATTERN_BLURBS, PATTERNS, ModelSpec, seed_variants

# Keras stores every weight as float32: 4 bytes per parameter (the memory figure of model.summary()).
BYTES_PER_PARAM = 4

GROWTH_AXES = {
    "timesteps": "Timesteps T",
    "hidden_size": "Hidden size",
    "input_size": "Input size",
    "layers": "Stacked layers",
}


def weights_cell(layer: Layer) -> str:
    """The layer's weight tensors with their shapes, e.g. "kernel (15, 48) · recurrent_kernel (16, 48) · ...".

    Bidirectional keeps two copies of the same shapes; they are listed once, as "forward and backward, each: ...",
    so the cell stays short enough to read in the table.
    """
    if not layer.weights:
        return "—"
    forward = [weight for weight in layer.weights if "/forward_" in weight.name]
    weights = forward or layer.weights
    listed = " · ".join(f"{weight.short_name} {format_shape(weight.shape)}" for weight in weights)
    return f"forward and backward, each: {listed}" if forward else listed


def readable_memory_size(size: float) -> str:
    """Bytes as Keras's summary prints them ("6.72 KB"): powers of 1024, two decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def weights_table(spec: ModelSpec) -> pd.DataFrame:
    """One row per layer of the spec's model: class, weights, parameters, formula and share of the total.

    Rows follow `model.layers`; for the combination Keras refuses they stop at the recurrent layer, as Keras does.
    """
    description = describe(spec)
    total = description.total_params
    rows = []
    for layer in description.layers:
        rows.append(
            {
                "Layer": layer.name,
                "Keras class": layer.class_label,
                "Output shape": format_shape(layer.output_shape),
                "Weight tensors": weights_cell(layer),
                "Parameters": layer.params,
                "Formula": layer.formula,
                "Share of total": layer.params / total if total else 0.0,
            }
        )
    return pd.DataFrame(rows)


def summary_table(spec: ModelSpec) -> pd.DataFrame:
    """The columns of Keras's `model.summary()`: layer, class, output shape and parameters (the Shape flow page)."""
    return weights_table(spec)[["Layer", "Keras class", "Output shape", "Parameters"]]


def whole_columns(table: pd.DataFrame) -> list[str]:
    """The columns of whole numbers (integers, not booleans): the ones written with thousands separators."""
    return [
        column
        for column in table.columns
        if pd.api.types.is_integer_dtype(table[column]) and not pd.api.types.is_bool_dtype(table[column])
    ]


def with_separators(table: pd.DataFrame) -> Styler:
    """The table as shown: whole numbers with thousands separators ("1,584"), as every page writes them.

    Only the display changes: the cells stay numbers, so a column still sorts by value and the CSV stays plain.
    """
    return table.style.format(fmt, subset=whole_columns(table))


def weight_tensors_table(spec: ModelSpec) -> pd.DataFrame:
    """One row per weight tensor, named by its Keras variable path (as `model.weights` lists them)."""
    rows = []
    for layer in describe(spec).layers:
        for weight in layer.weights:
            rows.append(
                {"Layer": layer.name, "Variable": weight.name, "Shape": format_shape(weight.shape), "Size": weight.size}
            )
    return pd.DataFrame(rows, columns=["Layer", "Variable", "Shape", "Size"])


def summary_totals(spec: ModelSpec) -> dict[str, str]:
    """The totals as `model.summary()` prints them for the uncompiled model: "1,720 (6.72 KB)" and so on.

    All parameters of these models are trainable (no BatchNormalization or frozen layers).
    """
    total = describe(spec).total_params
    shown = f"{fmt(total)} ({readable_memory_size(total * BYTES_PER_PARAM)})"
    return {
        "Total params": shown,
        "Trainable params": shown,
        "Non-trainable params": f"0 ({readable_memory_size(0)})",
    }


def table_csv(spec: ModelSpec) -> str:
    """The weights table as CSV text, with the totals as a last row: the page's download."""
    table = weights_table(spec)
    total_row = {column: "" for column in table.columns}
    total_row.update({"Layer": "Total", "Parameters": describe(spec).total_params, "Share of total": 1.0})
    return pd.concat([table, pd.DataFrame([total_row])], ignore_index=True).to_csv(index=False)


# -- the seed's variants side by side ----------------------------------------------------------------------


NOT_BUILT = "—"


def _variant_facts(description: Description) -> dict[str, str]:
    spec = description.spec
    recurrent = description.recurrent
    head = description.head
    if head is None:
        head_facts = {
            "Head": spec.head_label,  # "Builds in Keras: no" says the rest; a long cell would be cut off
            "Head input": format_shape(recurrent.output_shape),
            "Head output": "—",
            "Head parameters": "—",
            "Head applications per sample": "—",
        }
    else:
        head_facts = {
            "Head": spec.head_label,
            "Head input": format_shape(head.input_shape),
            "Head output": format_shape(head.output_shape),
            "Head parameters": fmt(head.params),
            "Head applications per sample": fmt(head.applications),
        }
    return {
        "return_sequences": str(spec.return_sequences),
        "Recurrent output": format_shape(recurrent.output_shape),
        # Every recurrent layer's, for a stack: the top one alone would undercount what the head sits on.
        "Recurrent parameters": fmt(sum(layer.params for layer in description.recurrent_layers)),
        **head_facts,
        "Total parameters": fmt(description.total_params) if description.error is None else "—",
        "Multiply-adds per sample": fmt(description.total_macs) if description.error is None else "—",
        "Targets must be": format_shape(description.target_shape),
        "Builds in Keras": "yes" if description.error is None else "no",
    }


def variants_table(spec: ModelSpec) -> pd.DataFrame:
    """The seed's four combinations (return_sequences × head) side by side for the spec's cell and sizes.

    One row per fact, one column per variant, and a last column "Same in all?" that marks the rows where the
    variants agree ("=", or "= where built" when only the refused variant lacks a value) and those where they
    differ ("≠"): the page highlights the differences.
    """
    columns: dict[str, dict[str, str]] = {}
    for label, variant in seed_variants(spec).items():
        columns[label] = _variant_facts(describe(variant))
    table = pd.DataFrame(columns)
    table.insert(0, "Fact", table.index)
    table["Same in all?"] = [_agreement(list(row)) for _, row in table[list(columns)].iterrows()]
    return table.reset_index(drop=True)


def _agreement(values: list[str]) -> str:
    built = [value for value in values if value != NOT_BUILT]
    if len(set(values)) == 1:
        return "="
    if len(set(built)) == 1:
        return "= where built"
    return "≠"


def variant_cell_status(table: pd.DataFrame) -> pd.DataFrame:
    """For each variant cell: "same" as Model 1 on its row, "diff" from it, or "na" (not built); else "".

    The page colours the table from this, so that a difference is seen before it is read.
    """
    variants = [column for column in table.columns if column not in ("Fact", "Same in all?")]
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    for column in variants:
        for index in table.index:
            value = table.at[index, column]
            if value == NOT_BUILT:
                status.at[index, column] = "na"
            else:
                status.at[index, column] = "same" if value == table.at[index, variants[0]] else "diff"
    return status


# -- the counterfactual: one Dense per timestep --------------------------------------------------------------


@dataclass(frozen=True)
class Counterfactual:
    """What the parameter count would be if each timestep had its own weights, against Keras's shared ones."""

    timesteps: int
    head_params: int
    unshared_head_params: int
    recurrent_params: int
    unshared_recurrent_params: int
    head_label: str
    sentence: str
    note: str


def counterfactual(spec: ModelSpec) -> Counterfactual:
    """The classic confusion answered with the spec's sizes: T own Dense layers (T × 136) against Keras's one (136).

    The numbers are those of the per-timestep head (return_sequences=True): the only place the question arises.
    """
    per_step_spec = spec if spec.is_valid and spec.sequence_output else seed_variants(spec)["Model 1"]
    per_step = describe(per_step_spec)
    head = per_step.head
    assert head is not None  # a model that outputs a sequence and builds has a head
    recurrent = per_step.decoder or per_step.recurrent  # the layer that runs once per output step
    T = per_step_spec.output_steps
    unshared = T * head.params
    sentence = (
        f"If every timestep had its own Dense: {T} × {fmt(head.params)} = {fmt(unshared)} parameters; "
        f"Keras shares one: {fmt(head.params)}."
    )
    if per_step_spec is spec:
        note = (
            f"{spec.head_label} applies the same kernel and bias at each of the {T} timesteps: the parameters do "
            f"not grow with T, only the work does. The {recurrent.kind} layer shares its weights across time the same "
            f"way ({fmt(recurrent.params)}, not {T} × {fmt(recurrent.params)} = {fmt(T * recurrent.params)})."
        )
    else:
        note = (
            "Here the Dense sees only the last state and runs once per sample (or Keras refuses the model); the "
            "numbers above are for return_sequences=True, where it would run at every timestep with these same "
            f"{fmt(head.params)} parameters."
        )
    return Counterfactual(
        timesteps=T,
        head_params=head.params,
        unshared_head_params=unshared,
        recurrent_params=recurrent.params,
        unshared_recurrent_params=T * recurrent.params,
        head_label=spec.head_label,
        sentence=sentence,
        note=note,
    )


# -- growth with T, hidden size and input size ---------------------------------------------------------------


def growth_values(spec: ModelSpec, axis: str, points: int = 16) -> list[int]:
    """The x values of the growth chart: from 1 to about twice the current value, always including it."""
    if axis not in GROWTH_AXES:
        raise ValueError(f"axis must be one of {', '.join(GROWTH_AXES)}; got {axis!r}")
    low, high = INT_RANGES[axis]
    current = getattr(spec, axis)
    top = min(high, max(2 * current, 8))
    step = max(1, round((top - low) / (points - 1)))
    values = set(range(low, top + 1, step)) | {top, current}
    return sorted(values)


def growth_spec(spec: ModelSpec) -> ModelSpec:
    """The spec whose growth is drawn: the spec itself, or the nearest model Keras builds (the lower layers
    returning sequences, the encoder returning its last state, a plain Dense head)."""
    if spec.refused_at == "stack":
        spec = spec.replace(inner_return_sequences=True)
    if spec.refused_at == "repeat":
        spec = spec.replace(return_sequences=False)
    return spec if spec.is_valid else spec.replace(head="dense")


def growth_data(spec: ModelSpec, axis: str) -> pd.DataFrame:
    """Parameters and multiply-adds per sample as one size varies, for each cell type (the rest of the spec fixed).

    Columns: cell, the axis name, params, macs, current (True on the spec's own point).
    """
    base = growth_spec(spec)
    rows = []
    for cell in CELLS:
        for value in growth_values(spec, axis):
            description = describe(base.replace(cell=cell, **{axis: value}))
            rows.append(
                {
                    "cell": cell,
                    axis: value,
                    "params": description.total_params,
                    "macs": description.total_macs,
                    "current": cell == spec.cell and value == getattr(spec, axis),
                }
            )
    return pd.DataFrame(rows)


# -- the pattern gallery -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternCard:
    """One sequence pattern as the Overview's gallery shows it: its spec and the facts Keras would report."""

    name: str
    blurb: str
    spec: ModelSpec
    total_params: int
    input_shape: str
    output_shape: str
    flow: str  # "RepeatVector (None, 12, 6) → GRU (None, 12, 16) → …": each layer's class and output shape


def pattern_cards() -> list[PatternCard]:
    """Karpathy's patterns with the app's preset sizes, each described as Keras builds it."""
    cards = []
    for name, spec in PATTERNS.items():
        description = describe(spec)
        flow = " → ".join(
            f"{layer.class_label} {format_shape(layer.output_shape)}"
            for layer in description.layers
            if layer.role not in ("input", "activation")
        )
        cards.append(
            PatternCard(
                name=name,
                blurb=PATTERN_BLURBS[name],
                spec=spec,
                total_params=description.total_params,
                input_shape=format_shape(description.layers[0].output_shape),
                output_shape=format_shape(description.output_shape),
                flow=flow,
            )
        )
    return cards


# -- a slide's tables: HTML whose text grows with talk mode (st.dataframe draws on a canvas CSS cannot enlarge) -----
def cell_text(value: Any, percent: bool = False) -> str:
    """A cell as the slide's table prints it: 1,584 · 0.1234 · 3.1e-08 · 7.9% · True (as Python and Keras spell it);
    empty when missing."""
    if value is None or (isinstance(value, numbers.Real) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if percent:
        return f"{value:.1%}"
    if isinstance(value, numbers.Integral):
        return fmt(int(value))
    if isinstance(value, numbers.Real):
        if 0 < abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def html_table(data: pd.DataFrame, styles: pd.DataFrame | None = None, percent: Sequence[str] = ()) -> str:
    """The table as HTML for a slide: text that assets/talk.css sizes, each cell's whole text as its hover (a long
    cell is cut with an ellipsis on screen), numbers right-aligned, the caller's cell styles kept."""
    numeric = {column for column in data.columns if pd.api.types.is_numeric_dtype(data[column])}
    head = "".join(f'<th title="{html.escape(str(column))}">{html.escape(str(column))}</th>' for column in data.columns)
    rows = []
    for position in range(len(data)):
        cells = []
        for column_index, column in enumerate(data.columns):
            text = html.escape(cell_text(data.iloc[position, column_index], column in percent))
            style = "" if styles is None else str(styles.iloc[position, column_index] or "")
            attributes = ' class="num"' * (column in numeric) + (f' style="{html.escape(style)}"' if style else "")
            cells.append(f'<td{attributes} title="{text}">{text}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="tde-table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'

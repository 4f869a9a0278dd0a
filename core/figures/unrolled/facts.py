"""The facts about one recurrent layer that the layout, the hover texts and the captions share, and the words they
are written with (subscripts, weight lists, "used 64 times").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.figures.unrolled.model import step_shape
from core.model.anatomy import Description, Layer, Weight, fmt, format_shape


# -- words ------------------------------------------------------------------------------------------------------------
def sub(name: str, step: int | str) -> str:
    return f"{name}<sub>{step}</sub>"


def weights_text(weights: Sequence[Weight]) -> str:
    """'kernel (15, 48), recurrent_kernel (16, 48), bias (2, 48)': the tensors as Keras names them."""
    return ", ".join(f"{w.short_name} {format_shape(w.shape)}" for w in weights)


def compact_weights(weights: Sequence[Weight]) -> str:
    """'W 16×8, b 8': the short form used in the figure's labels."""
    letters = {"kernel": "W", "recurrent_kernel": "U", "bias": "b"}
    return ", ".join(f"{letters.get(w.short_name, w.short_name)} {'×'.join(map(str, w.shape))}" for w in weights)


def times(count: int) -> str:
    return "once" if count == 1 else f"{fmt(count)} times"


def direction_weights(recurrent: Layer, direction: str) -> tuple[Weight, ...]:
    """The forward or backward copy's weights of a Bidirectional layer (all weights of a plain one)."""
    if recurrent.kind != "Bidirectional":
        return recurrent.weights
    return tuple(w for w in recurrent.weights if f"/{direction}_" in w.name)


def _units(recurrent: Layer) -> int:
    """The recurrent layer's units, read off its recurrent kernel (units × gates·units)."""
    kernel = next(w for w in recurrent.weights if w.short_name == "recurrent_kernel")
    return kernel.shape[0]


@dataclass(frozen=True)
class LayerFacts:
    """The facts the layout needs about one recurrent layer of a description (the stack's layers, the decoder)."""

    description: Description
    layer: Layer
    T: int
    bidirectional: bool
    cell_kind: str
    returns_sequences: bool
    invalid: bool
    state_names: tuple[str, ...]  # ("h", "c") for an LSTM
    x_shape: str
    state_shape: str
    merged_shape: str
    index: int = 0  # the row layer: 0 reads the input, the decoder comes after the stack
    source: str = "x"  # what the layer reads at each step: x, or the layer below's h, or RepeatVector's copy

    @property
    def spec(self):
        return self.description.spec

    @property
    def recurrent(self) -> Layer:
        return self.layer

    @property
    def head(self) -> Layer | None:
        return self.description.head

    @property
    def state_name(self) -> str:
        return ", ".join(self.state_names)

    def directions(self) -> tuple[str, ...]:
        return ("forward", "backward") if self.bidirectional else ("forward",)

    def returned(self, step: int, direction: str = "forward") -> bool:
        """Whether the layer returns this step's state; without return_sequences only each direction's last one."""
        if self.returns_sequences:
            return True
        # The backward copy runs from T-1 down to 0: its final state is the one after x_0.
        return step == (0 if direction == "backward" else self.T - 1)


def layer_facts(description: Description, layer: Layer | None = None, source: str = "x") -> LayerFacts:
    """The layout facts of `layer` (by default the first recurrent layer), reading `source` at each step."""
    recurrent = layer or description.stack[0]
    bidirectional = recurrent.kind == "Bidirectional"
    cell_kind = recurrent.inner_kind if bidirectional else recurrent.kind
    assert cell_kind is not None
    return LayerFacts(
        description=description,
        layer=recurrent,
        T=recurrent.input_shape[1] or 0,
        bidirectional=bidirectional,
        cell_kind=cell_kind,
        returns_sequences=len(recurrent.output_shape) == 3,
        invalid=description.error is not None,
        state_names=("h", "c") if cell_kind == "LSTM" else ("h",),
        x_shape=format_shape(step_shape(recurrent.input_shape)),
        state_shape=format_shape((None, _units(recurrent))),
        merged_shape=format_shape(step_shape(recurrent.output_shape)),
        index=recurrent.index,
        source=source,
    )

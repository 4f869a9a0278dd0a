"""One timestep's arithmetic in numpy: every gate, state and head output of a spec's model, from its real weights.

The weights come from Keras (the TensorFlow worker's `model_weights` job, or a training's final weights) in Keras's
own layout, `model.get_weights()` order: per recurrent direction a kernel (I, G·U), a recurrent kernel (U, G·U) and,
with use_bias, a bias (G·U,) or, for a GRU with reset_after=True, (2, G·U) (input bias, recurrent bias); then the
head's kernel (F, O) and bias (O,). Gate columns are in Keras's order: GRU z, r, h̃; LSTM i, f, c̃, o.

`run(weights, x)` steps the whole sample once (cheap: a few small matrix products per step), so a page can show any
step without recomputing: the panel's "step t" is a lookup. The tests prove every state and output equal to Keras's
own call to 1e-5 for every cell kind, reset_after, use_bias, merge mode and return_sequences.

Example:
    >>> spec = ModelSpec(cell="SimpleRNN", timesteps=3, input_size=2, hidden_size=2, output_size=2)
    >>> rng = np.random.default_rng(0)
    >>> arrays = [rng.normal(size=w.shape).astype(np.float32) for layer in describe(spec).layers for w in layer.weights]
    >>> trace = run(ModelWeights.from_arrays(spec, arrays), np.ones((3, 2), np.float32))
    >>> trace.outputs.shape
    (3, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.model.anatomy import GATES, describe
from core.model.sequence_fields import kept_state
from core.model.spec import ModelSpec

# Each cell's gates in Keras's column order: (symbol, plain name). The symbols are HTML, as the figures draw them.
GATE_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "SimpleRNN": (("h", "new state"),),
    "GRU": (("z", "update gate"), ("r", "reset gate"), ("h̃", "candidate state")),
    "LSTM": (("i", "input gate"), ("f", "forget gate"), ("c̃", "candidate carry"), ("o", "output gate")),
}


@dataclass(frozen=True)
class CellWeights:
    """One recurrent direction's weights in Keras's layout; `bias` None without use_bias."""

    kernel: np.ndarray  # (I, G·U)
    recurrent_kernel: np.ndarray  # (U, G·U)
    bias: np.ndarray | None  # (G·U,), or (2, G·U) for GRU reset_after=True
    names: tuple[str, ...]  # Keras variable paths, in the same order

    @property
    def units(self) -> int:
        """U, the recurrent units."""
        return self.recurrent_kernel.shape[0]

    def gate_slice(self, gate: int) -> slice:
        """The columns of gate number `gate` (Keras's order) in every one of the three matrices."""
        return slice(gate * self.units, (gate + 1) * self.units)


@dataclass(frozen=True)
class LayerWeights:
    """One recurrent layer's weights: its forward cell, its backward copy (Bidirectional), its Keras name and role
    ("recurrent" for the stack, "decoder" after RepeatVector)."""

    name: str
    role: str
    forward: CellWeights
    backward: CellWeights | None


@dataclass(frozen=True)
class ModelWeights:
    """All weights of a spec's model, as numpy arrays: every recurrent layer (the stack bottom first, then the
    decoder) and the head. `forward` / `backward` are the top layer's, the one the head reads."""

    spec: ModelSpec
    layers: tuple[LayerWeights, ...]
    head_kernel: np.ndarray  # (F, O)
    head_bias: np.ndarray | None  # (O,)
    head_names: tuple[str, ...]

    @classmethod
    def from_arrays(cls, spec: ModelSpec, arrays: Sequence[np.ndarray]) -> ModelWeights:
        """Split `model.get_weights()` of the spec's model; ValueError when a shape differs from `describe(spec)`."""
        description = describe(spec)
        if description.head is None:
            raise ValueError(f"this spec has no model: {description.error}")
        expected = [w for layer in description.layers for w in layer.weights]
        if len(arrays) != len(expected):
            raise ValueError(f"expected {len(expected)} weight arrays, got {len(arrays)}")
        for weight, array in zip(expected, arrays, strict=True):
            if tuple(array.shape) != weight.shape:
                raise ValueError(f"{weight.name}: expected shape {weight.shape}, got {tuple(array.shape)}")
        values = [np.asarray(array, dtype=np.float32) for array in arrays]
        per_direction = 3 if spec.use_bias else 2

        def cell(offset: int) -> CellWeights:
            names = tuple(w.name for w in expected[offset : offset + per_direction])
            bias = values[offset + 2] if spec.use_bias else None
            return CellWeights(values[offset], values[offset + 1], bias, names)

        layers = []
        offset = 0
        for layer in description.recurrent_layers:  # no other layer before the head has weights
            forward = cell(offset)
            backward = cell(offset + per_direction) if spec.bidirectional else None
            offset += len(layer.weights)
            layers.append(LayerWeights(layer.name, layer.role, forward, backward))
        head_bias = values[offset + 1] if spec.use_bias else None
        head_names = tuple(w.name for w in expected[offset:])
        return cls(spec, tuple(layers), values[offset], head_bias, head_names)

    @property
    def forward(self) -> CellWeights:
        """The top layer's forward cell."""
        return self.layers[-1].forward

    @property
    def backward(self) -> CellWeights | None:
        """The top layer's backward cell (None without Bidirectional)."""
        return self.layers[-1].backward

    def cell(self, direction: str, layer: int = -1) -> CellWeights:
        """The forward or backward direction's weights of recurrent layer `layer` (the top by default)."""
        weights = self.layers[layer].forward if direction == "forward" else self.layers[layer].backward
        if weights is None:
            raise ValueError("this layer has no backward direction")
        return weights


@dataclass(frozen=True)
class Quantity:
    """One vector of a step: its symbol (HTML), what it is, its equation (HTML) and its values.

    `kind` is "input", "incoming", "gate" (or an intermediate) or "outgoing"; `gate` the weight columns it uses.
    """

    symbol: str
    name: str
    equation: str
    values: np.ndarray
    kind: str
    gate: int | None = None


@dataclass(frozen=True)
class CellStep:
    """One direction's cell at timestep t (the step that reads x_t), every vector in the order it is computed;
    `masked` when the sample's mask skips step t (Keras's Masking): the cell's result is dropped, the state kept."""

    direction: str
    t: int
    quantities: tuple[Quantity, ...]
    masked: bool = False

    def get(self, symbol: str) -> np.ndarray:
        """The values of the quantity named `symbol` (e.g. "z", "h<sub>t</sub>")."""
        return next(q.values for q in self.quantities if q.symbol == symbol)

    @property
    def h(self) -> np.ndarray:
        """The state this step hands on (and returns)."""
        return next(q.values for q in self.quantities if q.kind == "outgoing")


@dataclass(frozen=True)
class LayerTrace:
    """One recurrent layer stepped through a sample: `forward[t]` / `backward[t]` are the cells that read step t
    (the backward direction runs from the last step down to 0, so its step t receives the state of step t+1);
    `output` is what the layer returns, (steps, F) with return_sequences, else (F,)."""

    spec: ModelSpec
    index: int
    name: str
    role: str
    forward: tuple[CellStep, ...]
    backward: tuple[CellStep, ...] | None
    output: np.ndarray

    @property
    def steps(self) -> int:
        """How many steps the layer runs (T, or the decoder's output_timesteps)."""
        return len(self.forward)

    def merged(self, t: int) -> np.ndarray:
        """The merged state at step t (what the layer returns at t when it returns sequences)."""
        if self.output.ndim == 2:  # a masked step of a Bidirectional layer returns zeros
            return self.output[t]
        backward = self.backward[t].h if self.backward is not None else None
        return merge(self.spec, self.forward[t].h, backward)

    def final_states(self) -> list[np.ndarray]:
        """What return_state=True adds, in Keras's order: h (and c) of the forward cell after its last step, then the
        backward cell's after step 0."""
        states = []
        for steps, last in ((self.forward, -1), (self.backward, 0)):
            if steps is None:
                continue
            step = steps[last]
            states.append(step.h)
            if self.spec.cell == "LSTM":
                states.append(step.get(_sub("c", "t")))
        return states


@dataclass(frozen=True)
class Trace:
    """A whole sample stepped through the model: every recurrent layer (`layers`, the stack bottom first, then the
    decoder), the head and the activation.

    `forward`, `backward`, `merged` and `layer_output` are the top layer's (what the head reads): `layer_output` is
    (steps, F) for a model that outputs a sequence, else (F,). `logits` are W·h + b and `outputs` the model's output
    after the activation, shaped like `layer_output` with O features.
    """

    spec: ModelSpec
    x: np.ndarray
    layers: tuple[LayerTrace, ...]
    logits: np.ndarray
    outputs: np.ndarray

    @property
    def top(self) -> LayerTrace:
        """The layer the head reads."""
        return self.layers[-1]

    @property
    def forward(self) -> tuple[CellStep, ...]:
        return self.top.forward

    @property
    def backward(self) -> tuple[CellStep, ...] | None:
        return self.top.backward

    @property
    def layer_output(self) -> np.ndarray:
        return self.top.output

    def merged(self, t: int) -> np.ndarray:
        """The top layer's merged state at step t."""
        return self.top.merged(t)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _sub(name: str, index: str) -> str:
    return f"{name}<sub>{index}</sub>"


@dataclass(frozen=True)
class Source:
    """What a layer's cell reads and starts from, as the panel names it: its input at step t (`{t}` is filled in)
    and its initial state."""

    input: str = "X[sample, {t}, :]"
    name: str = "input at this step"
    initial: str = "zeros at the first step"


def cell_step(
    spec: ModelSpec,
    w: CellWeights,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray | None,
    t: int,
    direction: str,
    source: Source = Source(),
) -> CellStep:
    """The cell's arithmetic for one step, exactly as Keras 3's SimpleRNNCell / GRUCell / LSTMCell compute it."""
    prev = "t+1" if direction == "backward" else "t-1"
    x_in = Quantity(_sub("x", "t"), source.name, source.input.format(t=t), x, "input")
    h_in = Quantity(_sub("h", prev), "incoming state", source.initial, h, "incoming")
    quantities = [x_in, h_in]
    u = w.units
    K, R = w.kernel, w.recurrent_kernel
    if spec.cell == "SimpleRNN":
        b = w.bias if w.bias is not None else 0.0
        h_new = np.tanh(x @ K + h @ R + b)
        eq = f"tanh(x<sub>t</sub>·W + {_sub('h', prev)}·U{' + b' if w.bias is not None else ''})"
        quantities.append(Quantity(_sub("h", "t"), "new state", eq, h_new, "outgoing", 0))
        return CellStep(direction, t, tuple(quantities))
    if spec.cell == "GRU":
        return _gru_step(spec, w, x, h, t, direction, prev, quantities)
    assert c is not None
    quantities.append(Quantity(_sub("c", prev), "incoming carry", source.initial, c, "incoming"))
    z = x @ K + h @ R + (w.bias if w.bias is not None else 0.0)
    bias = " + b" if w.bias is not None else ""
    gates = []
    for gate, (symbol, name) in enumerate(GATE_NAMES["LSTM"]):
        part = z[gate * u : (gate + 1) * u]
        act, fn = (np.tanh, "tanh") if symbol == "c̃" else (_sigmoid, "σ")
        values = act(part)
        gates.append(values)
        bias_term = f"{bias}<sub>{symbol}</sub>" if bias else ""
        eq = f"{fn}(x<sub>t</sub>·W<sub>{symbol}</sub> + {_sub('h', prev)}·U<sub>{symbol}</sub>{bias_term})"
        quantities.append(Quantity(symbol, name, eq, values, "gate", gate))
    i, f, c_hat, o = gates
    c_new = f * c + i * c_hat
    h_new = o * np.tanh(c_new)
    quantities.append(Quantity(_sub("c", "t"), "new carry", f"f ⊙ {_sub('c', prev)} + i ⊙ c̃", c_new, "outgoing"))
    quantities.append(Quantity(_sub("h", "t"), "new state", f"o ⊙ tanh({_sub('c', 't')})", h_new, "outgoing"))
    # The state handed on is h first (the carry travels beside it).
    quantities[-2], quantities[-1] = quantities[-1], quantities[-2]
    return CellStep(direction, t, tuple(quantities))


def _gru_step(
    spec: ModelSpec,
    w: CellWeights,
    x: np.ndarray,
    h: np.ndarray,
    t: int,
    direction: str,
    prev: str,
    quantities: list[Quantity],
) -> CellStep:
    """Keras's GRUCell: reset_after=True applies r after the recurrent product (and keeps a recurrent bias)."""
    u = w.units
    K, R = w.kernel, w.recurrent_kernel
    if w.bias is None:
        input_bias = recurrent_bias = np.zeros(3 * u, dtype=np.float32)
    elif spec.reset_after:
        input_bias, recurrent_bias = w.bias[0], w.bias[1]
    else:
        input_bias, recurrent_bias = w.bias, np.zeros(3 * u, dtype=np.float32)
    x_part = x @ K + input_bias
    hp = _sub("h", prev)
    b_in = " + b" if w.bias is not None else ""
    b_rec = " + b′" if w.bias is not None and spec.reset_after else ""
    z = _sigmoid(x_part[:u] + h @ R[:, :u] + recurrent_bias[:u])
    r = _sigmoid(x_part[u : 2 * u] + h @ R[:, u : 2 * u] + recurrent_bias[u : 2 * u])
    if spec.reset_after:
        recurrent_h = r * (h @ R[:, 2 * u :] + recurrent_bias[2 * u :])
        cand_eq = f"tanh(x<sub>t</sub>·W<sub>h</sub>{b_in}<sub>h</sub> + r ⊙ ({hp}·U<sub>h</sub>{b_rec}<sub>h</sub>))"
    else:
        recurrent_h = (r * h) @ R[:, 2 * u :]
        cand_eq = f"tanh(x<sub>t</sub>·W<sub>h</sub> + (r ⊙ {hp})·U<sub>h</sub>{b_in}<sub>h</sub>)"
    h_hat = np.tanh(x_part[2 * u :] + recurrent_h)
    h_new = z * h + (1.0 - z) * h_hat

    def gate_eq(g: str) -> str:
        bias = f"{b_in}<sub>{g}</sub>" if b_in else ""
        rec_bias = f"{b_rec}<sub>{g}</sub>" if b_rec else ""
        return f"σ(x<sub>t</sub>·W<sub>{g}</sub> + {hp}·U<sub>{g}</sub>{bias}{rec_bias})"

    quantities += [
        Quantity("z", "update gate", gate_eq("z"), z, "gate", 0),
        Quantity("r", "reset gate", gate_eq("r"), r, "gate", 1),
        Quantity("h̃", "candidate state", cand_eq, h_hat, "gate", 2),
        Quantity(_sub("h", "t"), "new state", f"z ⊙ {hp} + (1 − z) ⊙ h̃", h_new, "outgoing"),
    ]
    return CellStep(direction, t, tuple(quantities))


def merge(spec: ModelSpec, forward: np.ndarray, backward: np.ndarray | None) -> np.ndarray:
    """Bidirectional's merge of the two directions (concat, sum, ave, mul); the forward state alone otherwise."""
    if backward is None:
        return forward
    mode = spec.merge_mode
    if mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "ave":
        return (forward + backward) / 2
    return forward * backward


MERGE_EQUATIONS = {
    "concat": "[h<sup>→</sup><sub>t</sub> ; h<sup>←</sup><sub>t</sub>]",
    "sum": "h<sup>→</sup><sub>t</sub> + h<sup>←</sup><sub>t</sub>",
    "ave": "(h<sup>→</sup><sub>t</sub> + h<sup>←</sup><sub>t</sub>) / 2",
    "mul": "h<sup>→</sup><sub>t</sub> ⊙ h<sup>←</sup><sub>t</sub>",
}


def activate(spec: ModelSpec, logits: np.ndarray) -> np.ndarray:
    """The final Activation: softmax over the last axis (stabilised as Keras does), or linear."""
    if spec.activation == "linear":
        return logits
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _direction(
    spec: ModelSpec,
    w: CellWeights,
    x: np.ndarray,
    direction: str,
    initial: Sequence[np.ndarray] = (),
    source: Source = Source(),
    mask: np.ndarray | None = None,
) -> tuple[CellStep, ...]:
    """Step one direction through the whole sequence x (steps, features), from `initial` [h, (c)] or zeros; a step
    where `mask` (steps,) is False keeps the incoming state, as Keras's RNN does with a mask."""
    T = x.shape[0]
    h = np.asarray(initial[0], np.float64) if initial else np.zeros(w.units)
    c = None
    if spec.cell == "LSTM":
        c = np.asarray(initial[1], np.float64) if initial else np.zeros(w.units)
    steps: dict[int, CellStep] = {}
    order = range(T) if direction == "forward" else range(T - 1, -1, -1)
    # Only the first step starts from the initial state; later ones get the previous step's (the panel names
    # an incoming state by its equation only when it is handed over, so later steps keep the plain wording).
    later = replace(source, initial=Source.initial)
    for number, t in enumerate(order):
        step = cell_step(spec, w, x[t], h, c, t, direction, source if number == 0 else later)
        if mask is not None and not mask[t]:
            step = kept_state(step, h, c)
        steps[t] = step
        h = step.h
        if c is not None:
            c = step.get(_sub("c", "t"))
    return tuple(steps[t] for t in range(T))


def _layer(
    spec: ModelSpec,
    index: int,
    weights: LayerWeights,
    x: np.ndarray,
    return_sequences: bool,
    initial: Sequence[np.ndarray] = (),
    source: Source = Source(),
    mask: np.ndarray | None = None,
) -> LayerTrace:
    """One recurrent layer (both directions and the merge) over the sequence x; `initial` is Keras's initial_state
    list (a Bidirectional layer gives the first half to its forward copy, the second to its backward one)."""
    half = len(initial) // 2 if weights.backward is not None else len(initial)
    forward = _direction(spec, weights.forward, x, "forward", initial[:half], source, mask)
    backward = None
    if weights.backward is not None:
        backward = _direction(spec, weights.backward, x, "backward", initial[half:], source, mask)
    if return_sequences:
        output = np.stack([merge(spec, forward[t].h, backward[t].h if backward else None) for t in range(len(x))])
        if backward is not None and mask is not None:  # Bidirectional sets zero_output_for_mask=return_sequences
            output[~np.asarray(mask, bool)] = 0.0
    else:
        # Keras returns the forward state after the last step and the backward state after step 0 (its last).
        output = merge(spec, forward[-1].h, backward[0].h if backward else None)
    return LayerTrace(spec, index, weights.name, weights.role, forward, backward, output)


def _sources(spec: ModelSpec, names: Sequence[str]) -> list[Source]:
    """How each recurrent layer's input and initial state are named on the panel."""
    first = (
        Source("x copied by RepeatVector (X[sample, :])", "the one input vector, the same at every step")
        if spec.repeat == "input"
        else Source()
    )
    sources = [first]
    for index in range(1, spec.layers):
        sources.append(Source("h<sub>{t}</sub> of '" + names[index - 1] + "'", "the layer below's state at step t"))
    if spec.repeat == "encoder":
        initial = "the encoder's final state (return_state)" if spec.return_state else "zeros at the first step"
        sources.append(Source("the encoder's last output, copied to step {t}", "RepeatVector's copy", initial))
    return sources


def run(weights: ModelWeights, x: np.ndarray, mask: np.ndarray | None = None) -> Trace:
    """Step one sample x (T, I) — or (I,) for a one-to-many model — through the model: every recurrent layer with
    both directions and the merge, RepeatVector and the decoder's initial state, the head and the activation.
    `mask` (T,) is the sample's Keras mask (`sequence_fields.keras_mask`); the stack keeps its state where False."""
    spec = weights.spec
    x = np.asarray(x, dtype=np.float32)
    expected = spec.input_shape(1)[1:]
    if x.shape != expected:
        raise ValueError(f"sample: expected shape {expected}, got {x.shape}")
    if mask is not None and np.shape(mask) != (spec.timesteps,):
        raise ValueError(f"mask: expected shape ({spec.timesteps},), got {np.shape(mask)}")
    # float64 for the arithmetic: the figures show values rounded, and Keras's float32 agrees to ~1e-7.
    sequence = x.astype(np.float64)
    if spec.repeat == "input":
        sequence = np.repeat(sequence[None, :], spec.timesteps, axis=0)
    sources = _sources(spec, [layer.name for layer in weights.layers])
    layers: list[LayerTrace] = []
    for index in range(spec.layers):
        top = index == spec.layers - 1
        return_sequences = spec.return_sequences if top else spec.inner_return_sequences
        layer = _layer(spec, index, weights.layers[index], sequence, return_sequences, (), sources[index], mask)
        layers.append(layer)
        sequence = layer.output
    if spec.repeat == "encoder":
        encoder = layers[-1]
        initial = encoder.final_states() if spec.return_state else []
        repeated = np.repeat(encoder.output[None, :], spec.output_timesteps, axis=0)
        decoder = weights.layers[spec.layers]
        layers.append(_layer(spec, spec.layers, decoder, repeated, True, initial, sources[spec.layers]))
    output = layers[-1].output
    logits = output @ weights.head_kernel
    if weights.head_bias is not None:
        logits = logits + weights.head_bias
    return Trace(spec, x, tuple(layers), logits, activate(spec, logits))


def gate_count(spec: ModelSpec) -> int:
    """How many gate blocks the cell's matrices hold (1, 3 or 4)."""
    return GATES[spec.cell]

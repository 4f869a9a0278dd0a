"""The exported script's lines for padded sequences and per-step weights (issue 27), kept out of `core.model.code`: the
Masking layer after the input, the zeros after each real length, and the (N, T) `sample_weight` passed to fit()."""

from __future__ import annotations

from core.model.spec import ModelSpec


def masking_lines(spec: ModelSpec, shape: str | None) -> list[str]:
    """The Masking layer right after the input, with its output shape; none without padding."""
    if spec.padding == "none":
        return []
    return [f'x = keras.layers.Masking(mask_value=0.0, name="masking")(x)  # {shape}: all-zero steps are padding']


def padding_lines(spec: ModelSpec) -> list[str]:
    """After X and Y are drawn: the zeros after each real length, and the per-step weights."""
    lines = []
    if spec.padding == "masking":
        lines += [
            "LENGTHS = TIMESTEPS - np.arange(N_SAMPLES) % -(-TIMESTEPS // 2)  # sample n's real length",
            "X[np.arange(TIMESTEPS)[None, :] >= LENGTHS[:, None]] = 0.0  # padding: Masking skips it, the loss too",
        ]
    if fit_weights(spec):
        lines.append(
            "W = np.tile((np.arange(TIMESTEPS) + 1) / TIMESTEPS, (N_SAMPLES, 1)).astype('float32')  "
            "# w_t = (t+1)/T; Keras divides sum(w·loss) by the number of steps, not by sum(w)"
        )
    return lines


def fit_weights(spec: ModelSpec) -> str:
    """What fit() gets besides X and Y: ", sample_weight=W" when per-step weights apply (one output per step)."""
    return ", sample_weight=W" if spec.sample_weight != "none" and spec.sequence_output else ""

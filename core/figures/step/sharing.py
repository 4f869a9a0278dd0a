"""What sharing saves: Keras's one Dense for all steps against a Dense per step and a Flatten → Dense."""

from __future__ import annotations

from dataclasses import dataclass

from core.model.anatomy import Description, describe, fmt
from core.model.spec import ModelSpec


@dataclass(frozen=True)
class SharingRow:
    """One way to put a Dense after the recurrent layer: its parameters and the formula with the numbers in."""

    what: str
    params: int
    formula: str


def sharing_counts(description: Description) -> list[SharingRow]:
    """Keras's shared head against a separate Dense per timestep and a Flatten → Dense, all from `describe`.

    The two alternatives produce the same (T, O) outputs per sample; only the shared one is independent of T.
    """
    head = description.head
    if head is None:
        return []
    spec = description.spec
    T, O = spec.output_steps, spec.output_size
    F = head.input_shape[-1]
    assert F is not None
    bias = spec.use_bias
    flat = (T * F) * (T * O) + (T * O if bias else 0)
    return [
        SharingRow("Keras: one Dense, shared by all steps", head.params, head.formula),
        SharingRow(
            "A separate Dense per timestep", T * head.params, f"{T} × {fmt(head.params)} = {fmt(T * head.params)}"
        ),
        SharingRow(
            "Flatten → one big Dense",
            flat,
            f"({T}·{F}) × ({T}·{O})" + (f" + {T}·{O}" if bias else "") + f" = {fmt(flat)}",
        ),
    ]


def describe_counts(spec: ModelSpec) -> dict[str, int]:
    """The parameter counts the panel states, straight from `describe(spec)` (recurrent layer, head, total)."""
    description = describe(spec)
    head = description.head
    return {
        "recurrent": description.recurrent.params,
        "head": head.params if head is not None else 0,
        "total": description.total_params,
    }

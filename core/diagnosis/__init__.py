"""Fix my error: read a Keras shape error (any generation's wording), the learner's shapes and model, and say why.

`diagnose(text, x_shape, y_shape, model)` reads the text into a frozen `Reading` (core.diagnosis.reading), takes the
learner's model only from what they gave (a summary, code, .keras file, or the sidebar's spec when they pick it),
ranks the causes (core.diagnosis.causes), and proposes minimal fixes of their model (core.diagnosis.remedies), each
with the payload the TensorFlow worker fits before the page calls it checked. Nothing here imports TensorFlow.

Example:
    >>> diagnose("ValueError: Arguments `target` and `output` must have the same rank (ndim). "
    ...          "Received: target.shape=(None, 2), output.shape=(None, 15, 2)").cause
    'target_rank'
"""

from __future__ import annotations

from typing import Any

from core.diagnosis.causes import Candidate, Evidence, rank
from core.diagnosis.explain import explanation, separator
from core.diagnosis.net import SOURCES, Net, net_to_spec
from core.diagnosis.reading import Reading, read_error
from core.diagnosis.remedies import fixes_for
from core.diagnosis.result import CAUSES, TITLES, Diagnosis, Fix, FlowStep
from core.diagnosis.shapes import MAX_DIM, MAX_RANK, MAX_SHAPE_CHARS, Shape, ShapeError, coerce_shape, parse_shape
from core.diagnosis.source import model_words, resolve_model, traceback_model_line
from core.diagnosis.text import MAX_CHARS, MAX_PASTE_CHARS

__all__ = [
    "CAUSES",
    "MAX_CHARS",
    "MAX_DIM",
    "MAX_PASTE_CHARS",
    "MAX_RANK",
    "MAX_SHAPE_CHARS",
    "TITLES",
    "Diagnosis",
    "Fix",
    "FlowStep",
    "Reading",
    "Shape",
    "ShapeError",
    "diagnose",
    "parse_shape",
    "read_error",
]


def _flow(ev: Evidence, cause: str) -> tuple[FlowStep, ...]:
    """X → the learner's layers → output → Y, the step where it breaks marked."""
    steps = [FlowStep("your X", ev.x or ev.reading.found, cause in ("input_rank", "input_features_mismatch"))]
    if ev.net is not None:
        steps.append(FlowStep(ev.net.line(), ev.output))
    elif ev.output is not None:
        steps.append(FlowStep("the model's output", ev.output))
    if ev.target is not None:
        broken = cause not in ("already_works", "input_rank", "input_features_mismatch", "unknown")
        steps.append(FlowStep("your Y", ev.target, broken, "must match the output" if broken else ""))
    return tuple(step for step in steps if step.shape is not None or step.label != "your X")


def _unknown_text(ev: Evidence, maybe: Candidate | None = None) -> str:
    """What was read and what is missing, when no cause fits (and the cause the weak clues point to, if any)."""
    read = []
    if ev.reading.line:
        read.append("an error line that is not one of the shape errors this page knows")
    if ev.x is not None:
        read.append(f"X {ev.x}")
    if ev.y is not None:
        read.append(f"Y {ev.y}")
    if ev.net is not None:
        read.append(f"your model {ev.net.line()}")
    missing = [
        name
        for name, have in (
            ("the error text", ev.reading.line),
            ("X's shape", ev.x),
            ("Y's shape", ev.y),
            ("your model", ev.net),
        )
        if not have
    ]
    said = ("Read: " + "; ".join(read) + ". ") if read else "Nothing to read yet. "
    if maybe is not None:
        said += f"The clues point weakly to {maybe.cause.replace('_', ' ')} ({'; '.join(maybe.reasons)}). "
    return said + (
        "Missing: " + ", ".join(missing) + "." if missing else "These fit together as far as this page can tell."
    )


def _with_input(net: Net | None, x: Shape | None, notes: list[str]) -> Net | None:
    """The learner's model with the input axes it does not tell taken from X (said in a note)."""
    if net is None or x is None or len(x) < 2:
        return net
    shape = net.input_shape
    if shape is not None and len(shape) == len(x) - 1 and all(dim is not None for dim in shape):
        return net
    if shape is not None and len(shape) == len(x) - 1:
        filled = tuple(dim if dim is not None else x[index + 1] for index, dim in enumerate(shape))
    elif shape is None:
        filled = tuple(x[1:])
    else:
        return net
    notes.append(f"Your model's input was taken as {filled}, from X's shape.")
    return Net(net.layers, filled, net.loss, net.source, net.guessed, net.outside)


CONFIDENT = 1.0  # below this, or tied, the clues do not decide: the answer is unknown, with both named


def _choose(candidates: tuple[Candidate, ...]) -> tuple[Candidate | None, Candidate | None]:
    """The best cause and the runner-up; (None, the best) when the clues are too weak or tied to decide."""
    best = candidates[0] if candidates else None
    runner = candidates[1] if len(candidates) > 1 else None
    if best is not None and (best.score < CONFIDENT or (runner is not None and runner.score == best.score)):
        return None, best
    return best, runner


def diagnose(
    text: Any = "", x_shape: Any = None, y_shape: Any = None, model: Any = None, model_text: str = ""
) -> Diagnosis:
    """Diagnose a Keras shape error from its text, the learner's X and Y shapes and model; never raises.

    `model` is what the learner gave: a `LearnerModel`, a `Net`, or a `ModelSpec` when they chose the sidebar's;
    `model_text` their pasted model as text, whose layer names are clues even when it cannot be read as a model.
    """
    problems: list[str] = []
    notes: list[str] = []
    try:
        reading = read_error(text, problems, notes)
    except (ValueError, TypeError, IndexError) as error:  # a safety net: a paste never breaks the page
        reading = Reading(line=f"(this text could not be read: {type(error).__name__}; please report it)")
    x = coerce_shape(x_shape, "X", problems)
    y = coerce_shape(y_shape, "Y", problems)
    net = _with_input(resolve_model(model), x, notes)
    ev = Evidence(reading, net, x, y, model_words(model_text if isinstance(model_text, str) else ""))
    try:
        best, runner = _choose(rank(ev))
        cause = best.cause if best else "unknown"
        fixes = fixes_for(cause, ev)
        said = explanation(cause, ev) or _unknown_text(ev, runner)
    except (ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError) as error:  # never break the page
        best, runner, cause, fixes = None, None, "unknown", ()
        said = f"This input could not be analysed ({type(error).__name__}); please report it."
    said_by_message = traceback_model_line(reading) if net is None else ""
    return Diagnosis(
        cause,
        said,
        (best.layer if best else None) or reading.layer,
        fixes,
        _flow(ev, cause),
        reading.line,
        tuple(problems),
        tuple(notes),
        runner.cause if runner else None,
        separator(cause, runner.cause) if runner and best else "",
        net.line() if net else said_by_message,
        SOURCES.get(net.source, net.source) if net else ("the error message" if said_by_message else ""),
        net.guessed if net else (),
        net.outside if net else (),
        net_to_spec(net) if net else None,
        best.reasons if best else (),
    )

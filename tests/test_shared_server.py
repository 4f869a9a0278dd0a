"""One server, several visitors: concurrent trainings stay apart, and interrupted trainings leave no thread behind.

Each AppTest is one browser session of the same process (its own session state, the same Keras and TensorFlow), so
three of them training at once is what three visitors of one Streamlit server do.
"""

from __future__ import annotations

import threading
import time

from core import ModelSpec
from core.datasets import make_dataset
from core.training import train
from tests.conftest import run_app

SPECS = [
    ModelSpec(cell="GRU", timesteps=6, input_size=3, hidden_size=4, output_size=2),
    ModelSpec(cell="LSTM", timesteps=5, input_size=2, hidden_size=3, output_size=3, head="dense"),
    ModelSpec(
        cell="SimpleRNN",
        timesteps=4,
        input_size=3,
        hidden_size=5,
        output_size=2,
        return_sequences=False,
        head="dense",
        bidirectional=True,
    ),
]
SAMPLES, BATCH, EPOCHS = 160, 8, 3


def _session(spec: ModelSpec, samples: int = SAMPLES, epochs: int = EPOCHS):
    at = run_app("training", spec.to_params(omit_defaults=True))
    at.number_input(key="training_samples").set_value(samples)
    at.number_input(key="training_batch").set_value(BATCH)
    at.number_input(key="training_epochs").set_value(epochs)
    at.radio(key="training_what").set_value("current")
    return at.run()


def _training_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("training-job")]


def test_three_sessions_training_at_once_each_get_the_losses_their_spec_gives_alone() -> None:
    sessions = [_session(spec) for spec in SPECS]
    for at in sessions:
        at.button(key="training_train").click().run()
    jobs = [at.session_state["training_job"] for at in sessions]
    assert len({id(job) for job in jobs}) == 3  # nothing shared between sessions
    assert sum(job.running for job in jobs) >= 2  # they really overlap
    deadline = time.monotonic() + 300
    while any(job.running for job in jobs) and time.monotonic() < deadline:
        for at in sessions:  # the sessions keep polling, as their pages' fragments would
            at.run()
        time.sleep(0.2)
    assert not any(job.running for job in jobs)

    for at, job, spec in zip(sessions, jobs, SPECS, strict=True):
        assert not at.exception
        snapshot = job.snapshot()
        assert snapshot.status == "done"
        (variant,) = snapshot.variants
        assert variant.spec == spec
        task, lr, seed = snapshot.settings.task, snapshot.settings.learning_rate, snapshot.settings.seed
        alone = train(spec, make_dataset(spec, task, SAMPLES, seed), EPOCHS, BATCH, seed=seed, learning_rate=lr)
        assert list(variant.batch_losses) == alone.batch_losses
        assert list(variant.epoch_losses) == alone.epoch_losses


def test_ten_interruptions_leave_no_training_thread_and_the_next_training_succeeds() -> None:
    spec = SPECS[0]
    at = _session(spec, samples=1000, epochs=30)  # long enough to be running when interrupted
    job = at.session_state["training_job"]
    for round_ in range(10):
        at.button(key="training_train").click().run()
        assert job.running, round_
        if round_ % 3 == 0:
            epochs = at.number_input(key="training_epochs")
            epochs.set_value(29 if epochs.value == 30 else 30).run()
        elif round_ % 3 == 1:
            at.number_input(key="hidden_size").set_value(5 if spec.hidden_size != 5 else 4).run()
            at.number_input(key="hidden_size").set_value(spec.hidden_size).run()
        else:
            at.switch_page("views/overview.py").run()
            at.switch_page("views/training.py").run()
        assert not at.exception
        assert job.join(timeout=60), f"round {round_}: the training thread is still running"
        assert job.snapshot().status == "stopped"
        at.run()  # the page the user sees next: Train enabled again
    assert _training_threads() == []

    at.number_input(key="training_samples").set_value(SAMPLES)
    at.number_input(key="training_epochs").set_value(2).run()
    at.button(key="training_train").click().run()
    assert job.join(timeout=120)
    at.run()
    assert job.snapshot().status == "done"
    assert len(job.snapshot().variants[0].epoch_losses) == 2
    assert not at.exception

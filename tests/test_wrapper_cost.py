"""What the wrapper costs, measured in the installed Keras (issue 27): structural facts only, never wall times."""

from __future__ import annotations

from core.keras.requests import WrapperCost
from core.keras.worker import shared_worker
from core.keras.wrapper_cost import HEADS, head_op_count

JOIN = 180


def test_the_wrapper_s_graph_grows_with_t_and_dense_s_does_not() -> None:
    """Keras 3 loops over a static time axis: one copy of Dense's ops per step; Dense is one matmul at any T."""
    ops = {(head, steps): head_op_count(head, steps) for head in HEADS for steps in (4, 8, 16)}
    assert ops["dense", 4] == ops["dense", 8] == ops["dense", 16]
    per_step = ops["time_distributed", 8] - ops["time_distributed", 4]
    assert per_step > 0 and per_step % 4 == 0
    assert ops["time_distributed", 16] - ops["time_distributed", 8] == 2 * per_step  # linear in T
    assert ops["time_distributed", 16] > ops["dense", 16]
    # A None time axis cannot be unrolled: vectorized_map traces one graph whatever T the data has.
    assert ops["time_distributed_none", 4] == ops["time_distributed_none", 16]


def test_the_worker_measures_ops_and_first_fits() -> None:
    job = shared_worker().submit("wrapper-cost", WrapperCost((4,), True))
    assert job.wait(JOIN) and job.status == "done", job.error
    rows = {row.head: row for row in job.result}
    assert set(rows) == set(HEADS)
    assert all(row.timesteps == 4 and row.first_fit_seconds > 0 for row in rows.values())
    assert rows["time_distributed"].ops > rows["dense"].ops

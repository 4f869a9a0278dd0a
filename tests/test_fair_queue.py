"""The worker's queue is fair per session (core/keras/fair_queue.py): priority first, then round robin by session, so a
visitor who came late is not starved by one who queued many jobs; checked on the order alone and on the real worker
(held by a gate: the test waits on events, not on time)."""

from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st

from core.keras.fair_queue import order_key, turn
from core.keras.worker import shared_worker
from tests.worker_handlers import HELD, Hold, Memory

JOIN = 300


def _queue(pairs):
    """Jobs (priority, session) queued in this order, each given its turn as the worker gives it."""
    waiting: list[tuple] = []
    for arrival, (priority, session) in enumerate(pairs):
        given_turn = turn(waiting, session, priority, session=lambda j: j[3], priority=lambda j: j[0])
        waiting.append((priority, given_turn, arrival, session))
    return sorted(waiting, key=lambda j: order_key(j[0], j[1], j[2]))


def test_a_late_visitor_goes_before_an_early_visitors_second_job():
    order = [job[3] for job in _queue([(1, "early"), (1, "early"), (1, "early"), (1, "late")])]
    assert order == ["early", "late", "early", "early"]


@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from("abcd")), max_size=30))
def test_priorities_first_each_sessions_jobs_in_order_and_sessions_in_turn(pairs):
    ordered = _queue(pairs)
    assert [job[0] for job in ordered] == sorted(job[0] for job in ordered)
    for session in "abcd":
        mine = [job for job in ordered if job[3] == session]
        assert mine == sorted(mine, key=lambda job: (job[0], job[2]))
    for level in range(3):  # before any session's (k+1)-th job at a priority, every session there had its k-th
        counts = {s: sum(1 for j in ordered if j[0] == level and j[3] == s) for s in "abcd"}
        seen: dict[str, int] = {}
        for job in (j for j in ordered if j[0] == level):
            mine = seen.get(job[3], 0)
            assert all(seen.get(other, 0) >= min(mine, counts[other]) for other in "abcd")
            seen[job[3]] = mine + 1


def test_the_worker_serves_a_late_visitor_before_an_early_visitors_second_job(tmp_path):
    worker = shared_worker()
    gate, held = tmp_path / "gate", threading.Event()
    blocker = worker.submit("holder", Hold(str(gate)), listener=lambda e: e == HELD and held.set())
    assert held.wait(JOIN)
    early = [worker.submit("early", Memory(), exclusive=False) for _ in range(3)]
    late = worker.submit("late", Memory(), exclusive=False)
    assert [job.position for job in (*early, late)] == [2, 4, 5, 3]  # the held job is 1: the page shows these
    gate.touch()
    assert blocker.wait(JOIN) and all(job.wait(JOIN) for job in (*early, late))
    finished = sorted((*early, late), key=lambda job: job.finished)
    assert finished == [early[0], late, early[1], early[2]]

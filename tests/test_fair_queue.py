"""The worker's queue order (core/keras/fair_queue.py): priority first, then round robin by session, so a visitor
who came late is not starved by one who queued many jobs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.keras.fair_queue import fair_order


def _order(jobs):
    return fair_order(jobs, priority=lambda j: j[0], session=lambda j: j[1], arrival=lambda j: j[2])


def test_a_late_visitor_goes_before_an_early_visitors_second_job():
    early = [(1, "early", 1), (1, "early", 2), (1, "early", 3)]
    late = (1, "late", 4)
    assert _order([*early, late]) == [early[0], late, early[1], early[2]]


def test_priority_comes_before_turns():
    jobs = [(1, "a", 1), (2, "b", 2), (0, "c", 3), (1, "b", 4)]
    assert _order(jobs) == [(0, "c", 3), (1, "a", 1), (1, "b", 4), (2, "b", 2)]


@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from("abcd")), max_size=30))
def test_every_job_once_each_sessions_in_arrival_order_and_no_session_twice_ahead(pairs):
    jobs = [(priority, session, arrival) for arrival, (priority, session) in enumerate(pairs)]
    ordered = _order(jobs)
    assert sorted(ordered) == sorted(jobs)
    assert [job[0] for job in ordered] == sorted(job[0] for job in ordered)
    for session in "abcd":
        mine = [job for job in ordered if job[1] == session]
        assert mine == sorted(mine, key=lambda job: (job[0], job[2]))
    # Within a priority, before any session's (k+1)-th job, every session with k+1 jobs there has had its k-th.
    for level in range(3):
        seen: dict[str, int] = {}
        counts = {s: sum(1 for j in jobs if j[0] == level and j[1] == s) for s in "abcd"}
        for job in (j for j in ordered if j[0] == level):
            turn = seen.get(job[1], 0)
            assert all(seen.get(other, 0) >= min(turn, counts[other]) for other in "abcd")
            seen[job[1]] = turn + 1

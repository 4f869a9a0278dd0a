"""The worker's queue order: by priority, then round robin by session among equal priorities.

A visitor who asks for several jobs (shared probes are not exclusive) must not push a visitor who came later behind
all of them. Each job gets its session's turn when it is queued (how many jobs of that session and priority already
wait); the queue runs by (priority, turn, arrival). So every session's first waiting job goes before any session's
second, and a job's place never moves back when others arrive (a turn is fixed once given). Pure and TensorFlow-free.

Example:
    >>> waiting = []
    >>> for session, arrival in [("a", 1), ("a", 2), ("b", 3)]:
    ...     waiting.append((0, turn(waiting, session, 0, session=lambda j: j[3], priority=lambda j: j[0]), arrival,
    ...                     session))
    >>> [job[3] for job in sorted(waiting)]
    ['a', 'b', 'a']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

J = TypeVar("J")


def turn(
    waiting: Iterable[J], of: Hashable, at: int, *, session: Callable[[J], Hashable], priority: Callable[[J], int]
) -> int:
    """The turn of a job that session `of` queues at priority `at`: how many of its jobs at that priority wait."""
    return sum(1 for job in waiting if session(job) == of and priority(job) == at)


def order_key(priority: int, turn_: int, arrival: int) -> tuple[int, int, int]:
    """The queue's sort key: priority first, then the session's turn, then arrival."""
    return (priority, turn_, arrival)

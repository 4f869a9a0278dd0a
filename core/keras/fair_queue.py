"""The worker's queue order: by priority, then round robin by session among equal priorities.

A visitor who asks for several jobs (shared probes are not exclusive) must not push a visitor who came later behind
all of them: within one priority, every session's first waiting job goes before any session's second, and sessions
take their turns in the order they first queued. Pure and TensorFlow-free, so the order is tested on its own.

Example:
    >>> fair_order([("a", 1), ("a", 2), ("b", 3)], priority=lambda j: 0, session=lambda j: j[0], arrival=lambda j: j[1])
    [('a', 1), ('b', 3), ('a', 2)]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

J = TypeVar("J")


def fair_order(
    jobs: Sequence[J],
    *,
    priority: Callable[[J], int],
    session: Callable[[J], Hashable],
    arrival: Callable[[J], int],
) -> list[J]:
    """`jobs` in the order the worker runs them: lower priority first; within a priority, round robin over sessions
    (each session's jobs in arrival order, sessions in the order of their earliest waiting job)."""
    ordered: list[J] = []
    for level in sorted({priority(job) for job in jobs}):
        by_session: dict[Hashable, list[J]] = {}
        for job in sorted((job for job in jobs if priority(job) == level), key=arrival):
            by_session.setdefault(session(job), []).append(job)
        turns = list(by_session.values())
        for round_index in range(max(len(turn) for turn in turns)):
            ordered.extend(turn[round_index] for turn in turns if round_index < len(turn))
    return ordered

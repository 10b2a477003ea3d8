"""Timing shared by the benchmark scripts: the best per-call time of a callable (timeit)."""
from __future__ import annotations

import timeit


def best_time(fn, repeat: int = 7, loop: bool = True) -> float:
    """Best per-call seconds of ``fn`` over ``repeat`` rounds, after one warm-up call (imports,
    caches). With ``loop`` each round calls ``fn`` as often as timeit's autorange picks (rounds of
    at least 0.2 s); without it, once per round (for calls that take seconds). The garbage
    collector stays on, as in real use."""
    timer = timeit.Timer(fn, setup="gc.enable()", globals={"gc": __import__("gc")})
    fn()
    number = timer.autorange()[0] if loop else 1
    return min(timer.repeat(repeat=repeat, number=number)) / number

"""Two processes share a build's tasks: this one and one worker forked from it.

The site's sections are independent tasks of very different cost (a trial sequential analysis
with its figure takes as long as five forest plots). :func:`run_shared` takes them heaviest
first: the worker takes tasks from the front of the list, this process from the back, until
none is left, so that both finish at about the same time whatever each task really costs.

Hand-written rather than ``ProcessPoolExecutor.map``, for two reasons. The executor pickles every
task's arguments for the worker, here the whole review each time; instead the tasks are put in a
module-level list before the worker is forked, so the worker finds them (and the review) in its
own memory and only a task's index crosses over. And the executor gives no say in which process
runs what; here this process keeps working on the light tasks while the worker runs the heavy
ones. Results come back pickled; the tasks return plain data (text, SVG markup, dicts, the
analysis objects), never a DataFrame, so that this process does not import pandas to read them.

The worker is forked only on Linux (where fork is the default start method) and with two or more
CPUs; elsewhere every task runs here, in the list's order. Either way the results are the same.

Examples
--------
>>> run_shared([("a", lambda: 1), ("b", lambda: 2)], jobs=1)
{'a': 1, 'b': 2}
"""
from __future__ import annotations

import gc
import os
import sys
from collections import deque
from typing import Any, Callable, Sequence

__all__ = ["run_shared", "worker_pool"]

#: the tasks of the build in progress (read by the forked worker from its copy of this memory)
_TASKS: list[Callable[[], Any]] = []
#: tasks handed to the worker ahead of time, so that it never waits for this process to look up
_AHEAD = 2


def _run(index: int) -> Any:
    return _TASKS[index]()


def worker_pool(jobs: int | None = None):
    """A one-process pool forked from this one, or None (one CPU, ``jobs=1``, or not Linux)."""
    import multiprocessing

    if jobs is None:
        jobs = min(2, os.cpu_count() or 1)
    if jobs < 2 or not sys.platform.startswith("linux"):
        return None
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


def run_shared(tasks: Sequence[tuple[str, Callable[[], Any]]], jobs: int | None = None,
               done: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run named tasks (no-argument callables, heaviest first) in this process and a worker.

    ``done(name)`` is called in this process as each task's result arrives. Returns
    ``{name: result}`` in the order of ``tasks``. An exception in a task is raised here.
    """
    global _TASKS
    names = [name for name, _ in tasks]
    results: dict[str, Any] = {}

    def finish(name: str, value: Any) -> None:
        results[name] = value
        if done is not None:
            done(name)

    pool = worker_pool(jobs) if len(tasks) > 1 else None
    if pool is None:
        for name, fn in tasks:
            finish(name, fn())
        return {name: results[name] for name in names}
    _TASKS = [fn for _, fn in tasks]
    gc.freeze()  # the worker's garbage collector then leaves the shared pages alone (no copy on write)
    front, back = 0, len(tasks) - 1
    inflight: deque = deque()
    try:
        while True:
            while inflight and inflight[0][1].done():
                name, fut = inflight.popleft()
                finish(name, fut.result())
            # keep the worker supplied, but leave the last task for this process: it would
            # otherwise wait for the worker with nothing to do
            while len(inflight) < _AHEAD and front < back:
                inflight.append((names[front], pool.submit(_run, front)))
                front += 1
            if front <= back:
                finish(names[back], _TASKS[back]())
                back -= 1
            elif inflight:
                name, fut = inflight.popleft()
                finish(name, fut.result())
            else:
                break
    finally:
        pool.shutdown(cancel_futures=True)
        gc.unfreeze()
        _TASKS = []
    return {name: results[name] for name in names}

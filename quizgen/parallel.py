"""Ordered map over both cores for batch work whose inputs cannot be pickled.

Templates hold compiled Jinja and expression closures, so work is handed to worker
processes by *fork*: the children inherit the parent's objects and receive only an
index. Results come back in input order, so output stays byte-identical to a serial
run. Where fork is unavailable (or the batch is small) the map runs in this process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from typing import Any, Callable, Iterator, Sequence

from .errors import QuizgenError

_TASK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # what a forked worker runs, inherited from the parent


def worker_count(items: int, requested: int | None = None) -> int:
    """How many processes a batch of ``items`` gets: every core (or ``requested``), never more than items."""
    cores = requested or os.cpu_count() or 1
    if not sys.platform.startswith("linux") or _TASK is not None:  # no fork; or already inside a worker
        return 1
    return max(1, min(cores, items))


def quiet_worker() -> None:
    """A worker process's signals: Ctrl-C (sent to the whole terminal group) is left to the parent,
    which stops the workers with SIGTERM; that ends a worker at once and quietly (a forked worker
    would otherwise inherit the command line's SIGTERM handler and print a traceback)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def worker_pool(count: int, initializer: Callable[..., None] = quiet_worker, arguments: tuple = ()) -> Iterator[Any]:
    """A pool of ``count`` forked workers (spawned off Linux) that ends with the block: closed when it
    succeeds, stopped at once when it fails or is interrupted, and always waited for."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = multiprocessing.get_context(method).Pool(count, initializer, arguments)
    try:
        yield pool
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def ordered_map(function: Callable[[Any], Any], items: Sequence[Any], workers: int) -> Iterator[Any]:
    """``function(item)`` for each item, in order, computed by ``workers`` forked processes (1: here).

    A QuizgenError in a worker reaches the caller as a QuizgenError with the same message
    (some of its subclasses cannot be pickled with their arguments).
    """
    global _TASK
    if workers <= 1:
        yield from map(function, items)
        return
    _TASK = (function, items)
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, quiet_worker) as pool:
            yield from pool.imap(_run, range(len(items)), chunksize=1)
    finally:
        _TASK = None


def _run(index: int) -> Any:
    function, items = _TASK  # type: ignore[misc]
    try:
        return function(items[index])
    except QuizgenError as error:
        raise QuizgenError(str(error)) from None

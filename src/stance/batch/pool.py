"""An ordered process pool: ``work(*args, shared)`` over a stream of tasks, results in task order.

Nothing here knows about labelling: a task is ``(key, args)``, and the pool gives back
``(key, result)`` in the order the tasks came, with at most ``2 * jobs`` tasks in flight,
so memory stays bounded however fast the tasks are produced. ``shared`` (the model, when
labelling) is handed to each worker once, when it starts: a fork shares it; elsewhere it is
pickled once per worker.
"""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import multiprocessing.reduction
import os
import pickle
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import Errors

Task = tuple[Any, tuple[Any, ...]]  # (key, args): the key comes back with the result


def ordered_map(
    work: Callable[..., Any], tasks: Iterator[Task], shared: Any, jobs: int
) -> tuple["Workers | None", Iterator[tuple[Any, Any]]]:
    """Run ``work(*args, shared)`` for each ``(key, args)`` of ``tasks`` in ``jobs`` worker
    processes; ``(key, result)`` in task order, and the workers (None when one task is all
    there is). Stop the workers when done, or to give up early.

    The first task runs here before forking, so every worker starts with what it warmed up
    (the model's per-word caches, when labelling) instead of filling it separately.
    """
    first = next(tasks, None)
    if first is None:
        return None, iter(())
    head = (first[0], work(*first[1], shared))
    second = next(tasks, None)
    if second is None:  # all of it fitted in the first task: no workers needed
        return None, iter((head,))
    workers = Workers(jobs, shared)
    results = workers.run(itertools.chain((second,), tasks), work)
    return workers, itertools.chain((head,), results)


class WorkerError(Exception):
    """The traceback of an exception raised in a worker process."""

    def __str__(self) -> str:
        return str(self.args[0])


class Workers:
    """``jobs`` processes that run tasks, with at most ``2 * jobs`` tasks in flight.

    Each worker has a pipe of its own, and on each side a thread sends, so neither the
    parent (writing and checkpointing) nor a worker (labelling) waits for the other to
    read. No lock is shared between processes, unlike :class:`multiprocessing.pool.Pool`,
    whose ``terminate()`` hangs when it kills a worker that is writing a result: here
    stopping is killing the workers, safe at any point (Ctrl-C, ``--strict``, an error),
    and a worker that dies is an error instead of a hang.
    """

    def __init__(self, jobs: int, shared: Any) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.processes: list[Any] = []
        self.conns: list[Any] = []
        self.outboxes: list[queue.SimpleQueue[Any]] = []
        self.threads: list[threading.Thread] = []
        try:
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                self.conns.append(ours)
                process = context.Process(target=_serve, args=(theirs, shared, os.getpid()), daemon=True)
                process.start()
                theirs.close()
                self.processes.append(process)
            for conn in self.conns:  # threads only once every fork is done
                outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
                thread = threading.Thread(target=_send_all, args=(conn, outbox), daemon=True)
                thread.start()
                self.outboxes.append(outbox)
                self.threads.append(thread)
        except BaseException:
            self.stop()
            raise

    def run(self, tasks: Iterator[Task], work: Callable[..., Any]) -> Iterator[tuple[Any, Any]]:
        """``(key, result)`` in task order. An error (raised in a worker, or a worker that
        died) is raised in that order too, after the results of every task before it."""
        jobs = len(self.processes)
        window = 2 * jobs  # tasks sent and not yet yielded, results waiting in order included
        assigned: list[set[int]] = [set() for _ in range(jobs)]  # tasks a worker has not answered
        alive = [True] * jobs
        keys: dict[int, Any] = {}
        done: dict[int, tuple[bool, Any]] = {}
        sent = wanted = 0
        more = True
        while True:
            while more and sent - wanted < window and any(alive):
                task = next(tasks, None)
                if task is None:
                    more = False
                    break
                worker = min((len(a), w) for w, a in enumerate(assigned) if alive[w])[1]
                keys[sent] = task[0]
                # Pickled here, not in the sending thread: a task that cannot be pickled
                # raises in this run instead of killing the thread and leaving us waiting.
                self.outboxes[worker].put(_pickled((sent, work, task[1])))
                assigned[worker].add(sent)
                sent += 1
            if wanted in done:
                ok, value = done.pop(wanted)
                if not ok:
                    error, cause = value
                    raise error from cause
                yield keys.pop(wanted), value
                wanted += 1
                continue
            if wanted == sent:  # nothing left to send or to wait for
                return
            waiting = [self.conns[w] for w in range(jobs) if alive[w] and assigned[w]]
            for conn in multiprocessing.connection.wait(waiting):
                worker = self.conns.index(conn)
                try:
                    number, ok, value = conn.recv()
                except (EOFError, OSError):
                    alive[worker] = False
                    process = self.processes[worker]
                    process.join(5)
                    died = RuntimeError(Errors.E055.format(pid=process.pid, code=process.exitcode))
                    for number in assigned[worker]:
                        done[number] = (False, (died, None))
                    assigned[worker].clear()
                    continue
                assigned[worker].discard(number)
                done[number] = (True, value) if ok else (False, (value[0], WorkerError(value[1])))

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join()
        for outbox in self.outboxes:
            outbox.put(None)
        for thread in self.threads:
            thread.join()  # a send to a dead worker fails at once
        for conn in self.conns:
            conn.close()


def _pickled(message: Any) -> bytes:
    return bytes(multiprocessing.reduction.ForkingPickler.dumps(message))


def _send_all(conn: Any, outbox: queue.SimpleQueue[Any]) -> None:
    """Send the pickled messages put in ``outbox`` until None, or until the other side is gone."""
    while (message := outbox.get()) is not None:
        try:
            conn.send_bytes(message)
        except OSError:
            return


def _serve(conn: Any, shared: Any, parent: int) -> None:
    """A worker: run each task received on ``conn`` and send the result back."""
    _init_worker(parent)
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(conn, outbox), daemon=True)
    sender.start()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        number, work, args = message
        try:
            outbox.put(_pickled((number, True, work(*args, shared))))
        except Exception as exc:  # the work failed, or its result cannot be pickled
            trace = traceback.format_exc()
            try:
                pickle.dumps(exc)
            except Exception:
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            outbox.put(_pickled((number, False, (exc, trace))))
    outbox.put(None)
    sender.join()


def _init_worker(parent: int) -> None:
    """Set up a worker process: Ctrl-C ignored, and death with its parent."""
    # Ctrl-C reaches every process of the terminal's group: the parent stops the workers and
    # says how to resume, so a worker ignores it instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Have Linux kill this worker when the parent dies (``kill -9`` included), so no
    worker labels on, or prints a broken-pipe traceback, after a killed run."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)

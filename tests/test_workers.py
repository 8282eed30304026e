"""The worker processes behind `--jobs`: failures come back as errors, never as a hang."""

from __future__ import annotations

import subprocess
import sys

# Run in a child interpreter so that a regression (a hang) fails after the timeout instead
# of stalling the suite. The timeout only bounds a hang; a pass never depends on timing.
_SCRIPT = """
import sys
from dataclasses import dataclass
from typing import Any
from stance.batch.pool import Workers

@dataclass
class Item:  # what a task holds: records with where they end
    number: int
    end: int
    payload: Any = None

def unpicklable_result(items, shared):
    return lambda: items  # a worker cannot send this back

case = sys.argv[1]
workers = Workers(2, None)
try:
    if case == "task":
        tasks = iter([(1, ([Item(1, 10, lambda: None)],))])  # the parent cannot send a lambda
    else:
        tasks = iter([(1, ([Item(1, 10)],)), (2, ([Item(2, 20)],))])
    work = unpicklable_result
    list(workers.run(tasks, work))
except Exception as exc:
    print(type(exc).__name__, exc)
else:
    print("no error")
finally:
    workers.stop()
"""


def _run(case: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _SCRIPT, case], capture_output=True, text=True, timeout=120)


def test_a_task_that_cannot_be_pickled_is_an_error_not_a_hang():
    result = _run("task")
    assert result.returncode == 0, result.stderr
    assert "pickle" in result.stdout.lower(), result.stdout + result.stderr


def test_a_result_that_cannot_be_pickled_is_an_error_not_a_hang():
    result = _run("result")
    assert result.returncode == 0, result.stderr
    assert "pickle" in result.stdout.lower(), result.stdout + result.stderr

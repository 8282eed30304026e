"""Annotate: label replies by hand in the terminal, one key per answer.

The labels file is the only state. Every answer is appended to it as one JSON line
``{"item", "annotator", "label", "text", "ts"}`` and flushed and fsynced before the next
reply is shown, so a crash or a kill loses at most the reply on screen. The file is in the
long format that ``stance agree`` reads (item, annotator, label).

Design choices:

* **Restart.** An item is done for an annotator once the file holds a record with both
  their name and the item's id; restarting shows only the rest, in dump (or queue) order.
  Items skipped with ``k`` are not recorded, so they come back on the next run.
* **Undo rewrites, it does not retract.** ``u`` removes the annotator's last answer from
  the file by writing a new copy beside it and renaming it over the old one (atomic on
  POSIX), then shows that reply again. The file therefore never holds retracted answers,
  and every reader (``stance agree``, pandas) can take it as is.
* **Several annotators** may write their own files or share one file: the records carry
  the annotator's name, and appends and rewrites take an exclusive lock on the file
  (``fcntl.flock``, where available) and re-check that the path still names the locked
  file, so two labellers on one machine never lose each other's answers.
"""

from .items import Item, load_items, load_queue, order_items
from .labelfile import LabelFile
from .session import COMMAND_KEYS, KeyReader, Session, annotate, assign_keys

__all__ = [
    "COMMAND_KEYS",
    "Item",
    "KeyReader",
    "LabelFile",
    "Session",
    "annotate",
    "assign_keys",
    "load_items",
    "load_queue",
    "order_items",
]

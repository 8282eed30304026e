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

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from .errors import Errors, InputError, format_numbers
from .read import get_field, strict_records

try:  # POSIX only; on other systems one writer per file is assumed
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

COMMAND_KEYS = {"u": "undo", "k": "skip", "q": "quit"}


@dataclass(frozen=True)
class Item:
    """One reply to label: its id, text, the post it answers (if known), and its fields."""

    id: str
    text: str
    context: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def assign_keys(labels: Sequence[str]) -> dict[str, str]:
    """Give each label a single, unambiguous key: its first free letter, else a digit.

    The command keys ``u`` (undo), ``k`` (skip) and ``q`` (quit) are never given to a label.

    Examples
    --------
    >>> assign_keys(["supportive", "critical", "off-topic"])
    {'s': 'supportive', 'c': 'critical', 'o': 'off-topic'}
    >>> assign_keys(["favor", "against", "none", "neutral", "unclear"])
    {'f': 'favor', 'a': 'against', 'n': 'none', 'e': 'neutral', 'c': 'unclear'}
    """
    labels = [str(label).strip() for label in labels]
    if len(labels) < 2 or any(not label for label in labels):
        raise InputError(Errors.E060.format(labels=", ".join(repr(l) for l in labels)))
    duplicated = sorted({label for label in labels if labels.count(label) > 1})
    if duplicated:
        raise InputError(Errors.E061.format(duplicated=", ".join(duplicated)))
    keys: dict[str, str] = {}
    for label in labels:
        candidates = [ch for ch in label.lower() if ch.isalnum()] + list("123456789")
        key = next((ch for ch in candidates if ch not in keys and ch not in COMMAND_KEYS), None)
        if key is None:
            raise InputError(Errors.E062.format(n=len(labels)))
        keys[key] = label
    return keys


def load_items(
    path: str | os.PathLike[str],
    *,
    text_field: str = "text",
    id_field: str = "id",
    context_field: str = "context",
) -> list[Item]:
    """Read the replies of a dump, in file order.

    Records without text are left out (they cannot be labelled). When no record has
    ``id_field``, ids are the record numbers (``"1"``, ``"2"``, ...), which stay stable
    as long as the file does.

    Raises
    ------
    InputError
        If a record is unreadable, no record has ``text_field``, only some records have
        ``id_field``, or ids repeat (the message lists the records).
    """
    records = list(strict_records(path))
    if all(get_field(r.fields, text_field) is None for r in records):
        first = records[0]
        raise InputError(
            Errors.E024.format(
                field=text_field, path=path, number=first.number, available=", ".join(map(str, first.fields)), option="--text-field"
            )
        )
    has_id = [get_field(r.fields, id_field) not in (None, "") for r in records]
    if any(has_id) and not all(has_id):
        missing = [r.number for r, ok in zip(records, has_id) if not ok]
        raise InputError(Errors.E063.format(path=path, field=id_field, numbers=format_numbers(missing)))
    items: list[Item] = []
    seen: dict[str, int] = {}
    repeated: list[str] = []
    for record in records:
        text = get_field(record.fields, text_field)
        if not isinstance(text, str) or not text.strip():
            continue
        item_id = str(get_field(record.fields, id_field)) if has_id[0] else str(record.number)
        if item_id in seen:
            repeated.append(f"{item_id!r} (records {seen[item_id]} and {record.number})")
            continue
        seen[item_id] = record.number
        context = get_field(record.fields, context_field)
        items.append(Item(item_id, text, context if isinstance(context, str) and context.strip() else None, record.fields))
    if repeated:
        raise InputError(Errors.E064.format(path=path, field=id_field, repeated="; ".join(repeated[:10])))
    return items


def load_queue(path: str | os.PathLike[str], *, id_field: str = "id") -> list[str]:
    """Item ids in queue order, from ``stance suggest`` output (its ``item`` field) or any
    file with an ``id_field``."""
    ids = []
    for record in strict_records(path, allow_empty=True):
        value = record.fields.get("item", get_field(record.fields, id_field))
        if value in (None, ""):
            raise InputError(
                Errors.E024.format(
                    field="item", path=path, number=record.number, available=", ".join(map(str, record.fields)), option="--id-field"
                )
            )
        ids.append(str(value))
    return ids


def order_items(items: list[Item], queue: Sequence[str] | None, *, queue_path: object = None) -> list[Item]:
    """The items to show: the queue's items in queue order, or all items in dump order."""
    if queue is None:
        return items
    by_id = {item.id: item for item in items}
    unknown = [q for q in queue if q not in by_id]
    if unknown:
        raise InputError(Errors.E065.format(path=queue_path, n=len(unknown), ids=", ".join(map(repr, unknown[:10]))))
    return [by_id[q] for q in dict.fromkeys(queue)]


class LabelFile:
    """The append-only labels file of one or more annotators (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], annotator: str) -> None:
        self.path = Path(path)
        self.annotator = annotator

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """An exclusive lock on the file that the path names right now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            if fcntl is None:
                break
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:  # another writer may have renamed a new copy over the path meanwhile
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        try:
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def records(self) -> list[dict[str, Any]]:
        """Every complete record in the file (a torn last line is ignored)."""
        if not self.path.exists():
            return []
        records = []
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    break  # a write cut short by a crash; repair() drops it
                if not line.strip():
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise InputError(Errors.E066.format(path=self.path, number=number, reason=exc)) from None
                if not isinstance(value, dict) or "item" not in value or "annotator" not in value:
                    raise InputError(Errors.E066.format(path=self.path, number=number, reason="not an {item, annotator, label} record"))
                records.append(value)
        return records

    def done(self) -> set[str]:
        """Ids of the items this annotator has labelled."""
        return {str(r["item"]) for r in self.records() if r.get("annotator") == self.annotator}

    def repair(self) -> int:
        """Drop a torn last line (no newline) left by a crash mid-write; return bytes dropped."""
        if not self.path.exists():
            return 0
        with self._locked() as fd:
            data = self.path.read_bytes()
            if not data or data.endswith(b"\n"):
                return 0
            keep = data.rfind(b"\n") + 1
            os.ftruncate(fd, keep)
            os.fsync(fd)
            return len(data) - keep

    def append(self, item: Item, label: str) -> dict[str, Any]:
        """Write one answer and make it durable before returning."""
        record = {
            "item": item.id,
            "annotator": self.annotator,
            "label": label,
            "text": item.text,
            "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        with self._locked() as fd:
            os.write(fd, line)
            os.fsync(fd)
        return record

    def remove_last(self, item_id: str) -> bool:
        """Remove this annotator's last record for ``item_id`` by an atomic rewrite."""
        with self._locked() as fd:
            lines = self.path.read_bytes().splitlines(keepends=True)
            for index in range(len(lines) - 1, -1, -1):
                try:
                    value = orjson.loads(lines[index])
                except orjson.JSONDecodeError:
                    continue
                if isinstance(value, dict) and value.get("annotator") == self.annotator and str(value.get("item")) == item_id:
                    break
            else:
                return False
            del lines[index]
            tmp_fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(tmp_fd, "wb") as handle:
                    handle.writelines(lines)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, os.fstat(fd).st_mode & 0o777)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(self.path.parent)
            return True


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - not possible on every platform
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# --- the interactive loop --------------------------------------------------------------


class KeyReader:
    """Single keypresses from the terminal (or characters from a pipe, for scripts).

    A terminal read can return several keys typed quickly; they are handed out one by
    one. Escape sequences (arrow keys) come back whole so they can be ignored.
    """

    def __init__(self, read: Callable[[], str] | None = None) -> None:
        self._read = read or self._default_read()
        self._pending: list[str] = []

    @staticmethod
    def _default_read() -> Callable[[], str]:
        if sys.stdin.isatty():
            import click

            return lambda: click.getchar()
        return lambda: sys.stdin.read(1)

    def __call__(self) -> str:
        while not self._pending:
            chunk = self._read()
            if chunk == "":
                raise EOFError
            if chunk.startswith("\x1b"):
                return chunk
            self._pending.extend(ch for ch in chunk if not ch.isspace())
        key = self._pending.pop(0)
        if key == "\x03":
            raise KeyboardInterrupt
        if key == "\x04":
            raise EOFError
        return key


@dataclass
class Session:
    """What one run of :func:`annotate` did."""

    labelled: int = 0
    undone: int = 0
    skipped: int = 0
    remaining: int = 0
    total_done: int = 0
    finished: bool = False


def annotate(
    items: Sequence[Item],
    labels_file: LabelFile,
    keys: dict[str, str],
    *,
    read_key: Callable[[], str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> Session:
    """Show each item the annotator has not labelled yet and record their answers.

    Parameters
    ----------
    items
        The replies, in the order to show them.
    labels_file
        Where answers go; items its annotator already labelled are not shown.
    keys
        Key to label, from :func:`assign_keys`.
    read_key, echo
        The keyboard and the screen (default: the terminal).

    Returns
    -------
    Session
        Counts of what happened.
    """
    import click

    say = echo or (lambda text: click.echo(text))
    read = read_key or KeyReader()
    done = labels_file.done()
    todo = [item for item in items if item.id not in done]
    session = Session(total_done=len(done & {item.id for item in items}))
    history: list[tuple[int, str]] = []  # (position in todo, "label" | "skip")
    menu = "  ".join(f"[{k}] {label}" for k, label in keys.items()) + "   |   [u] undo  [k] skip  [q] quit"
    width = max(40, min(100, shutil.get_terminal_size((80, 24)).columns) - 4)
    position = 0
    total = len(items)
    while position < len(todo):
        item = todo[position]
        say("")
        say(click.style("─" * width, dim=True))
        say(
            f"{session.total_done + 1}/{total}  item {item.id}  ·  {labels_file.annotator}: "
            f"{session.total_done} labelled, {total - session.total_done} to go"
        )
        if item.context:
            say(click.style("In reply to:", dim=True))
            say(click.style(_wrap(item.context, width), dim=True))
        say("Reply:")
        say(_wrap(item.text, width))
        say(menu)
        try:
            key = read()
        except (KeyboardInterrupt, EOFError):
            key = "q"
        key = key.lower() if len(key) == 1 else key
        if key in keys:
            label = keys[key]
            labels_file.append(item, label)
            session.labelled += 1
            session.total_done += 1
            history.append((position, "label"))
            say(f"→ {label} (saved)")
            position += 1
        elif key == "k":
            session.skipped += 1
            history.append((position, "skip"))
            say("→ skipped")
            position += 1
        elif key == "u":
            if not history:
                say("Nothing to undo in this session.")
                continue
            position, action = history.pop()
            if action == "label":
                labels_file.remove_last(todo[position].id)
                session.labelled -= 1
                session.total_done -= 1
                session.undone += 1
                say(f"↶ undid the label of item {todo[position].id}")
            else:
                session.skipped -= 1
                say(f"↶ back to skipped item {todo[position].id}")
        elif key == "q":
            break
        else:
            shown = key if key.isprintable() else repr(key)
            say(f"Unknown key {shown}. Press one of: {' '.join(keys)} u k q")
    session.remaining = total - session.total_done
    session.finished = session.remaining == 0
    return session


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.fill(line, width, initial_indent="  ", subsequent_indent="  ") if line.strip() else ""
        for line in text.splitlines() or [""]
    )

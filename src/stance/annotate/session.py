"""The interactive loop: one reply at a time in the terminal, one key per answer."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import Errors, InputError
from .items import Item
from .labelfile import LabelFile

COMMAND_KEYS = {"u": "undo", "k": "skip", "q": "quit"}


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
    """``text`` wrapped to ``width`` and indented, its own line breaks kept."""
    return "\n".join(
        textwrap.fill(line, width, initial_indent="  ", subsequent_indent="  ") if line.strip() else ""
        for line in text.splitlines() or [""]
    )

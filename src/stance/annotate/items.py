"""The items to label: the replies of a dump, and the order a queue gives them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import Errors, InputError, format_numbers
from ..read import get_field, strict_records


@dataclass(frozen=True)
class Item:
    """One reply to label: its id, text, the post it answers (if known), and its fields."""

    id: str
    text: str
    context: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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

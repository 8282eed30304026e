"""Platform formats: posts inside API pages, wrapper objects, arrays or JSONL, and their threads.

Each platform module (:mod:`.x`, :mod:`.mastodon`, :mod:`.bluesky`) says where a post's text,
id and parent are; :class:`Platform` does the reading common to all of them: cutting the
file into posts, numbering them, and finding the text of the post each one replies to.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import Errors, InputError, Reasons
from .jsonsplit import TOO_LONG, json_items
from .lines import source_lines
from .records import (
    MAX_PAGE,
    MAX_PARENTS,
    MAX_RECORD,
    BadRecord,
    Record,
    json_reason,
    not_an_object,
    raw_head,
    too_long,
)
from .source import HEAD_SIZE, ByteSource


@dataclass
class PlatformPost:
    """A post found inside a platform record: its fields, text, own id and parent id."""

    fields: dict[str, Any]
    text: Any
    id: str | None
    parent: str | None
    where: str = "text"


def str_or_none(value: Any) -> str | None:
    """An id as a string; None for a missing id or one that is an object or a list."""
    return None if value is None or isinstance(value, (dict, list)) else str(value)


WRAPPERS = ("data", "feed", "posts", "records", "statuses", "orderedItems", "descendants", "ancestors", "items")


def unwrap(value: Any) -> list[Any] | None:
    """The list of posts inside an API wrapper object, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    lists = [value[k] for k in WRAPPERS if isinstance(value.get(k), list)]
    if not lists:
        return None
    return [item for items in lists for item in items]


class Platform:
    """How one platform's files are laid out: where posts are and how to read one.

    ``post`` reads one post (its text, id and parent). Formats whose files are API pages
    (``x-api``) give ``page``, which lists a page's posts and the texts of the posts it
    includes; ``known`` gives the texts a single post carries of others (Bluesky's feed
    views carry their parent and root).
    """

    def __init__(
        self,
        name: str,
        post: Callable[[dict[str, Any]], PlatformPost],
        *,
        page: Callable[[Any], tuple[list[Any], dict[str, str]]] | None = None,
        known: Callable[[dict[str, Any]], dict[str, str]] | None = None,
    ) -> None:
        self.name = name
        self.post = post
        self.page = page
        self.known = known
        self.pages = page is not None

    def units(self, source: ByteSource) -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        """(parsed post or page, raw, end offset, problem, line) for each unit of the
        file; ``line`` is 0 except for content after the top-level arrays or objects (see
        :func:`stance.read.jsonsplit.json_items`).

        Content that is not JSON at all (text forced to a platform format, say) raises
        :class:`InputError`, as ``json`` does for a file that is not an array: it would
        otherwise give no records and no errors.
        """
        head = source.peek(HEAD_SIZE)
        stripped = head.lstrip()
        if stripped.startswith(b"window.YTD.") or (stripped[:1].isalpha() and b"=" in stripped[:200]):
            # tweets.js: skip the JavaScript assignment up to the array
            prefix = head[: head.index(b"=") + 1] if b"=" in head else b""
            rest = head[len(prefix) :].lstrip(b" \t\r\n")
            if rest and not rest.startswith(b"["):
                raise self._not_ours(source, Reasons.NO_ARRAY_AFTER.format(prefix=raw_head(prefix.strip()[-60:])))
            source.read(len(prefix))
            yield from self._elements(source, script=prefix)
            return
        if stripped.startswith(b"["):
            yield from self._elements(source)
            return
        text = head.lstrip(b" \t\r\n")  # as detect_format sees it
        if text and not text.startswith((b"{", b"[")):
            raise self._not_ours(source, Reasons.NOT_JSON_START.format(start=raw_head(text[:40]).splitlines()[0]))
        if self.pages or not _first_line_is_object(head):
            # whole values, each an API page or a wrapper object (bounded by MAX_PAGE)
            for raw, end, problem, line in json_items(source, elements=False, limit=MAX_PAGE):
                if line:  # content after the objects: counted by line, as it is no page
                    yield None, raw or b"", end, problem, line
                    continue
                yield from self._value(raw, end, problem)
            return
        for _, line, end in source_lines(source):  # JSONL of posts
            if end < 0:
                yield None, line, -end, too_long("the line"), 0
                continue
            if line.strip():
                yield from self._value(line, end, None)

    def _not_ours(self, source: ByteSource, why: str) -> InputError:
        return InputError(Errors.E020.format(path=source.name, reason=Reasons.NOT_PLATFORM.format(name=self.name, why=why)))

    def _elements(self, source: ByteSource, *, script: bytes = b"") -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        limit = MAX_PAGE if self.pages else MAX_RECORD
        for raw, end, problem, line in json_items(source, elements=True, limit=limit, script=script):
            if raw is not None and not raw.strip() and problem is None:
                continue
            if problem == TOO_LONG:
                yield None, b"", end, too_long("the element"), 0
                continue
            if line:  # content after the array
                yield None, raw or b"", end, problem, line
                continue
            yield from self._value(raw or b"", end, problem)

    def _value(self, raw: bytes, end: int, problem: str | None) -> Iterator[tuple[Any, bytes, int, str | None, int]]:
        if problem:
            yield None, raw, end, problem if problem != TOO_LONG else too_long("the value"), 0
            return
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield None, raw, end, json_reason(raw, exc), 0
            return
        yield value, raw, end, None, 0

    def records(self, source: ByteSource, parents: dict[str, str]) -> Iterator[Record | BadRecord]:
        recent: OrderedDict[str, str] = OrderedDict()  # parents seen earlier on stdin
        number = 0
        for value, raw, end, problem, line in self.units(source):
            if line:  # content after the arrays or objects: counted by line, as it is no record
                yield BadRecord(line, raw_head(raw), problem or "", end, "line")
                continue
            if problem:
                number += 1
                yield BadRecord(number, raw_head(raw), problem, end, "record")
                continue
            for post, known in self._posts(value):
                number += 1
                if not isinstance(post, dict):
                    yield BadRecord(number, raw_head(orjson.dumps(post)), not_an_object(post), end, "record")
                    continue
                found = self.post(post)
                context = None
                if found.parent is not None:
                    context = known.get(found.parent) or parents.get(found.parent) or recent.get(found.parent)
                if found.id is not None and isinstance(found.text, str) and not parents:
                    recent[found.id] = found.text
                    if len(recent) > MAX_PARENTS:
                        recent.popitem(last=False)
                yield Record(number, post, text=found.text, context=context, end=end, unit="record", text_field=found.where)

    def _posts(self, value: Any) -> Iterator[tuple[Any, dict[str, str]]]:
        """(post, texts of other posts it or its page carries) for each post in a unit."""
        if self.page is not None:
            pages = value if isinstance(value, list) else [value]
            for page in pages:
                posts, known = self.page(page)
                for post in posts:
                    yield post, known
            return
        inner = unwrap(value)
        for post in inner if inner is not None else [value]:
            known = self.known(post) if self.known is not None and isinstance(post, dict) else {}
            yield post, known

    def parent_texts(self, source: ByteSource) -> dict[str, str]:
        """Texts of the posts that some post in the file replies to (two passes)."""
        wanted: set[str] = set()
        for value, _, _, problem, _ in self.units(source):
            if problem is None:
                for post, known in self._posts(value):
                    if isinstance(post, dict):
                        parent = self.post(post).parent
                        if parent is not None and parent not in known and len(wanted) < MAX_PARENTS:
                            wanted.add(parent)
        if not wanted or not source.rewind():
            source.rewind()
            return {}
        texts: dict[str, str] = {}
        for value, _, _, problem, _ in self.units(source):
            if problem is None:
                for post, _ in self._posts(value):
                    if isinstance(post, dict):
                        found = self.post(post)
                        if found.id in wanted and isinstance(found.text, str):
                            texts[found.id] = found.text
        source.rewind()
        return texts


def _first_line_is_object(head: bytes) -> bool:
    line = head.lstrip().split(b"\n", 1)[0]
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False

"""Mastodon: ``Status`` entities (an API array, JSONL, or a ``/context`` response).

The HTML ``content`` is turned into text with an HTML parser; ``in_reply_to_id`` names the
parent.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from .platform import Platform, PlatformPost, str_or_none


class _HTMLText(HTMLParser):
    _BLOCK = {"p", "div", "blockquote", "li", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def _newlines(self, n: int) -> None:
        if not self.parts:
            return
        tail = "".join(self.parts[-2:])
        have = len(tail) - len(tail.rstrip("\n"))
        if have < n:
            self.parts.append("\n" * (n - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self._newlines(2 if tag == "p" else 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK:
            self._newlines(2 if tag == "p" else 1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: ``<br>`` and paragraphs become line breaks.

    Link text is kept (including the parts Mastodon hides with ``class="invisible"``, so
    URLs stay whole) and entities are decoded.

    Examples
    --------
    >>> html_to_text('<p>Hi <span class="h-card"><a href="https://x.y/@a">@<span>a</span></a></span> &amp; all</p><p>line<br />two</p>')
    'Hi @a & all\\n\\nline\\ntwo'
    """
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


def mastodon_post(status: dict[str, Any]) -> PlatformPost:
    """A status; a boost (``reblog``) is read as the boosted status's text."""
    reblog = isinstance(status.get("reblog"), dict)
    shown = status["reblog"] if reblog else status
    content = shown.get("content")
    text = html_to_text(content) if isinstance(content, str) else content
    where = "reblog.content" if reblog else "content"
    return PlatformPost(status, text, str_or_none(status.get("id")), str_or_none(status.get("in_reply_to_id")), where)


MASTODON = Platform("mastodon", mastodon_post)

"""Bluesky: ``app.bsky.feed.post`` records, bare or inside the views and listings the API
returns (``feed``, ``posts``, ``records``); text is ``record.text``.
"""

from __future__ import annotations

from typing import Any

from .platform import Platform, PlatformPost, str_or_none


def bluesky_post(entry: dict[str, Any]) -> PlatformPost:
    """A post: bare, a ``PostView`` (``record``), a ``listRecords`` entry (``value``) or a
    ``FeedViewPost`` (``post``)."""
    where = ""
    post = entry
    if isinstance(entry.get("post"), dict):  # FeedViewPost
        post, where = entry["post"], "post."
    record = post
    for key in ("record", "value"):  # PostView / listRecords entry
        if isinstance(post.get(key), dict):
            record, where = post[key], f"{where}{key}."
            break
    reply = record.get("reply")
    parent = reply.get("parent") if isinstance(reply, dict) else None
    parent_uri = parent.get("uri") if isinstance(parent, dict) else None
    return PlatformPost(entry, record.get("text"), str_or_none(post.get("uri")), str_or_none(parent_uri), where + "text")


def bluesky_known(entry: dict[str, Any]) -> dict[str, str]:
    """A FeedViewPost carries its parent and root as full views: their texts are known."""
    known: dict[str, str] = {}
    reply = entry.get("reply")
    if isinstance(reply, dict):
        for view in (reply.get("parent"), reply.get("root")):
            if isinstance(view, dict) and isinstance(view.get("record"), dict):
                text = view["record"].get("text")
                if isinstance(text, str) and view.get("uri"):
                    known[str(view["uri"])] = text
    return known


BLUESKY = Platform("bluesky", bluesky_post, known=bluesky_known)

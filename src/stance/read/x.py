"""X (Twitter): API v2 pages (``x-api``) and an account archive's ``tweets.js`` (``x-archive``).

API v2 responses ``{"data": [...], "includes": {...}}`` come one or many per file
(concatenated, one per line, or in an array); text is ``note_tweet.text`` when present, else
``text``, and the tweet replied to (``referenced_tweets``) is the context. In ``tweets.js``
(``window.YTD.tweets.part0 = [...]``) text is ``tweet.full_text``.
"""

from __future__ import annotations

import html
from typing import Any

from .platform import Platform, PlatformPost, str_or_none


def unescape(text: Any) -> Any:
    """Tweet text with HTML entities decoded."""
    # X escapes &, < and > in tweet text as HTML entities, in the API and the archive alike.
    return html.unescape(text) if isinstance(text, str) and "&" in text else text


def tweet_text(tweet: dict[str, Any]) -> Any:
    """A tweet's whole text: ``note_tweet.text`` (long tweets) when present, else ``text``."""
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return unescape(note["text"])
    return unescape(tweet.get("text"))


def tweet_parent(tweet: dict[str, Any]) -> str | None:
    """The id of the tweet this one replies to, from ``referenced_tweets``."""
    refs = tweet.get("referenced_tweets")
    if isinstance(refs, list):
        for ref in refs:
            if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id") is not None:
                return str(ref["id"])
    return None


def x_api_page(page: Any) -> tuple[list[Any], dict[str, str]]:
    """The tweets of one API v2 page, and the texts of the tweets in ``includes``."""
    if not isinstance(page, dict):
        return [page], {}
    data = page.get("data", [])
    if isinstance(data, dict):  # a single-tweet lookup
        data = [data]
    includes = page.get("includes")
    known: dict[str, str] = {}
    if isinstance(includes, dict) and isinstance(includes.get("tweets"), list):
        for tweet in includes["tweets"]:
            if isinstance(tweet, dict) and tweet.get("id") is not None:
                text = tweet_text(tweet)
                if isinstance(text, str):
                    known[str(tweet["id"])] = text
    return data if isinstance(data, list) else [data], known


def x_api_post(tweet: dict[str, Any]) -> PlatformPost:
    """A tweet of an API v2 page."""
    where = "note_tweet.text" if isinstance(tweet.get("note_tweet"), dict) else "text"
    return PlatformPost(tweet, tweet_text(tweet), str_or_none(tweet.get("id")), tweet_parent(tweet), where)


def x_archive_post(entry: dict[str, Any]) -> PlatformPost:
    """A tweet of an archive's ``tweets.js`` (``{"tweet": {...}}``, or the tweet itself)."""
    tweet = entry.get("tweet", entry)
    prefix = "tweet." if "tweet" in entry else ""
    if not isinstance(tweet, dict):
        return PlatformPost(entry, None, None, None, "tweet.full_text")
    return PlatformPost(
        entry,
        unescape(tweet.get("full_text", tweet.get("text"))),
        str_or_none(tweet.get("id_str", tweet.get("id"))),
        str_or_none(tweet.get("in_reply_to_status_id_str", tweet.get("in_reply_to_status_id"))),
        prefix + "full_text",
    )


X_API = Platform("x-api", x_api_post, page=x_api_page)
X_ARCHIVE = Platform("x-archive", x_archive_post)

"""Read: stream records out of input files, one small reader per format.

Every reader yields, for each input record, either a :class:`Record` or a
:class:`BadRecord` that names its line (or record) number and the reason, so nothing is
silently dropped. Readers are generators over a byte stream: memory stays bounded by one
record (or, for the API-page formats, one page) however large the file is. A UTF-8 byte
order mark at the very start of the input is skipped for every format (see
:class:`ByteSource`); anywhere else it is content.

Compressed input (gzip, bzip2, xz, zstandard, long-window frames included) is recognised
by its magic bytes, whatever its name, and decompressed as it is read; a file that is cut
off or corrupt gives every record before the damage and then one error record whose
reason names the byte offset in the file (see :mod:`.compressed`).

Modules
-------
:mod:`.records` (what readers yield, field paths), :mod:`.source` (byte streams) with
:mod:`.compressed` (gzip, bzip2, xz and zstandard input),
:mod:`.lines` (blocks of raw lines), :mod:`.jsonsplit` (cutting JSON without parsing it),
one reader per format (:mod:`.jsonl`, :mod:`.json_array`, :mod:`.delimited`, :mod:`.text`, :mod:`.parquet`,
:mod:`.platform` with :mod:`.x`, :mod:`.mastodon` and :mod:`.bluesky`), :mod:`.annotations`
(Label Studio, Prodigy and doccano exports), :mod:`.detect`, and
:mod:`.formats` (the readers by name, and the entry points).

Formats
-------
``jsonl``, ``json`` (an array), ``csv``, ``tsv``, ``text`` (one reply per line) and
``parquet`` (a file's rows, with pyarrow) are generic: the text, id and context come from fields named by the caller (nested paths such
as ``record.text`` work). The platform formats know where their text and thread live:

``x-api``
    X/Twitter API v2 responses ``{"data": [...], "includes": {...}}``, one or many per
    file (concatenated, one per line, or in an array). Text is ``note_tweet.text`` when
    present, else ``text``; the tweet replied to (``referenced_tweets``) is the context.
``x-archive``
    ``tweets.js`` from an X account archive (``window.YTD.tweets.part0 = [...]``); text
    is ``tweet.full_text``.
``mastodon``
    Mastodon ``Status`` entities (an API array, JSONL, or a ``/context`` response); the
    HTML ``content`` is turned into text with an HTML parser.
``bluesky``
    ``app.bsky.feed.post`` records, bare or inside the views and listings the API returns
    (``feed``, ``posts``, ``records``); text is ``record.text``.

The annotation-tool formats (``label-studio``, ``label-studio-min``, ``label-studio-csv``,
``prodigy``, ``doccano``) give one row per rating, with ``item``, ``annotator`` and
``label``, for training, evaluation and agreement, and one record per task to label (see
:mod:`.annotations`).

Where the format names a parent post, its text becomes the record's ``context`` when the
parent is in the same page or anywhere in the file. Parents are found by a pre-pass over a
seekable file that keeps only the texts of posts that some record replies to.
"""

from .annotations import TOOL_FORMATS, single_label
from .delimited import read_delimited
from .detect import detect_format
from .formats import (
    FORMATS,
    GENERIC_FORMATS,
    LINE_FORMATS,
    PLATFORM_FORMATS,
    PLATFORMS,
    READERS,
    ROW_FORMATS,
    describe_skipped,
    open_input,
    open_records,
    parse_line_block,
    read_csv,
    read_records,
    read_rows,
    read_tsv,
    records_of,
    strict_records,
)
from .json_array import read_json_array
from .jsonl import read_jsonl
from .jsonsplit import AFTER_ARRAY, AFTER_OBJECT
from .lines import LineBlock, line_blocks
from .mastodon import html_to_text
from .parquet import read_parquet
from .records import (
    MAX_PAGE,
    MAX_PARENTS,
    MAX_RECORD,
    NUL,
    RAW_LIMIT,
    BadRecord,
    Record,
    get_field,
    has_field,
)
from .source import BOM, ByteSource
from .text import read_text_lines

__all__ = [
    "AFTER_ARRAY",
    "AFTER_OBJECT",
    "BOM",
    "FORMATS",
    "GENERIC_FORMATS",
    "LINE_FORMATS",
    "MAX_PAGE",
    "MAX_PARENTS",
    "MAX_RECORD",
    "NUL",
    "PLATFORMS",
    "PLATFORM_FORMATS",
    "RAW_LIMIT",
    "READERS",
    "ROW_FORMATS",
    "TOOL_FORMATS",
    "BadRecord",
    "ByteSource",
    "LineBlock",
    "Record",
    "describe_skipped",
    "detect_format",
    "get_field",
    "has_field",
    "html_to_text",
    "line_blocks",
    "open_input",
    "open_records",
    "parse_line_block",
    "read_csv",
    "read_delimited",
    "read_json_array",
    "read_parquet",
    "read_jsonl",
    "read_records",
    "read_rows",
    "read_text_lines",
    "read_tsv",
    "records_of",
    "single_label",
    "strict_records",
]

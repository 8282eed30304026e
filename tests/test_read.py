"""Readers: every format from realistic fixtures, detection, and bad records kept per record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stance.errors import InputError
from stance.read import (
    MAX_RECORD,
    BadRecord,
    ByteSource,
    Record,
    detect_format,
    get_field,
    html_to_text,
    open_records,
    read_records,
    read_rows,
)
from stance.read.jsonsplit import json_items
from stance.read.source import BytesHandle

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def records(name: str, **kwargs) -> list[Record | BadRecord]:
    return list(read_records(FIXTURES / name, **kwargs))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("replies.jsonl", "jsonl"),
        ("nested.jsonl", "jsonl"),
        ("replies.json", "json"),
        ("replies.csv", "csv"),
        ("replies.tsv", "tsv"),
        ("replies.txt", "text"),
        ("x_api_pages.json", "x-api"),
        ("tweets.js", "x-archive"),
        ("mastodon_statuses.json", "mastodon"),
        ("bluesky_feed.json", "bluesky"),
        ("bluesky_records.jsonl", "bluesky"),
    ],
)
def test_format_is_detected_from_content(name, expected, tmp_path):
    assert detect_format(FIXTURES / name) == expected
    if expected not in ("csv", "tsv", "text"):  # JSON formats need no extension at all
        copy = tmp_path / "export.dat"
        copy.write_bytes((FIXTURES / name).read_bytes())
        assert detect_format(copy) == expected


def test_generic_formats_keep_every_field():
    jsonl = records("replies.jsonl")
    assert [r.fields["id"] for r in jsonl] == ["r1", "r2", "r3"]
    assert [r.number for r in jsonl] == [1, 2, 4]  # line numbers; the blank line is not a record
    array = records("replies.json")
    assert [r.fields["id"] for r in array] == [1, 2, 3] and array[1].fields["text"].endswith("{really}")
    csv_rows = records("replies.csv")
    assert csv_rows[1].fields["text"] == 'This is wrong and naive, and "bold" claims\nspan two lines'
    assert [r.number for r in csv_rows] == [2, 3, 5]
    assert [r.fields["author"] for r in records("replies.tsv")] == ["ana", "ben"]
    assert [r.fields["text"] for r in records("replies.txt")] == [
        "I agree, great essay and thank you", "This is wrong and naive", "What time is the game tonight?"
    ]


def test_nested_field_paths():
    rows = records("nested.jsonl")
    assert get_field(rows[0].fields, "record.text") == "Yes, exactly right. Love this framing"
    assert get_field(rows[0].fields, "record.parent.text") == "Essay on transit"
    assert get_field(rows[2].fields, "record.text") is None
    assert get_field({"a.b": 1, "a": {"b": 2}}, "a.b") == 1  # a literal dotted key wins


def test_x_api_pages_note_tweets_and_parents_from_includes():
    rows = records("x_api_pages.json")
    assert len(rows) == 4  # two pages, two tweets each
    assert rows[0].context.startswith("New essay: why our city")  # parent from includes.tweets
    assert rows[1].text_field == "note_tweet.text" and rows[1].text.endswith("I disagree with the conclusion.")
    assert rows[2].context == rows[0].text  # parent is a tweet of the earlier page
    assert rows[3].text is None  # a withheld tweet without text: the batch makes it an error
    assert rows[0].fields["public_metrics"]["like_count"] == 3  # every field kept


def test_x_archive_tweets_js():
    rows = records("tweets.js")
    assert [r.text_field for r in rows] == ["tweet.full_text"] * 3
    assert rows[1].text == "@somecritic Thanks, well said & exactly right. I agree completely."  # entities decoded
    assert rows[1].context.startswith("Long thread on why remote work")
    assert rows[0].fields["tweet"]["favorite_count"] == "12"


def test_mastodon_html_becomes_text_and_parent_found_later_in_file():
    rows = records("mastodon_statuses.json")
    first = rows[0].text
    assert first.startswith("@essayist I disagree — the study you cite doesn't support this.")
    assert "https://journal.example/articles/2024/transit-costs\nIt says the opposite." in first
    assert "<" not in first and "&" not in first
    assert rows[1].text == "Great essay, thank you! Brilliant & thoughtful #transit"
    # the parent comes after its replies (API order is newest first) and is still found
    assert rows[0].context == rows[1].context == rows[2].text
    assert rows[3].text == 42  # not a string: the batch rejects it


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("&lt;tag&gt; &amp; &#x1F600; &quot;q&quot;", '<tag> & 😀 "q"'),
        ('<p><a href="https://t.example/x" class="mention">@<span>bob</span></a> hi</p>', "@bob hi"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_bluesky_feed_views_and_records():
    feed = records("bluesky_feed.json")
    assert [r.text_field for r in feed] == ["post.record.text"] * 3
    assert feed[0].context.startswith("Essay: four-day work weeks")  # from the FeedViewPost's reply view
    assert feed[1].context == feed[0].text  # parent uri is another post of the file
    listed = records("bluesky_records.jsonl")
    assert listed[1].text_field == "value.text" and listed[1].context == listed[0].text
    assert isinstance(listed[2], BadRecord) and "not valid JSON" in listed[2].reason


def test_a_line_that_only_starts_like_an_x_archive_is_a_bad_jsonl_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"window.YTD.\n")  # once taken for tweets.js, and then silently dropped
    assert detect_format(path) == "jsonl"
    (row,) = records_of(path)
    assert isinstance(row, BadRecord) and row.number == 1 and "not valid JSON" in row.reason


def test_format_can_be_forced():
    rows = records("replies.txt", format="text")
    assert len(rows) == 3
    as_jsonl = records("replies.txt", format="jsonl")
    assert all(isinstance(r, BadRecord) for r in as_jsonl)
    with pytest.raises(InputError, match="Unknown input format 'xml'"):
        records("replies.txt", format="xml")


def test_bad_lines_are_reported_per_record(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b'{"text": "ok"}\n'
        b"{not json\n"
        b'{"text": "\xff\xfe"}\n'
        b'{"text": "a\x00b"}\n'
        b"[1, 2]\n"
        + b'{"text": "' + b"x" * (MAX_RECORD + 10) + b'"}\n'
        + b'{"text": "last"}'  # no final newline
    )
    rows = records_of(path)
    kinds = [(r.number, type(r).__name__) for r in rows]
    assert kinds == [(1, "Record"), (2, "BadRecord"), (3, "BadRecord"), (4, "BadRecord"), (5, "BadRecord"), (6, "BadRecord"), (7, "Record")]
    reasons = [r.reason for r in rows if isinstance(r, BadRecord)]
    assert "not valid JSON" in reasons[0]
    assert "UTF-8" in reasons[1]
    assert "NUL byte" in reasons[2]
    assert "list, not an object" in reasons[3]
    assert "longer than 1 MB" in reasons[4] and len(rows[5].raw) <= 1024


def records_of(path: Path) -> list[Record | BadRecord]:
    return list(read_records(path))


def test_bad_csv_rows_do_not_stop_the_file(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"id,text\n1,fine\n2,\xff bad\n3,a\x00b\n4,too,many\n5,also fine\n")
    rows = records_of(path)
    assert [type(r).__name__ for r in rows] == ["Record", "BadRecord", "BadRecord", "BadRecord", "Record"]
    assert rows[-1].fields == {"id": "5", "text": "also fine"}


def test_json_array_is_split_incrementally(tmp_path):
    items = [{"text": f"reply {i} with [brackets] and {{braces}} and \"quotes\\\" ]"} for i in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    rows = records_of(path)
    assert [r.fields for r in rows] == items
    ends = [r.end for r in rows]
    assert ends == sorted(ends) and ends[-1] == path.stat().st_size  # offsets grow with the stream


def test_malformed_array_elements_are_isolated(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"text": "a"}, {"text": oops}, 7, {"text": "b"}, {"text": "cut', encoding="utf-8")
    rows = records_of(path)
    assert [type(r).__name__ for r in rows] == ["Record", "BadRecord", "BadRecord", "Record", "BadRecord"]
    assert "truncated" in rows[-1].reason


@given(st.lists(st.one_of(st.text(), st.integers(), st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3)), max_size=20),
       st.integers(min_value=1, max_value=64))
def test_splitter_matches_json_for_any_array(values, chunk):
    data = json.dumps(values, ensure_ascii=False).encode()

    class Chunked(BytesHandle):
        def read(self, n: int = -1) -> bytes:
            return super().read(min(n, chunk))

    items = list(json_items(ByteSource(Chunked(data), "x"), elements=True, limit=1 << 20))
    assert [json.loads(raw) for raw, _, problem, _ in items if problem is None] == values


# -- content after a JSON array: one error record at its line, never dropped ----------------
JSON_SPACE = st.text(" \t\r\n", max_size=4).map(str.encode)
OBJECTS = st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3), max_size=6)
TRAILING = st.one_of(
    st.sampled_from([b"]", b"junk", b'{"text": "late"}', b",", b'"s"', b";", b"null", b"\x00", b"\xff\xfe"]),
    st.binary(min_size=1, max_size=40).filter(lambda b: b[:1] not in b" \t\r\n["),
    st.just(b"x" * 3000 + b"\n[]"),  # longer than RAW_LIMIT, and an array after it is no rescue
)


def _assert_trailing_record(rows, items, trailing, reason, before, raw, end) -> None:
    """No error when nothing trails the JSON; else exactly one, last, at the line after
    ``before``, holding ``raw`` (cut to RAW_LIMIT) and ending at ``end``."""
    from stance.read import RAW_LIMIT
    from stance.read.records import raw_head

    bad = [r for r in rows if isinstance(r, BadRecord)]
    if trailing is None:
        assert not bad and all(line == 0 for *_, line in items)
    else:
        (after,) = bad
        assert rows[-1] is after and items[-1][2] == after.reason == reason
        assert (after.unit, after.number) == ("line", before.count(b"\n") + 1)
        assert after.raw == raw_head(raw) and len(after.raw) <= RAW_LIMIT
        assert after.end == end == items[-1][1]


@given(arrays=st.lists(OBJECTS, min_size=1, max_size=3), indent=st.booleans(), gap=JSON_SPACE,
       trailing=st.one_of(st.none(), TRAILING), chunk=st.integers(1, 64))
def test_content_after_a_json_array_is_one_bad_record_at_its_line(arrays, indent, gap, trailing, chunk):
    """Concatenated arrays are all read; anything else after an array was once silently
    ignored, and is now one BadRecord with the line it starts on, its raw head and why."""
    from stance.read import AFTER_ARRAY, read_json_array

    data = gap.join(json.dumps(a, indent=1 if indent else None).encode() for a in arrays) + gap
    where = len(data)
    data += trailing or b""
    items = list(json_items(_chunked(data, chunk), elements=True, limit=1 << 20))
    rows = list(read_json_array(_chunked(data, chunk)))
    elements = [e for a in arrays for e in a]
    assert [json.loads(raw) for raw, _, problem, line in items if not problem] == elements
    assert [(r.number, r.fields, r.unit) for r in rows if isinstance(r, Record)] == [(i + 1, e, "record") for i, e in enumerate(elements)]
    _assert_trailing_record(rows, items, trailing, AFTER_ARRAY, data[:where], trailing, len(data))


@pytest.mark.parametrize(
    ("name", "fmt", "wrap"),
    [
        ("replies.json", "json", False),
        ("tweets.js", "x-archive", False),
        ("mastodon_statuses.json", "mastodon", False),
        ("bluesky_feed.json", "bluesky", True),
        ("x_api_pages.json", "x-api", True),
    ],
)
def test_platform_arrays_report_content_after_the_array(name, fmt, wrap, tmp_path):
    data = (FIXTURES / name).read_bytes()
    if wrap:  # an array of API responses (the X one holds two pages)
        data = b"[" + data.replace(b"\n}\n{", b"\n},\n{") + b"]"
    clean = tmp_path / "clean.dat"
    clean.write_bytes(data)
    expected = [(type(r).__name__, r.number, r.unit) for r in read_records(clean, format=fmt)]
    assert len(expected) >= 3
    dirty = tmp_path / "dirty.dat"
    dirty.write_bytes(data + b"\n\n  garbage {\"text\": \"late\"}\n")
    assert detect_format(dirty) == fmt
    rows = list(read_records(dirty))
    assert [(type(r).__name__, r.number, r.unit) for r in rows[:-1]] == expected
    last = rows[-1]
    assert isinstance(last, BadRecord) and (last.unit, last.number) == ("line", data.count(b"\n") + 3)
    assert last.raw == 'garbage {"text": "late"}\n' and last.reason == "content after the end of the JSON array"
    assert last.end == dirty.stat().st_size


def test_tweets_js_may_end_with_a_semicolon(tmp_path):
    path = tmp_path / "tweets.js"
    path.write_bytes((FIXTURES / "tweets.js").read_bytes().rstrip() + b";\n")
    rows = records_of(path)
    assert len(rows) == 3 and all(isinstance(r, Record) for r in rows)
    path.write_bytes((FIXTURES / "tweets.js").read_bytes().rstrip() + b";\nwindow.YTD.tweets.part1 = [];\n")
    assert isinstance(records_of(path)[-1], BadRecord)


# -- content between or after top-level JSON objects: one error record, never dropped -------
TWEETS = st.lists(st.fixed_dictionaries({"id": st.text("0123456789", min_size=1, max_size=4), "text": st.text(max_size=20)}), max_size=3)
PAGES = st.lists(TWEETS.map(lambda tweets: {"data": tweets, "meta": {"result_count": len(tweets)}}), min_size=1, max_size=4)
SEPARATOR = st.text(" \t\r\n,", max_size=4).map(str.encode)  # commas were always read past, and carry nothing
BETWEEN_OBJECTS = st.one_of(
    st.sampled_from([b"junk", b"}", b"]", b'"s"', b";", b"null", b"42", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf{}", b"\x1e{}"]),
    st.binary(min_size=1, max_size=40).filter(lambda b: b[:1] not in b" \t\r\n,{["),
    st.just(b"x" * 3000 + b'\n{"data": []}'),  # longer than RAW_LIMIT, and an object after junk is junk too
)


@given(pages=PAGES, indent=st.booleans(), gap=SEPARATOR, content=st.one_of(st.none(), BETWEEN_OBJECTS),
       at=st.integers(1, 4), chunk=st.integers(1, 64))
def test_content_between_or_after_top_level_objects_is_one_bad_record_at_its_line(pages, indent, gap, content, at, chunk):
    """X API pages (any top-level objects), concatenated or pretty-printed, with whitespace
    or commas between them are all read; anything else between or after them was once
    skipped without a word, and is now one BadRecord with its line, raw head and why; the
    rest of the file is in it, as after an array."""
    from stance.read import AFTER_OBJECT, PLATFORMS

    texts = [json.dumps(page, indent=1 if indent else None, ensure_ascii=False).encode() for page in pages]
    at = min(at, len(texts))  # the content comes after this many pages
    head = gap.join(texts[:at]) + gap
    data = head + (content + gap + gap.join(texts[at:]) if content is not None else gap.join(texts[at:]))
    read = pages[:at] if content is not None else pages
    items = list(json_items(_chunked(data, chunk), elements=False, limit=1 << 20))
    assert [json.loads(raw) for raw, _, problem, _ in items if not problem] == read
    rows = list(PLATFORMS["x-api"].records(_chunked(data, chunk), {}))
    tweets = [t for page in read for t in page["data"]]
    assert [(r.number, r.fields, r.unit) for r in rows if isinstance(r, Record)] == [(i + 1, t, "record") for i, t in enumerate(tweets)]
    _assert_trailing_record(rows, items, content, AFTER_OBJECT, head, data[len(head) :], len(data))


def _mastodon_context() -> bytes:
    statuses = json.loads((FIXTURES / "mastodon_statuses.json").read_bytes())
    return json.dumps({"ancestors": statuses[:1], "descendants": statuses[1:]}, indent=2).encode()


@pytest.mark.parametrize(
    ("fmt", "clean", "where"),
    [
        ("x-api", lambda: (FIXTURES / "x_api_pages.json").read_bytes(), b"\n}\n{"),  # between the two pages
        ("x-api", lambda: (FIXTURES / "x_api_pages.json").read_bytes(), None),
        ("mastodon", _mastodon_context, None),  # a /context response
        ("bluesky", lambda: (FIXTURES / "bluesky_feed.json").read_bytes(), None),
    ],
)
def test_platform_objects_report_content_between_or_after_them(fmt, clean, where, tmp_path):
    data = clean()
    path = tmp_path / "clean.dat"
    path.write_bytes(data)
    expected = [(type(r).__name__, r.number, r.unit) for r in read_records(path)]
    assert len(expected) >= 3
    # separators that carry nothing stay accepted: commas, blank lines
    sep = data.replace(b"\n}\n{", b"\n},\n\n{") + b",\n" if where else data + b"\n,\n\n"
    path.write_bytes(sep)
    assert [(type(r).__name__, r.number, r.unit) for r in read_records(path)] == expected
    junk = b'HTTP/1.1 200 OK\n{"text": "late"}\n'
    if where:
        cut = data.index(where) + len(b"\n}\n")  # the junk on a line of its own
        dirty, line = data[:cut] + junk + data[cut:], data[:cut].count(b"\n") + 1
        expected = [e for e in expected if e[1] <= 2]  # the first page's tweets; the rest is in the error
        raw = _raw_of(junk + data[cut:])
    else:
        dirty, line, raw = data + b"\n  " + junk, data.count(b"\n") + 2, _raw_of(junk)
    path.write_bytes(dirty)
    assert detect_format(path) == fmt
    rows = list(read_records(path))
    assert [(type(r).__name__, r.number, r.unit) for r in rows[:-1]] == expected
    last = rows[-1]
    assert isinstance(last, BadRecord) and (last.unit, last.number) == ("line", line)
    assert last.raw == raw and last.reason == "content after the end of the JSON object"
    assert last.end == len(dirty)


def _raw_of(data: bytes) -> str:
    return data[:1024].decode("utf-8", errors="replace")


@pytest.mark.parametrize("fmt", ["x-archive", "x-api", "mastodon", "bluesky"])
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"I agree, great essay\nThis is wrong\n", "it starts with 'I agree, great essay'"),
        (b"  a plain = sign in text\n", "'a plain =' is not followed by a JSON array"),
        (b'window.YTD.tweets.part0 = {"tweet": {"full_text": "not in an array"}}\n', "is not followed by a JSON array"),
        (b"id,text\n1,hello\n", "it starts with 'id,text'"),
    ],
)
def test_a_platform_format_forced_on_content_without_json_is_refused(fmt, content, says, tmp_path):
    """Such content once gave no records and no errors: every record silently lost. It is
    refused instead, as ``--format json`` refuses content that is not an array."""
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"it is not {fmt} data: .*{re.escape(says)}"):
        list(read_records(path, format=fmt))
    with pytest.raises(InputError, match="is not an array"):
        list(read_records(path, format="json"))


@pytest.mark.parametrize("fmt", ["x-archive", "x-api", "mastodon", "bluesky"])
def test_a_platform_format_still_reads_json_objects_and_empty_input(fmt, tmp_path):
    path = tmp_path / "in.jsonl"
    for empty in (b"", b"\xef\xbb\xbf \n"):  # nothing to read is not an error
        path.write_bytes(empty)
        assert list(read_records(path, format=fmt)) == []
    path.write_bytes(b'{"data": [{"id": "1", "text": "a"}], "meta": {}}\n' * 2)  # JSON objects, not refused
    assert len(list(read_records(path, format=fmt))) == 2


def test_stdin_is_read_as_a_stream(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"text": "from stdin"}\n{"text": "two"}\n')))
    fmt, source, rows = open_records("-")
    assert fmt == "jsonl" and [r.fields["text"] for r in rows] == ["from stdin", "two"]
    assert source.size is None


def test_read_rows_still_fails_fast_for_training(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "a", "label": "x"}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_rows(path)
    with pytest.raises(InputError, match="no such file"):
        read_rows(tmp_path / "missing.jsonl")


def test_strict_records_stop_at_the_first_bad_record_and_refuse_an_empty_file(tmp_path):
    from stance.read import strict_records

    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    assert [r.fields["text"] for r in strict_records(path)] == ["a", "b"]
    path.write_text('{"text": "a"}\n[1]\n{"text": "c"}\n', encoding="utf-8")
    seen = []
    with pytest.raises(InputError, match="line 2: a JSON list, not an object"):
        seen.extend(r.fields["text"] for r in strict_records(path))
    assert seen == ["a"]  # records before the bad one were given, none after it
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no rows"):
        list(strict_records(path))
    assert list(strict_records(path, allow_empty=True)) == []


# -- raw line blocks (what a parallel run sends to its workers) ------------------------------
LINE_PIECES = [b'{"text": "ok"}', b"", b"  ", b"{bad", b"[1]", b'{"t": "\xff"}', b'"s"', b"\x00", b"x" * 40, b"\r", b"plain words"]


def _chunked(data: bytes, chunk: int, name: str = "x") -> ByteSource:
    class Chunked(BytesHandle):
        def read(self, n: int = -1) -> bytes:
            return super().read(min(n, chunk) if n >= 0 else chunk)

    return ByteSource(Chunked(data), name)


def _same(rows: list[Record | BadRecord]) -> list[tuple]:
    return [(type(r).__name__, r.number, getattr(r, "fields", None), getattr(r, "raw", None), getattr(r, "reason", None), r.end) for r in rows]


@given(
    lines=st.lists(st.lists(st.sampled_from(LINE_PIECES), max_size=3).map(b"".join), max_size=14),
    final_newline=st.booleans(),
    max_lines=st.integers(1, 6),
    read_size=st.sampled_from([1, 2, 7, 64]),
    fmt=st.sampled_from(["jsonl", "text"]),
)
def test_line_blocks_parse_to_the_same_records_as_the_whole_file_reader(lines, final_newline, max_lines, read_size, fmt):
    """Blocks cut at any size from any read size give the records, numbers, reasons and
    offsets of the reader, over-long lines included (MAX_RECORD is 32 bytes here)."""
    from stance import read
    from stance.read import lines as line_module  # where line_blocks reads its limits

    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    saved = line_module.MAX_RECORD, line_module.READ_SIZE
    line_module.MAX_RECORD, line_module.READ_SIZE = 32, read_size
    try:
        reader = read.read_jsonl if fmt == "jsonl" else read.read_text_lines
        whole = _same(reader(_chunked(data, read_size)))
        blocks = list(read.line_blocks(_chunked(data, read_size), max_lines))
        parsed = _same(r for block in blocks for r in read.parse_line_block(block, fmt))
    finally:
        line_module.MAX_RECORD, line_module.READ_SIZE = saved
    assert parsed == whole
    assert sum(b.lines for b in blocks) == len(data.split(b"\n")) - (data.endswith(b"\n") or not data)
    assert [b.start for b in blocks] == [0, *(b.end for b in blocks)][: len(blocks)]  # blocks tile the input
    assert (blocks[-1].end if blocks else 0) == len(data)
    assert all(b.lines <= max_lines and (not b.too_long or b.lines == 1) for b in blocks)
    for block in blocks:
        if block.too_long:
            assert len(block.data) <= read.RAW_LIMIT
        else:
            assert block.data == data[block.start : block.end]


def test_line_blocks_resume_from_an_offset_with_the_right_numbers(tmp_path):
    from stance.read import line_blocks, open_input, parse_line_block, read_jsonl

    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(b'{"n": %d}\n' % i if i % 4 else b"\n" for i in range(1, 40)))
    whole = _same(read_jsonl(path))
    first = next(line_blocks(ByteSource.open(path), 10))
    fmt, source = open_input(path)
    source.skip_to(first.end)
    rest = _same(r for b in line_blocks(source, 7, number=first.number + first.lines - 1) for r in parse_line_block(b, fmt))
    assert rest == [r for r in whole if r[1] > 10]
    stream = ByteSource(BytesHandle(path.read_bytes()), "<stdin>")  # cannot seek: reads up to it
    stream.peek(5)
    stream.skip_to(first.end)
    rest = _same(r for b in line_blocks(stream, 7, number=first.number + first.lines - 1) for r in parse_line_block(b, fmt))
    assert rest == [r for r in whole if r[1] > 10]


def test_an_over_long_line_is_never_held_whole(tmp_path):
    import tracemalloc

    from stance.read import line_blocks

    path = tmp_path / "long.jsonl"
    with open(path, "wb") as handle:
        handle.write(b'{"text": "before"}\n{"text": "')
        for _ in range(24):
            handle.write(b"y" * (1 << 20))
        handle.write(b'"}\n{"text": "after"}\n')
    tracemalloc.start()
    try:
        blocks = [(b.number, b.lines, b.too_long, len(b.data), b.end) for b in line_blocks(ByteSource.open(path), 100)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert blocks == [(1, 1, False, 19, 19), (2, 1, True, 1024, size - 18), (3, 1, False, 18, size)]
    assert peak < 8 * MAX_RECORD  # a 24 MB line, read 1 MB at a time


# -- a UTF-8 byte order mark at the very start is not content -------------------------------
BOM = b"\xef\xbb\xbf"
ALL_FIXTURES = [
    ("replies.jsonl", "jsonl"), ("nested.jsonl", "jsonl"), ("replies.json", "json"), ("replies.csv", "csv"),
    ("replies.tsv", "tsv"), ("replies.txt", "text"), ("x_api_pages.json", "x-api"), ("tweets.js", "x-archive"),
    ("mastodon_statuses.json", "mastodon"), ("bluesky_feed.json", "bluesky"), ("bluesky_records.jsonl", "bluesky"),
]


def _all(rows, shift: int = 0) -> list[tuple]:
    """Everything a record says, its end offset moved by ``shift``."""
    return [
        (type(r).__name__, r.number, getattr(r, "fields", None), getattr(r, "text", None), getattr(r, "context", None),
         getattr(r, "raw", None), getattr(r, "reason", None), r.unit, r.end + shift)
        for r in rows
    ]


@pytest.mark.parametrize(("name", "fmt"), ALL_FIXTURES)
@pytest.mark.parametrize("chunk", [1, 2, 1 << 16])
def test_a_leading_byte_order_mark_is_skipped_for_every_format(name, fmt, chunk, tmp_path):
    """Windows tools start exports with EF BB BF. Such a json file was refused as not an
    array, a tweets.js as not x-archive data, a Mastodon array became one bad record, the
    first JSONL line a bad record and the first text reply began with U+FEFF. Now the
    records are those of the file without it (from a file or a stream), 3 bytes on."""
    from stance.read import records_of

    data = (FIXTURES / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(BOM + data)
    assert detect_format(path) == fmt
    assert _all(read_records(path)) == _all(read_records(FIXTURES / name), 3)  # parents found by a second pass
    stream = _chunked(BOM + data, chunk, name)  # stdin: cannot seek, read in small pieces
    assert detect_format(stream) == fmt
    assert _all(records_of(fmt, stream)) == _all(records_of(fmt, _chunked(data, chunk, name)), 3)


def test_a_byte_order_mark_anywhere_else_is_content(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(BOM + b'{"text": "a"}\n' + BOM + b'{"text": "b"}\n')
    good, bad = read_records(path)
    assert good.fields == {"text": "a"} and isinstance(bad, BadRecord) and bad.number == 2 and "BOM" in bad.reason
    path.write_bytes(BOM + BOM + b"hello\n")
    (row,) = read_records(path, format="text")
    assert row.fields == {"text": "\ufeffhello"}
    path.write_bytes(BOM + BOM + b"id,text\n1,a\n")
    (row,) = read_records(path, format="csv")
    assert row.fields == {"\ufeffid": "1", "text": "a"}
    path.write_bytes(BOM + BOM + b"[]")
    with pytest.raises(InputError, match="not an array"):
        list(read_records(path, format="json"))


@given(
    lines=st.lists(st.lists(st.sampled_from(LINE_PIECES), max_size=3).map(b"".join), max_size=14),
    max_lines=st.integers(1, 6),
    read_size=st.sampled_from([1, 2, 7, 64]),
    fmt=st.sampled_from(["jsonl", "text"]),
)
def test_line_blocks_after_a_byte_order_mark_give_the_records_without_it(lines, max_lines, read_size, fmt):
    """What a parallel run parses (blocks of lines, from byte 3 on) is what one process
    reads, and what the file without the BOM holds: byte-identical outputs with --jobs."""
    from stance import read

    data = b"\n".join(lines)
    reader = read.read_jsonl if fmt == "jsonl" else read.read_text_lines
    whole = _same(reader(_chunked(BOM + data, read_size)))
    assert whole == [(*row[:-1], row[-1] + 3) for row in _same(reader(_chunked(data, read_size)))]
    blocks = list(read.line_blocks(_chunked(BOM + data, read_size), max_lines))
    assert _same(r for block in blocks for r in read.parse_line_block(block, fmt)) == whole
    assert [b.start for b in blocks] == [3, *(b.end for b in blocks)][: len(blocks)]  # the BOM is in no block
    assert (blocks[-1].end if blocks else 3) == len(BOM + data)


def test_resuming_after_a_byte_order_mark_goes_on_from_the_same_offsets(tmp_path):
    """Offsets count the BOM, so a checkpoint means the same byte either way; an offset
    inside the BOM (0: nothing done yet) is where the content starts."""
    from stance.read import line_blocks, open_input, parse_line_block

    path = tmp_path / "in.jsonl"
    path.write_bytes(BOM + b"".join(b'{"n": %d}\n' % i for i in range(1, 40)))
    fmt, source = open_input(path)
    assert fmt == "jsonl" and source.position == source.start == 3
    whole = _same(r for b in line_blocks(source, 10) for r in parse_line_block(b, fmt))
    first = next(line_blocks(ByteSource.open(path), 10))
    for stream in (ByteSource.open(path), ByteSource(BytesHandle(path.read_bytes()), "<stdin>")):
        stream.skip_to(0)
        assert stream.position == 3 and stream.read(9) == b'{"n": 1}\n'
        stream.skip_to(first.end)
        rest = _same(r for b in line_blocks(stream, 7, number=10) for r in parse_line_block(b, fmt))
        assert rest == whole[10:]
    seekable = ByteSource.open(path)
    seekable.read(100)
    assert seekable.rewind() and seekable.position == 3 and seekable.read(9) == b'{"n": 1}\n'


def test_stdin_with_a_byte_order_mark(monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BOM + b'[{"text": "from stdin"}, {"text": "two"}]')))
    fmt, source, rows = open_records("-")
    assert fmt == "json" and [r.fields["text"] for r in rows] == ["from stdin", "two"]


def _zip(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("replies.jsonl", '{"text": "hello"}\n')
    return path


def _tar(path: Path, mode: str) -> Path:
    import io
    import tarfile

    data = b'{"text": "hello"}\n'
    with tarfile.open(path, mode) as archive:
        member = tarfile.TarInfo("replies.jsonl")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return path


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sqlite(path: Path) -> Path:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("create table replies (text)")
    return path


@pytest.mark.parametrize("name, make, says", [
    ("replies.xlsx", _zip, "spreadsheet workbook (Excel), not a text export. Save the sheet as CSV"),
    ("replies.ods", _zip, "spreadsheet workbook (OpenDocument)"),
    ("replies.docx", _zip, "a document (Word), not a text export"),
    ("replies.zip", _zip, "a zip archive. Unpack it and give the files inside"),
    ("replies.xls", lambda p: _written(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), "spreadsheet workbook (Excel 97-2003)"),
    ("replies.pdf", lambda p: _written(p, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "a document (PDF)"),
    ("replies.db", _sqlite, "an SQLite database. Export the table to CSV"),
    ("replies.tar", lambda p: _tar(p, "w"), "a tar archive"),
    ("replies.tar.gz", lambda p: _tar(p, "w:gz"), "a tar archive"),  # seen through the compression
])
def test_workbooks_documents_archives_and_databases_are_named_with_the_way_out(name, make, says, tmp_path):
    path = make(tmp_path / name)
    with pytest.raises(InputError, match=re.escape(f"Cannot read '{path}': it is ") + ".*" + re.escape(says)):
        detect_format(path)
    renamed = tmp_path / "export.dat"  # the content decides, not the name (but for which kind of zip or OLE file)
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(InputError, match="Cannot read"):
        detect_format(renamed)

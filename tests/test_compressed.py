"""Compressed input: every reader reads gzip, bzip2, xz and zstd files as their content,
detected by magic bytes, streamed, and a cut-off or corrupt file loses no record before it."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import COMPRESSED_SUFFIX, COMPRESSIONS, compress
from stance.errors import InputError
from stance.read import BadRecord, ByteSource, detect_format, read_records, strict_records
from stance.read.compressed import RAW_BLOCK, compression_of, strip_suffix

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def records(path) -> list[tuple]:
    return [
        (type(r).__name__, r.number, getattr(r, "fields", None), getattr(r, "raw", None), getattr(r, "reason", None), r.unit, r.end)
        for r in read_records(path)
    ]


def content(source: ByteSource) -> bytes:
    parts = []
    while chunk := source.read(1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def dump(n: int, bad_every: int = 0) -> bytes:
    lines = []
    for i in range(n):
        lines.append(b"{not json\n" if bad_every and i % bad_every == bad_every - 1 else json.dumps({"n": i, "text": f"reply {i} é"}).encode() + b"\n")
    return b"".join(lines)


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_fixture_compressed_gives_the_same_format_and_records(name, kind, tmp_path):
    plain = FIXTURES / name
    packed = tmp_path / (name + COMPRESSED_SUFFIX[kind])
    packed.write_bytes(compress(plain.read_bytes(), kind))
    assert detect_format(packed) == detect_format(plain)
    assert records(packed) == records(plain)


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_detected_by_magic_bytes_not_by_name(kind, tmp_path):
    data = dump(50)
    hidden = tmp_path / "dump.jsonl"  # compressed, under a plain name
    hidden.write_bytes(compress(data, kind, pieces=3))
    plain = tmp_path / "plain.jsonl.gz"  # plain, under a compressed name
    plain.write_bytes(data)
    source = ByteSource.open(hidden)
    assert source.compression == kind and content(source) == data and source.damage is None
    assert ByteSource.open(plain).compression is None
    assert records(hidden) == records(plain)


def test_magic_bytes_need_more_than_a_prefix():
    assert compression_of(b"BZh9 is how a line of text may begin") is None
    assert compression_of(compress(b"x", "bzip2")[:10]) == "bzip2"
    assert compression_of(b"\x1f\x8b\x08" + b"\x00" * 7) == "gzip"
    assert strip_suffix("2024-01.jsonl.zst") == "2024-01.jsonl" and strip_suffix("a.csv") == "a.csv"


def test_a_long_window_zstd_frame_is_read(tmp_path):
    import zstandard

    data = dump(2000)
    path = tmp_path / "RC_2024-01.zst"
    path.write_bytes(compress(data, "zstd"))
    assert zstandard.get_frame_parameters(path.read_bytes()).window_size == 1 << 31
    with pytest.raises(zstandard.ZstdError):  # what a reader with the default limit meets
        zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())
    assert content(ByteSource.open(path)) == data


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_a_cut_off_file_keeps_every_record_before_and_names_the_byte(kind, tmp_path):
    data = dump(100_000 if kind == "bzip2" else 20_000)  # bzip2 decodes whole 900 kB blocks only
    packed = compress(data, kind)
    cut = len(packed) * 2 // 3
    path = tmp_path / f"dump.jsonl{COMPRESSED_SUFFIX[kind]}"
    path.write_bytes(packed[:cut])
    got = list(read_records(path))
    good = [r for r in got if not isinstance(r, BadRecord)]
    assert [r.fields["n"] for r in good] == list(range(len(good)))  # none lost before the cut
    assert len(good) > 5000
    last = got[-1]
    assert isinstance(last, BadRecord) and last.unit == "line"
    assert f"cut off at byte {cut} of the file" in last.reason and kind in last.reason
    decoded = content(ByteSource.open(path))  # whole lines only: the cut one is held back
    assert decoded.endswith(b"\n") and data.startswith(decoded + last.raw.encode())
    assert last.number == decoded.count(b"\n") + 1 == len(good) + 1 and last.raw
    assert f"after {len(decoded)} bytes of content" in last.reason
    assert [type(r) for r in got].count(BadRecord) == 1  # the cut line is that record, not another
    with pytest.raises(InputError, match=rf"'{path}' line {last.number}: the {kind} data is cut off at byte {cut}"):
        list(strict_records(path))


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_corrupt_data_keeps_every_record_before_and_names_the_bytes(kind, tmp_path):
    data = dump(100_000 if kind == "bzip2" else 40_000)
    packed = bytearray(compress(data, kind))
    middle = len(packed) // 2
    packed[middle : middle + 64] = bytes(64)  # zeros over a stretch of the compressed data
    path = tmp_path / "dump.jsonl"
    path.write_bytes(bytes(packed))
    got = list(read_records(path))
    bad = [r for r in got if isinstance(r, BadRecord)]
    assert bad and f"the {kind} data is corrupt (found in bytes " in bad[-1].reason
    start, end = (int(x) for x in bad[-1].reason.split("bytes ")[1].split(" ")[0].split("-"))
    assert end >= middle and end - start < RAW_BLOCK  # found where decoding failed: at or after the damage
    good = [r.fields["n"] for r in got if not isinstance(r, BadRecord)]
    assert good[: len(good) // 2] == list(range(len(good) // 2))  # the records before the damage are all there
    assert len(good) >= 10_000


def test_compressed_input_is_streamed(tmp_path):
    """Memory does not grow with the file: 40 MB of content through a 64 KB window."""
    line = json.dumps({"text": "the same reply, again and again " * 4}).encode() + b"\n"
    data = line * (40_000_000 // len(line))
    path = tmp_path / "big.jsonl.zst"
    path.write_bytes(compress(data, "zstd"))
    del data
    source = ByteSource.open(path)
    tracemalloc.start()
    try:
        total = 0
        while chunk := source.read(1 << 20):
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total >= 39_000_000 and peak < 12_000_000


def test_rewind_and_skip_to_start_again_on_a_compressed_file(tmp_path):
    data = dump(3000)
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(b"\xef\xbb\xbf" and compress(b"\xef\xbb\xbf" + data, "gzip"))
    source = ByteSource.open(path)
    assert source.start == 3 and source.read(10) == data[:10]
    source.skip_to(5000)
    assert source.read(10) == data[4997:5007]
    source.skip_to(100)  # behind: decompresses again from the start
    assert source.position == 100 and source.read(10) == data[97:107]
    assert source.rewind() and source.position == 3 and source.read(5) == data[:5]
    assert 0 < source.disk_position <= path.stat().st_size


LINES = st.lists(
    st.one_of(
        st.builds(lambda t: json.dumps({"text": t}), st.text(max_size=40)),
        st.sampled_from(["", "   ", "{broken", "[1, 2]", "\x00nul", '{"text": null}']),
    ),
    max_size=40,
)


@given(lines=LINES, kind=st.sampled_from((None, *COMPRESSIONS)), pieces=st.integers(1, 4), newline=st.booleans(), bom=st.booleans())
def test_any_file_compressed_or_not_gives_the_same_records(lines, kind, pieces, newline, bom, tmp_path_factory):
    folder = tmp_path_factory.mktemp("any")
    data = (b"\xef\xbb\xbf" if bom else b"") + "\n".join(lines).encode() + (b"\n" if newline and lines else b"")
    plain = folder / "dump.jsonl"
    plain.write_bytes(data)
    other = folder / "other.jsonl"
    other.write_bytes(compress(data, kind, pieces=pieces) if kind else data)
    assert records(other) == records(plain)

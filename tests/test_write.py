"""write: atomic outputs with ordinary permissions, one CSV writer for rows and for files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from stance.errors import InputError
from stance.write import convert_jsonl, write_rows

# In a child interpreter, so that the umask is the one this test sets and stance.write is
# imported for the first time.
_UMASK_SCRIPT = """
import os, sys
os.umask(0o027)
calls = []
real = os.umask
os.umask = lambda mask: calls.append(mask) or real(mask)
from stance.write import write_rows
write_rows(sys.argv[1], [{"a": 1}])
os.umask = real
print(json.dumps({"calls": calls, "mode": os.stat(sys.argv[1]).st_mode & 0o777, "umask": os.umask(0o027)}))
""".replace("import os, sys", "import json, os, sys")


def test_the_umask_is_left_alone_and_outputs_follow_it(tmp_path):
    out = tmp_path / "rows.jsonl"
    result = subprocess.run([sys.executable, "-c", _UMASK_SCRIPT, str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {"calls": [], "mode": 0o640, "umask": 0o027}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_rows_and_converted_files_give_the_same_csv(tmp_path):
    rows = [{"id": 1, "text": "a, \"quoted\"", "extra": {"k": [1]}}, {"id": 2, "text": "b", "late": True, "none": None}]
    write_rows(tmp_path / "rows.csv", rows)
    source = tmp_path / "rows.jsonl"
    write_rows(source, rows)
    convert_jsonl(source, tmp_path / "converted.csv", "csv")
    assert (tmp_path / "rows.csv").read_bytes() == (tmp_path / "converted.csv").read_bytes()
    header, first, second = (tmp_path / "rows.csv").read_text(encoding="utf-8").splitlines()
    assert header == "id,text,extra,late,none" and first == '1,"a, ""quoted""","{""k"":[1]}",,' and second == "2,b,,True,"
    write_rows(tmp_path / "rows.tsv", rows)
    assert (tmp_path / "rows.tsv").read_text(encoding="utf-8").startswith("id\ttext\textra\tlate\tnone\n")


def test_write_rows_refuses_parquet_and_existing_files(tmp_path):
    with pytest.raises(InputError, match="Unknown output format 'parquet'.*stance label"):
        write_rows(tmp_path / "rows.parquet", [{"a": 1}])
    write_rows(tmp_path / "rows.jsonl", [{"a": 1}])
    with pytest.raises(InputError, match="--force"):
        write_rows(tmp_path / "rows.jsonl", [{"a": 2}])
    assert write_rows(tmp_path / "rows.jsonl", [{"a": 2}], force=True) == 1

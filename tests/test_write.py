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


# In a child interpreter, so that the file-size limit stops only its writes.
_LIMIT_SCRIPT = """
import errno, resource, sys
from stance.errors import OutputError
from stance.write import write_rows
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    write_rows(sys.argv[1], ({"n": i, "text": "x" * 100} for i in range(1000)), force=True)
except OutputError as exc:
    print(exc.errno == errno.EFBIG, exc)
"""


def test_a_write_cut_short_names_the_output_and_leaves_the_earlier_one(tmp_path):
    out = tmp_path / "rows.jsonl"
    out.write_text("earlier\n")
    run = subprocess.run([sys.executable, "-c", _LIMIT_SCRIPT, str(out)], capture_output=True, text=True, check=True)
    assert run.stdout.startswith(f"True Cannot write '{out}': the file reached the largest size allowed"), run.stdout
    assert "Nothing was put in its place (the earlier file is as it was)" in run.stdout
    assert out.read_text() == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]  # no temporary file left


def test_outputs_go_only_into_folders_that_exist(tmp_path):
    from stance.errors import OutputError

    out = tmp_path / "new" / "rows.jsonl"
    with pytest.raises(OutputError, match=r"the folder '.*new' does not exist, and stance does not create folders") as caught:
        write_rows(out, [{"a": 1}])
    assert isinstance(caught.value, OSError) and not out.parent.exists()

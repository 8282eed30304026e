"""stance.dask on a real distributed.LocalCluster with two worker processes (no mocks):
files labelled one task each, byte-identical to single-file runs, a worker killed part-way,
and Dask DataFrames through label_frame."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import compress, run_stance
from stance.batch import label_file
from stance.batch.checkpoint import RunFiles
from stance.errors import InputError

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

import stance.dask as sd  # noqa: E402
from stance.frame import label_frame  # noqa: E402

TEXTS = ["I agree, great essay", "This is wrong and naive", "What time is the game?", "Love this 👀", "so true"]


@pytest.fixture(scope="module")
def client():
    import logging

    # distributed sets PYTHONHASHSEED, OMP_NUM_THREADS and others in this process's
    # environment for its workers; later tests' subprocesses must not inherit them
    environ = dict(os.environ)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    os.environ.clear()
    os.environ.update(environ)


def dump(n: int, bad_every: int = 0, start: int = 0) -> bytes:
    return b"".join(
        b"{bad json\n" if bad_every and i % bad_every == bad_every - 1
        else json.dumps({"n": i, "text": TEXTS[i % len(TEXTS)]}, ensure_ascii=False).encode() + b"\n"
        for i in range(start, start + n)
    )


def mixed_directory(folder: Path) -> list[Path]:
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(dump(700, bad_every=50))
    (folder / "b.jsonl.gz").write_bytes(compress(dump(900, bad_every=77, start=1000), "gzip", pieces=2))
    (folder / "c.jsonl.zst").write_bytes(compress(dump(1200, bad_every=100, start=5000), "zstd"))
    packed = compress(dump(400, start=9000), "xz")
    (folder / "d.jsonl.xz").write_bytes(packed[: len(packed) * 3 // 4])  # cut off
    pd.DataFrame({"id": range(50), "text": (TEXTS * 10)}).to_parquet(folder / "e.parquet")
    return sorted(folder.iterdir())


def single_runs(inputs: list[Path], folder: Path, model) -> dict[str, bytes | None]:
    expected = {}
    folder.mkdir(exist_ok=True)
    for path in inputs:
        output = folder / sd.output_name(path, "jsonl")
        label_file(path, output, model=model)
        expected[output.name] = output.read_bytes()
        errors = RunFiles.beside(output, None).errors
        expected[errors.name] = errors.read_bytes() if errors.exists() else None
    return expected


def written(folder: Path, names) -> dict[str, bytes | None]:
    return {name: (folder / name).read_bytes() if (folder / name).exists() else None for name in names}


def test_a_cluster_labels_a_mixed_directory_like_single_runs(client, toy_model, toy_model_path, tmp_path):
    inputs = mixed_directory(tmp_path / "dumps")
    expected = single_runs(inputs, tmp_path / "single", toy_model)
    out = tmp_path / "out"
    summary = sd.label_files([str(tmp_path / "dumps" / "*")], out, client=client, model=toy_model_path)
    assert not summary.failures and summary.files == 5 and not summary.skipped
    assert written(out, expected) == expected
    # every record once, as a row or an error record
    lines = sum(len(v.splitlines()) for v in expected.values() if v)
    assert summary.labelled + summary.rejected == summary.read == lines
    assert expected["d.errors.jsonl"].splitlines()[-1].find(b"cut off at byte") > 0
    # a re-run skips the complete files; a missing output is labelled again
    (out / "b.jsonl").unlink()
    again = sd.label_files([str(p) for p in inputs], out, client=client, model=toy_model_path)
    assert sorted(again.skipped) == sorted(str(p) for p in inputs if p.name != "b.jsonl.gz")
    assert written(out, expected) == expected


def _worker_running(client, key_part: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(key_part in str(k) for k in keys):
                return worker
        time.sleep(0.05)
    pytest.fail(f"no worker started {key_part}")


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(client, toy_model, toy_model_path, tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    big = folder / "big.jsonl.zst"
    big.write_bytes(compress(dump(30_000, bad_every=1000), "zstd", pieces=4))
    small = folder / "small.jsonl"
    small.write_bytes(dump(300, bad_every=30))
    expected = single_runs([big, small], tmp_path / "single", toy_model)
    out = tmp_path / "out"
    progress = RunFiles.beside(out / "big.jsonl", None).progress
    pids = client.run(os.getpid)
    result: dict = {}

    def run() -> None:
        result["summary"] = sd.label_files(
            [str(big), str(small)], out, client=client, model=toy_model_path, chunk_size=200, checkpoint_seconds=0
        )

    import threading

    thread = threading.Thread(target=run)
    thread.start()
    worker = _worker_running(client, "big.jsonl")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # part-way: some checkpoints written, far from the end
        try:
            if json.loads(progress.read_bytes())["records"] >= 2000:
                break
        except (FileNotFoundError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    done = json.loads(progress.read_bytes())["records"]
    os.kill(pids[worker], signal.SIGKILL)  # its nanny starts a new one; the task runs again
    thread.join(300)
    assert not thread.is_alive()
    summary = result["summary"]
    assert done < 30_000 and not summary.failures
    assert summary.read == 30_300 and summary.labelled + summary.rejected == 30_300
    assert written(out, expected) == expected  # nothing lost or doubled, in order
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no partial or progress files
    deadline = time.monotonic() + 60
    while len(client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(client.scheduler_info()["workers"]) == 2


def test_dask_frames_give_what_label_frame_gives(client, toy_model, toy_model_path, tmp_path):
    df = pd.DataFrame({"text": TEXTS * 8 + ["", "  "], "k": range(42)}, index=range(100, 142))
    ddf = dd.from_pandas(df, npartitions=4)
    labelled = sd.label(ddf, model=toy_model_path)
    got = labelled.compute()
    pd.testing.assert_frame_equal(got, label_frame(ddf.compute(), model=toy_model))  # (Dask's string dtype)
    assert dict(labelled.dtypes) == dict(got.dtypes)  # meta is right
    assert labelled.divisions == ddf.divisions
    # a model object reaches each worker once, by a plugin; a path is loaded once per worker
    by_object = sd.label(ddf, model=toy_model, min_confidence=0.6).compute()
    pd.testing.assert_frame_equal(by_object, label_frame(ddf.compute(), model=toy_model, min_confidence=0.6))
    cached = client.run(lambda: sorted(str(k) for k in sd._MODELS))
    assert all(len([k for k in keys if str(toy_model_path.resolve()) in k]) == 1 for keys in cached.values())
    assert len(__import__("pickle").dumps(sd.model_ref(toy_model_path))) < 1000  # what a task carries


def test_parquet_in_and_out(client, toy_model, toy_model_path, tmp_path):
    df = pd.DataFrame({"text": TEXTS * 20, "id": range(100)})
    dd.from_pandas(df, npartitions=3).to_parquet(tmp_path / "in")
    sd.label(dd.read_parquet(tmp_path / "in"), model=toy_model_path).to_parquet(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out").reset_index(drop=True)
    expected = label_frame(df, model=toy_model)
    assert back["stance"].tolist() == expected["stance"].tolist()
    pd.testing.assert_frame_equal(back.filter(like="stance_proba_"), expected.filter(like="stance_proba_"))


def test_missing_text_fails_the_computation_with_its_rows(client, toy_model_path):
    ddf = dd.from_pandas(pd.DataFrame({"text": ["ok", None, "fine", "x"]}), npartitions=2)
    with pytest.raises(InputError, match=r"positions \[1\]"):
        sd.label(ddf, model=toy_model_path).compute()
    marked = sd.label(ddf, model=toy_model_path, errors="mark").compute()
    assert marked["stance"].isna().tolist() == [False, True, False, False]


def test_the_command_on_a_scheduler(client, toy_model, toy_model_path, tmp_path):
    inputs = mixed_directory(tmp_path / "dumps")
    expected = single_runs(inputs, tmp_path / "single", toy_model)
    out = tmp_path / "out"
    args = ["label", str(tmp_path / "dumps" / "*"), "-o", str(out), "-m", str(toy_model_path), "--dask", client.scheduler.address]
    run = run_stance(*args)
    assert run.returncode == 3, run.stderr  # some records were rejected
    assert "Dask dashboard:" in run.stderr and "Labelled 5 of 5 files" in run.stderr
    assert written(out, expected) == expected
    again = run_stance(*args)
    assert again.returncode == 0 and "(5 already complete, skipped)" in again.stderr


def test_command_line_checks(tmp_path, monkeypatch):
    assert "stance label takes one DATA file" in run_stance("label", "a.jsonl", "b.jsonl", "-o", str(tmp_path / "o.jsonl")).stderr
    folder = run_stance("label", "a.jsonl", "-o", str(tmp_path))
    assert folder.returncode == 2 and "is a folder. Without --dask, -o names the output file" in folder.stderr
    conflict = run_stance("label", "a.jsonl", "-o", str(tmp_path), "--dask", "local:2", "--jobs", "2")
    assert conflict.returncode == 2 and "--dask cannot be combined with --jobs" in conflict.stderr
    bad = run_stance("label", "a.jsonl", "-o", str(tmp_path), "--dask", "nowhere")
    assert bad.returncode == 2 and "local:N" in bad.stderr
    with pytest.raises(InputError, match="No input file matches"):
        sd.expand_inputs([str(tmp_path / "*.zst")])
    (tmp_path / "x.jsonl").write_text("{}\n")
    (tmp_path / "x.jsonl.gz").write_bytes(compress(b"{}\n", "gzip"))
    with pytest.raises(InputError, match="would both be written to"):
        sd.plan_outputs(sd.expand_inputs([str(tmp_path / "x.*")]), tmp_path / "out", "jsonl")
    assert sd.parse_scheduler("local:3") == ("local", 3) and sd.parse_scheduler("localhost:8786")[0] == "address"
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(InputError, match=r"pip install 'stance\[dask\]'"):
        sd.require_dask("--dask")


def test_a_started_cluster_leaves_glibc_memory_tuning_alone():
    # Dask's MALLOC_TRIM_THRESHOLD_ fixes glibc's mmap threshold, and a labelling worker then
    # maps every large array afresh (about a fifth slower in bench/scale_out.py)
    environ = dict(os.environ)
    # a cluster started earlier in this process (the module's fixture) leaves Dask's value in
    # os.environ, since the nanny sets it in its own process before spawning; start clean
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        client, cluster = sd.connect("local:1")
        try:
            assert list(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == [None]
        finally:
            client.close()
            cluster.close()
    finally:
        os.environ.clear()
        os.environ.update(environ)


def test_the_client_of_a_model_file_does_not_load_spacy(toy_model_path):
    # the workers load the model; spaCy in the client only delays the start
    code = (
        "import sys, stance.cli, stance.dask as sd\n"
        f"ref = sd.model_ref({str(toy_model_path)!r})\n"
        "assert ref.path and 'spacy' not in sys.modules, sorted(m for m in sys.modules if 'spacy' in m)[:3]\n"
    )
    import subprocess

    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

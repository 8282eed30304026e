"""`stance suggest`: through the installed command, plus invariants of the picking rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stance
from stance.suggest import select, uncertainty

STANCE = str(Path(sys.executable).parent / "stance")
SEEDS = Path(__file__).parents[1] / "seeds" / "thread.jsonl"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([STANCE, "suggest", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def read(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The seed thread plus nine copies of the reply the default model is least sure of."""
    rows = [{"id": r["id"], "text": r["text"]} for r in map(orjson.loads, SEEDS.read_bytes().splitlines())]
    predictions = stance.classify([r["text"] for r in rows])
    proba = np.array([[p.proba[label] for label in sorted(p.proba)] for p in predictions])
    hardest = rows[int(np.argmax(uncertainty(proba)))]
    rows += [{"id": f"copy{i}", "text": hardest["text"]} for i in range(9)]
    path = tmp_path_factory.mktemp("suggest") / "dump.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in rows))
    return path, hardest["id"]


def test_diversity_stops_near_duplicates_from_filling_the_batch(dump: tuple[Path, str], tmp_path: Path) -> None:
    path, hardest = dump
    copies = {hardest, *(f"copy{i}" for i in range(9))}

    result = run(str(path), "-n", "5", "--diversity", "0", "-o", "plain.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plain = read(tmp_path / "plain.jsonl")
    assert {r["item"] for r in plain} <= copies  # pure uncertainty: five copies of one reply
    scores = [r["score"] for r in plain]
    assert scores == sorted(scores, reverse=True)

    result = run(str(path), "-n", "5", "-o", "diverse.jsonl", cwd=tmp_path)  # default diversity 0.5
    assert result.returncode == 0, result.stderr
    diverse = read(tmp_path / "diverse.jsonl")
    assert len({r["item"] for r in diverse} & copies) == 1
    assert [r["rank"] for r in diverse] == [1, 2, 3, 4, 5]
    assert diverse[0]["max_similarity"] == 0.0 and all(r["max_similarity"] < 0.99 for r in diverse)
    for row in diverse:  # input fields kept, scores and the model's view added
        assert {"id", "text", "item", "rank", "score", "max_similarity", "strategy", "stance", "stance_proba"} <= set(row)
        assert 0.0 <= row["score"] <= 1.0
        assert abs(sum(row["stance_proba"].values()) - 1) < 1e-3
    assert "stance annotate" in result.stderr

    # Refuses to overwrite without --force.
    again = run(str(path), "-n", "5", "-o", "diverse.jsonl", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr


def test_random_control_is_seeded_and_exclude_skips_labelled(dump: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = dump
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(b'{"item": "r01", "annotator": "a", "label": "supportive", "text": "x", "ts": "t"}\n')
    outputs = []
    for name, seed in [("a.jsonl", "1"), ("b.jsonl", "1"), ("c.jsonl", "2")]:
        result = run(
            str(path), "--strategy", "random", "--seed", seed, "-n", "31", "--exclude", str(labels), "-o", name, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        outputs.append([r["item"] for r in read(tmp_path / name)])
    a, b, c = outputs
    assert a == b != c
    assert len(a) == len(set(a)) == 31  # 32 items, one excluded: all the rest
    assert "r01" not in a


def test_entropy_strategy_and_bad_arguments(dump: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = dump
    result = run(str(path), "--strategy", "entropy", "-n", "3", "-o", "e.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [r["strategy"] for r in read(tmp_path / "e.jsonl")] == ["entropy"] * 3
    result = run(str(path), "--diversity", "1.5", "-o", "x.jsonl", cwd=tmp_path)
    assert result.returncode == 2 and "--diversity" in result.stderr


probabilities = st.integers(2, 4).flatmap(
    lambda k: st.lists(
        st.lists(st.floats(0.01, 1.0), min_size=k, max_size=k), min_size=1, max_size=30
    ).map(lambda rows: np.array(rows) / np.array(rows).sum(axis=1, keepdims=True))
)


@settings(max_examples=50, deadline=None)
@given(proba=probabilities, strategy=st.sampled_from(["margin", "entropy"]))
def test_uncertainty_is_in_range_and_per_row(proba: np.ndarray, strategy: str) -> None:
    scores = uncertainty(proba, strategy)
    assert scores.shape == (len(proba),)
    assert np.all((scores >= 0) & (scores <= 1))
    order = np.random.default_rng(0).permutation(len(proba))
    np.testing.assert_allclose(uncertainty(proba[order], strategy), scores[order])
    # The most uncertain possible row scores 1.
    flat = np.full((1, proba.shape[1]), 1 / proba.shape[1])
    np.testing.assert_allclose(uncertainty(flat, strategy), [1.0])


@settings(max_examples=50, deadline=None)
@given(
    proba=probabilities,
    n=st.integers(0, 40),
    diversity=st.floats(0, 1),
    strategy=st.sampled_from(["margin", "entropy", "random"]),
    data=st.data(),
)
def test_select_picks_distinct_allowed_rows(proba: np.ndarray, n: int, diversity: float, strategy: str, data: st.DataObject) -> None:
    features = np.random.default_rng(1).random((len(proba), 5))
    exclude = data.draw(st.lists(st.integers(0, len(proba) - 1), unique=True))
    picks = select(proba, features, n, strategy=strategy, diversity=diversity, exclude=exclude)
    indices = [p.index for p in picks]
    assert len(indices) == len(set(indices)) == min(n, len(proba) - len(exclude))
    assert not set(indices) & set(exclude)
    assert [p.rank for p in picks] == list(range(1, len(picks) + 1))
    if strategy != "random" and diversity == 0:
        scores = [p.score for p in picks]
        assert scores == sorted(scores, reverse=True)

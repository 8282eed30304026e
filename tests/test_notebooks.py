"""Every notebook in notebooks/ runs fresh, top to bottom, without errors or network.

The kernel is this interpreter: a ``python3`` kernelspec pointing at ``sys.executable`` is
installed into a temporary directory that is put first on ``JUPYTER_PATH``, so the test
works in a fresh virtualenv and never picks up some other Python's kernel.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import ipykernel  # noqa: F401  (the kernel the notebooks run on)
import nbclient
import nbformat

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
MAX_COMMITTED_BYTES = 200_000


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> str:
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3", prefix=str(prefix))
    share = prefix / "share" / "jupyter"
    spec = json.loads((share / "kernels" / "python3" / "kernel.json").read_text())
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(share), *([old] if old else [])])
    # Inline figures even if the environment forces a non-interactive backend (CI often sets Agg).
    old_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    yield "python3"
    if old_backend is None:
        os.environ.pop("MPLBACKEND", None)
    else:
        os.environ["MPLBACKEND"] = old_backend
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


def test_the_three_notebooks_exist() -> None:
    assert {p.name for p in NOTEBOOKS} >= {"quickstart.ipynb", "agreement.ipynb", "evaluate.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_fresh(path: Path, kernel: str, tmp_path: Path) -> None:
    assert path.stat().st_size < MAX_COMMITTED_BYTES, f"{path.name} is large; strip its outputs"
    notebook = nbformat.read(path, as_version=4)
    # Start in notebooks/, as a reader would; the notebooks walk up to pyproject.toml.
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    figures = sum("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
    assert figures >= 1, f"{path.name} drew no plot"
    warnings = [
        o["text"] for c in notebook.cells for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr" and "Warning" in o.get("text", "")
    ]
    assert not warnings, warnings

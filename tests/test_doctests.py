"""Run every docstring example of the installed package, so documented values stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stance

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(stance.__path__, prefix="stance.") if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"

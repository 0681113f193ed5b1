"""The notebooks run top to bottom (their code cells, in order, in their own folder)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(notebook, monkeypatch, capsys):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(notebook.parent)
    cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
    assert cells, f"{notebook.name} has no code"
    namespace: dict = {"__name__": "__notebook__"}
    for cell in cells:
        exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)
    plt.close("all")
    assert os.getcwd() == str(notebook.parent)

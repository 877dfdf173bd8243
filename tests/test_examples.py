# Authors: The skmerge developers
# SPDX-License-Identifier: BSD-3-Clause
"""The scripts in examples/ run as a user runs them and write their figure.

Each runs in a fresh interpreter, in a temporary directory (where it writes
its PNG), with the Agg backend.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SCRIPTS = {
    "plot_competition_blend.py": ("competition_blend.png", "chosen route:"),
    "plot_kaggle_blend.py": ("kaggle_blend.png", "ensemble selection + T"),
    "plot_weight_space_soup.py": ("weight_space_soup.png", "greedy soup"),
    "plot_reliability_diagram.py": ("reliability_diagram.png", "temperature T ="),
    "plot_regression_soups.py": ("regression_soups.png", "optimized"),
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(SCRIPTS)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_runs_and_writes_its_figure(script, tmp_path):
    figure, printed = SCRIPTS[script]
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        # The scripts import skmerge as a user would; this checkout first.
        "PYTHONPATH": os.pathsep.join(
            [str(EXAMPLES.parent), os.environ.get("PYTHONPATH", "")]
        ),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert printed in result.stdout
    path = tmp_path / figure
    assert path.is_file()
    with path.open("rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000

"""Helpers shared by the tests: real-data files and study configs built on the sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from carecircles.config import SAMPLE_CONFIG

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CARECIRCLES_SHARED_DATA", ROOT.parent / "shared" / "data"))
DATA = SAMPLE_CONFIG.parent


def shared_file(name: str) -> Path:
    """A real-data file from ../shared/data, skipping the test when the folder is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real test data not available: {path} (../shared/data is not beside the clone)")
    return path


def write_study(tmp_path: Path, **changes) -> Path:
    """A copy of the sample config with some inputs replaced."""
    raw = yaml.safe_load(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    for section in ("zones", "facilities", "villages"):
        entry = raw["inputs"][section]
        entry["path"] = str(DATA / entry["path"])
    raw["inputs"]["roads"] = str(DATA / raw["inputs"]["roads"])
    raw["inputs"]["population"] = str(DATA / raw["inputs"]["population"])
    if "dem" in raw["inputs"]:
        raw["inputs"]["dem"] = str(DATA / raw["inputs"]["dem"])
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            raw[section][name] = value
        else:
            raw[section] = value
    path = tmp_path / "study.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def tiny_png(path: Path) -> Path:
    """A small real PNG (a blank matplotlib figure), for tests that embed a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1))
    fig.savefig(path)
    plt.close(fig)
    return path

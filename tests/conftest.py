"""Shared fixtures: the real data folder and one run of the sample county."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CARECIRCLES_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_file(name: str) -> Path:
    """A real-data file from ../shared/data, skipping the test when the folder is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real test data not available: {path} (../shared/data is not beside the clone)")
    return path


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory: pytest.TempPathFactory):
    from carecircles.config import load_config

    return load_config(output_root=tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_result(sample_config):
    from carecircles.analysis import run_study

    return run_study(sample_config)

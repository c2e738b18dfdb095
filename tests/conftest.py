"""Shared fixtures: one run of the bundled sample county for the end-to-end tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sample_config(tmp_path_factory: pytest.TempPathFactory):
    from carecircles.config import load_config

    return load_config(output_root=tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def sample_result(sample_config):
    from carecircles.analysis import run_study

    return run_study(sample_config)

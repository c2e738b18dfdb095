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


@pytest.fixture(scope="session")
def flat_config(tmp_path_factory: pytest.TempPathFactory):
    """The sample without its DEM and scenarios: what the flat networkx references model."""
    from carecircles.config import load_config

    from _helpers import write_study

    folder = tmp_path_factory.mktemp("flat")
    return load_config(
        write_study(folder, inputs__dem=None, terrain=None, scenarios=None), output_root=folder
    )


@pytest.fixture(scope="session")
def flat_result(flat_config):
    from carecircles.analysis import run_study

    return run_study(flat_config)

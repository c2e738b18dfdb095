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


@pytest.fixture
def fork_beside_idle_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``carecircles._forked`` fork although an earlier test left an idle thread (Dask's).

    The package refuses to fork beside other threads (a lock one holds would never be released
    in the child); the threads left by other tests hold none, and these tests are about forking.
    """
    import sys

    from carecircles import _forked

    monkeypatch.setattr(_forked, "_can_fork", lambda: sys.platform.startswith("linux"))

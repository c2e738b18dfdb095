"""carecircles: health-facility service coverage for Chinese counties.

Tests the 15-minute urban and 30-minute rural medical-access circles and the 2.5 km
village-clinic radius zone by zone, from facility locations, roads, boundaries and
population, with one compiled multi-source shortest-path pass per facility set.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_config", "run_study"]


def __getattr__(name: str) -> object:
    """Lazy access to the main entry points (keeps ``import carecircles`` light)."""
    if name == "load_config":
        from carecircles.config import load_config

        return load_config
    if name == "run_study":
        from carecircles.analysis import run_study

        return run_study
    raise AttributeError(name)

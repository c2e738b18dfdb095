"""Step-by-step progress on stderr, with timings kept for the run manifest."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from carecircles._encode import terminal_text

#: Step names in Chinese (the English names are the timings' keys in the manifest).
_STEPS_ZH = {
    "Reading zones": "读取区域边界",
    "Reading facilities": "读取医疗机构",
    "Reading roads": "读取道路",
    "Reading population": "读取人口",
    "Building networks": "构建路网",
    "Travel times (one Dijkstra pass per facility set)": "计算出行时间（每组机构一次 Dijkstra）",
    "Assessing standards": "逐项检验标准",
    "Plan indicators (presence, ratios, catchments and load, capacity)": (
        "规划指标（配置、千人指标、服务范围与负荷、可及资源）"
    ),
    "Writing tables, figures, report and workbook": "写出表格、图件、报告和工作簿",
    "Study area": "研究范围",
    "Roads (OSM)": "道路（OSM）",
    "Health facilities (OSM)": "医疗机构（OSM）",
    "Zones and villages (OSM)": "行政区与村点（OSM）",
    "Population and elevation": "人口与高程",
}


class Laps:
    """Seconds of consecutive parts of one step, by name (the manifest's ``writing_s``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the seconds since the last lap (or the start) under ``name``."""
        now = time.perf_counter()
        self.seconds[name] = round(now - self._start, 2)
        self._start = now


def release_free_memory() -> None:
    """Give memory freed by the program back to the OS (glibc's ``malloc_trim``; elsewhere nothing).

    glibc keeps what a thread freed in that thread's arena: after the population was read in
    a thread beside the roads, 1 GB of freed strips stayed resident and raised every later
    step's peak by as much. Called after each step; it takes milliseconds.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim``, or ``None`` (not Linux, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl has no malloc_trim
        return None


def peak_rss_gib() -> float | None:
    """Return the process's peak resident memory so far in GiB (``None`` where the OS does not say).

    On Linux ``VmHWM`` of ``/proc/self/status``: the peak of this program's own memory. The
    ``ru_maxrss`` of ``getrusage`` starts at the parent's size when the process was forked
    (Linux keeps it across ``exec``), so a run started by a large process would report that.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) * 1024 / 2**30, 3)  # kB
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return round(peak * scale / 2**30, 3)


def step_words(label: str, lang: str) -> str:
    """Return a step's name in ``lang`` (``Siting for <standard>`` included)."""
    if lang != "zh":
        return label
    if label.startswith("Siting for "):
        return f"选址：{label.removeprefix('Siting for ')}"
    if label.startswith("Scenario "):
        return f"情景：{label.removeprefix('Scenario ')}"
    return _STEPS_ZH.get(label, label)


@dataclass
class Progress:
    """Print ``[i/n] label: 1.2 s`` for each step, then its notes; remember the timings.

    On a terminal the step's label shows while it runs and is replaced when it ends.

    Parameters
    ----------
    total
        Number of steps expected (only used for the ``[i/n]`` counter).
    stream
        Where to print; ``None`` keeps quiet but still records timings.
    lang
        ``zh`` (default) or ``en``: steps and notes are printed in it (timings keep the
        English step names, for the manifest).
    timings, peaks
        Per step (English name): seconds, and the process's peak memory so far at its end
        (GiB), for the manifest.
    """

    total: int = 0
    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    lang: str = "zh"
    timings: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, float] = field(default_factory=dict)
    _done: int = 0
    _notes: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Time one step and report it."""
        self._done += 1
        shown = terminal_text(step_words(label, self.lang))  # may carry a standard id from the config
        counter = f"[{self._done}/{self.total}]" if self.total else f"[{self._done}]"
        interactive = self.stream is not None and getattr(self.stream, "isatty", lambda: False)()
        if interactive:
            self._write(f"{counter} {shown} …")
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.timings[label] = round(elapsed, 3)
        release_free_memory()
        peak = peak_rss_gib()
        if peak is not None:
            self.peaks[label] = peak
        self._write(("\r\033[K" if interactive else "") + f"{counter} {shown}: {elapsed:.1f} s\n")
        for note in self._notes:
            self._write(f"      {note}\n")
        self._notes.clear()

    def note(self, text: str, zh: str | None = None) -> None:
        """Add a line of detail (``zh``: the same in Chinese), printed under the current step when it ends."""
        self._notes.append(terminal_text(zh if zh is not None and self.lang == "zh" else text))

    def _write(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()

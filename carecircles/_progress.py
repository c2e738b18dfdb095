"""Step-by-step progress on stderr, with timings kept for the run manifest."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Progress:
    """Print ``[i/n] label … 1.2 s`` for each step and remember how long each took.

    Parameters
    ----------
    total
        Number of steps expected (only used for the ``[i/n]`` counter).
    stream
        Where to print; ``None`` keeps quiet but still records timings.
    """

    total: int = 0
    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    timings: dict[str, float] = field(default_factory=dict)
    _done: int = 0

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Time one step and report it."""
        self._done += 1
        counter = f"[{self._done}/{self.total}]" if self.total else f"[{self._done}]"
        self._print(f"{counter} {label} …")
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.timings[label] = round(elapsed, 3)
        self._print(f"{counter} {label}: {elapsed:.1f} s\n", overwrite=True)

    def note(self, text: str) -> None:
        """Print a line of detail under the current step."""
        self._print(f"      {text}\n")

    def _print(self, text: str, *, overwrite: bool = False) -> None:
        if self.stream is None:
            return
        interactive = getattr(self.stream, "isatty", lambda: False)()
        if overwrite and interactive:
            self.stream.write("\r\033[K")
        elif not overwrite and not text.endswith("\n") and not interactive:
            return  # in logs, only the finished line is useful
        self.stream.write(text)
        self.stream.flush()

"""Step-by-step progress on stderr, with timings kept for the run manifest."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from carecircles._encode import terminal_text


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
    """

    total: int = 0
    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    timings: dict[str, float] = field(default_factory=dict)
    _done: int = 0
    _notes: list[str] = field(default_factory=list)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Time one step and report it."""
        self._done += 1
        shown = terminal_text(label)  # a label may carry a standard id from the config
        counter = f"[{self._done}/{self.total}]" if self.total else f"[{self._done}]"
        interactive = self.stream is not None and getattr(self.stream, "isatty", lambda: False)()
        if interactive:
            self._write(f"{counter} {shown} …")
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.timings[label] = round(elapsed, 3)
        self._write(("\r\033[K" if interactive else "") + f"{counter} {shown}: {elapsed:.1f} s\n")
        for note in self._notes:
            self._write(f"      {note}\n")
        self._notes.clear()

    def note(self, text: str) -> None:
        """Add a line of detail, printed under the current step when it ends."""
        self._notes.append(terminal_text(text))

    def _write(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()

"""Work done in a forked child process, on the machine's other core, while the caller goes on.

A province's map pages take ~27 s of single-core Python; forked at the start of the writing,
they are written beside the tables, figures and report instead of after them. The child
shares the parent's memory (copy on write: the study's arrays are not copied), writes files
and reports back only how long it took or why it failed.

Where ``os.fork`` is missing (Windows) or unsafe (macOS), the work runs in the caller's
process when :meth:`Forked.join` is called.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable


class ForkedError(RuntimeError):
    """The child's work failed in a way that could not be sent back as its own exception."""


class Forked:
    """Run ``work()`` in a forked child process; :meth:`join` waits for it and raises its error.

    Parameters
    ----------
    work
        What to do; its return value is dropped (it writes files).
    what
        Words naming the work in errors (``the map``).
    """

    def __init__(self, work: Callable[[], object], what: str) -> None:
        self.work = work
        self.what = what
        self.pid: int | None = None
        self._reader: int | None = None
        if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
            return
        reader, writer = os.pipe()
        sys.stdout.flush()  # else the child would write the parent's buffered text again
        sys.stderr.flush()
        gc.freeze()  # the child's collections then leave the parent's objects' pages shared
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            gc.unfreeze()
            return  # no fork (e.g. out of processes): done at join()
        if pid == 0:  # the child: never returns
            os.close(reader)
            _child(work, writer)
        gc.unfreeze()
        os.close(writer)
        self.pid, self._reader = pid, reader

    def join(self) -> float:
        """Wait for the work (or do it here, without a fork); return its seconds.

        Raises
        ------
        BaseException
            The work's own exception when it can be sent back, else :class:`ForkedError`.
        """
        if self.pid is None:
            start = time.perf_counter()
            self.work()
            return time.perf_counter() - start
        assert self._reader is not None
        with os.fdopen(self._reader, "rb") as pipe:
            self._reader = None
            message = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        if message:
            kind, payload, where = pickle.loads(message)
            if kind == "done":
                return float(payload)
            if isinstance(payload, BaseException):
                payload.add_note(f"raised while writing {self.what} in a second process:\n{where}")
                raise payload
            raise ForkedError(f"writing {self.what} failed in a second process:\n{where}")
        code = os.waitstatus_to_exitcode(status)
        ended = f"by signal {-code}" if code < 0 else f"with status {code}"
        raise ForkedError(f"the process writing {self.what} ended {ended} before it was done")

    def stop(self) -> None:
        """Stop the child, if it is still running (the caller failed meanwhile)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = None
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None


def _child(work: Callable[[], object], writer: int) -> None:
    """Do the work in the child; send back its seconds or its error; exit without cleanup."""
    code = 0
    try:
        start = time.perf_counter()
        work()
        message = pickle.dumps(("done", time.perf_counter() - start, ""))
    except BaseException as exc:  # everything goes back to the parent
        code = 1
        where = "".join(traceback.format_exception(exc))
        try:
            message = pickle.dumps(("error", exc, where))
            pickle.loads(message)  # an exception that pickles but does not load is sent as text
        except Exception:
            message = pickle.dumps(("error", None, where))
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(message)
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers

"""Work done in a forked child process, on the machine's other core, while the caller goes on.

A province's map pages take ~27 s of single-core Python; forked at the start of the writing,
they are written beside the tables, figures and report instead of after them. The child
shares the parent's memory (copy on write: the study's arrays are not copied), writes files
and reports back only how long it took or why it failed.

:class:`ForkedWorker` is a child that stays: it answers calls in order (a province's gap and
catchment polygons are traced there while the next standard is assessed).

Where ``os.fork`` is missing (Windows) or unsafe (macOS), the work runs in the caller's
process: when :meth:`Forked.join` is called, or as a call is submitted.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from carecircles._progress import release_free_memory

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


def _can_fork() -> bool:
    """Whether to fork here: Linux, and no other Python thread running.

    A fork copies only the calling thread: a lock another thread holds at that moment (logging,
    a library's) would never be released in the child, and the child would wait for ever.
    """
    import threading

    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def _die_with_parent() -> None:
    """In a child: be killed when the parent ends (killed by a signal, it cleans nothing up)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _fork() -> int | None:
    """Fork: the child's pid in the parent, 0 in the child, ``None`` when there is no fork.

    Buffered output is written first (else the child would write it again); the parent's
    objects are frozen for the fork, so the child's collections leave their pages shared.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:  # e.g. out of processes
        gc.unfreeze()
        return None
    if pid == 0:
        _die_with_parent()
    else:
        gc.unfreeze()
    return pid


def _raise_back(payload: object, where: str, doing: str) -> NoReturn:
    """Raise the error a child sent back: its own exception, else its traceback's words."""
    if isinstance(payload, BaseException):
        payload.add_note(f"raised while {doing} in a second process:\n{where}")
        raise payload
    raise ForkedError(f"{doing} failed in a second process:\n{where}")


def _reap(pid: int) -> int:
    """Wait for a child; return its wait status (0 when something else reaped it already)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # SIGCHLD ignored by the embedding program: reaped by the system
        return 0


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
    fork
        ``False``: do the work in this process at :meth:`join`.
    """

    def __init__(self, work: Callable[[], object], what: str, *, fork: bool = True) -> None:
        self.work = work
        self.what = what
        self.pid: int | None = None
        self._reader: int | None = None
        if not (fork and _can_fork()):
            return
        reader, writer = os.pipe()
        pid = _fork()
        if pid is None:  # done at join()
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # the child: never returns
            os.close(reader)
            _child(work, writer)
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
        status = _reap(self.pid)
        self.pid = None
        if message:
            kind, payload, where = pickle.loads(message)
            if kind == "done":
                return float(payload)
            _raise_back(payload, where, f"writing {self.what}")
        code = os.waitstatus_to_exitcode(status)
        ended = f"by signal {-code}" if code < 0 else f"with status {code}"
        raise ForkedError(f"the process writing {self.what} ended {ended} before it was done")

    def stop(self) -> None:
        """Stop the child, if it is still running (the caller failed meanwhile)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _reap(self.pid)
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


class ForkedWorker:
    """A forked child process that answers calls ``func(shared, *args)`` in order, beside the caller.

    ``shared`` (a province's population cells: 0.7 GiB) is the parent's own object, shared with
    the child by the fork, never sent. Calls and answers are pickled to files in a private
    temporary folder and only their numbers go through the pipe: a pipe holds 64 kB, and a
    100 MB argument written while the child works (or an answer while the caller writes the
    next call) would stop one process until the other read it. :meth:`submit` returns at once
    with a function that waits for the answer. Without a fork, calls are answered in the
    caller's process as they are submitted.

    Parameters
    ----------
    shared
        The first argument of every call.
    what
        Words naming the work in errors (``tracing polygons``).
    """

    def __init__(self, shared: object, what: str) -> None:
        self.shared = shared
        self.what = what
        self.pid: int | None = None
        self._answers: dict[int, tuple] = {}
        self._sent = 0
        if not _can_fork():
            return
        from multiprocessing import Pipe

        self._folder = tempfile.TemporaryDirectory(prefix="carecircles-worker-", ignore_cleanup_errors=True)
        mine, theirs = Pipe(duplex=True)
        pid = _fork()
        if pid is None:  # calls answered here
            mine.close()
            theirs.close()
            self._folder.cleanup()
            return
        if pid == 0:  # the child: never returns
            mine.close()
            _serve(shared, theirs, Path(self._folder.name))
        theirs.close()
        self.pid, self._pipe = pid, mine

    def submit(self, func: Callable[..., object], *args: object) -> Callable[[], object]:
        """Send ``func(shared, *args)`` to the child; return a function that waits for its answer."""
        if self.pid is None:
            answer = func(self.shared, *args)
            return lambda: answer
        ticket = self._sent
        _dump((func, args), Path(self._folder.name) / f"call-{ticket}")
        self._pipe.send(ticket)
        self._sent += 1
        return lambda: self._answer(ticket)

    def _answer(self, ticket: int) -> object:
        while ticket not in self._answers:
            if self.pid is None:
                raise ForkedError(f"{self.what}: the worker was closed before answering")
            try:
                number = self._pipe.recv()
            except EOFError:
                self.close()
                raise ForkedError(f"the process {self.what} ended before it answered") from None
            self._answers[number] = _load(Path(self._folder.name) / f"answer-{number}")
        kind, sent, where = self._answers.pop(ticket)
        try:
            payload = pickle.loads(sent)
        except Exception as exc:  # pickled in the child, but does not load here
            kind, payload = "error", None
            where += f"\n(its {'error' if where else 'answer'} could not be read back: {exc!r})"
        if kind == "done":
            return payload
        _raise_back(payload, where, self.what)

    def close(self) -> None:
        """End the child (at once, answered or not), reap it and remove its files."""
        if self.pid is None:
            return
        try:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            _reap(self.pid)
        finally:
            self.pid = None
            self._pipe.close()
            self._folder.cleanup()


#: ``None`` pickled: an answer that is nothing, or that could not be sent.
_NONE = pickle.dumps(None)


def _dump(value: object, path: Path) -> None:
    with path.open("wb") as file:
        pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)


def _load(path: Path) -> Any:
    try:
        with path.open("rb") as file:
            return pickle.load(file)
    finally:
        path.unlink(missing_ok=True)


def _serve(shared: object, pipe: Connection, folder: Path) -> None:
    """Answer the calls numbered through the pipe until it closes; exit without cleanup."""
    try:
        while True:
            try:
                number = pipe.recv()
            except EOFError:
                break
            kind, where = "done", ""
            try:
                func, args = _load(folder / f"call-{number}")
                value: object = func(shared, *args)
            except Exception as exc:
                kind, value, where = "error", exc, "".join(traceback.format_exception(exc))
            try:  # the answer apart from the words: one that cannot travel still says what happened
                sent = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                kind, sent = "error", _NONE
                where += f"\n(its {'error' if where else 'answer'} could not be sent back: {exc!r})"
            del value
            _dump((kind, sent, where), folder / f"answer-{number}")
            del sent
            release_free_memory()  # what the call freed goes back to the OS before the next one
            pipe.send(number)
    finally:
        os._exit(0)

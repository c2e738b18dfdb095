"""Work in a forked child process (the map, beside the tables and report): runs at once, fails loudly."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from carecircles._forked import Forked, ForkedError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")


def _wait_for(path: Path, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def test_the_work_runs_in_another_process_while_the_caller_goes_on(tmp_path):
    asked, answer = tmp_path / "asked", tmp_path / "answer"

    def work() -> None:  # answers only if the caller, still running, asks
        answer.write_text(f"{os.getpid()} {_wait_for(asked, 10)}", encoding="utf-8")

    job = Forked(work, "a test")
    asked.touch()  # after Forked() returned: a work done inside Forked() or join() never sees it
    seconds = job.join()
    pid, saw = answer.read_text(encoding="utf-8").split()
    assert int(pid) != os.getpid() and saw == "True"
    assert 0 <= seconds < 10


def test_the_works_error_is_raised_by_join_with_where_it_happened():
    def work() -> None:
        raise KeyError("合成村12 </script>")

    job = Forked(work, "the map")
    with pytest.raises(KeyError, match="合成村12 </script>") as raised:
        job.join()
    assert any("raised while writing the map in a second process" in n for n in raised.value.__notes__)
    assert any("in work" in n for n in raised.value.__notes__)  # the child's traceback


def _refuse_to_load(words: str) -> Exception:
    raise TypeError(f"cannot load {words}")


class _UnloadableError(Exception):
    """Pickles, but does not load (whatever pickling support a library installed)."""

    def __reduce__(self) -> tuple:
        return _refuse_to_load, (str(self),)


def test_an_error_that_cannot_travel_comes_back_as_its_traceback():
    def work() -> None:
        raise _UnloadableError("1+2")

    expected = r"writing the map failed in a second process(.|\n)*_UnloadableError: 1\+2"
    with pytest.raises(ForkedError, match=expected):
        Forked(work, "the map").join()


def test_a_child_killed_by_a_signal_is_named():
    def work() -> None:
        os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does

    with pytest.raises(ForkedError, match="ended by signal 9 before it was done"):
        Forked(work, "the map").join()


def test_stop_ends_a_child_still_working(tmp_path):
    started = tmp_path / "started"

    def work() -> None:
        started.touch()
        time.sleep(60)

    job = Forked(work, "the map")
    pid = job.pid
    assert pid is not None and _wait_for(started, 10)
    begun = time.monotonic()
    job.stop()
    assert time.monotonic() - begun < 5
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_without_fork_the_work_runs_here_at_join(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    ran: list[int] = []
    job = Forked(lambda: ran.append(os.getpid()), "the map")
    assert job.pid is None and ran == []  # not yet
    job.join()
    assert ran == [os.getpid()]

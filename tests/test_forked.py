"""Work in a forked child process (the map, beside the tables and report): runs at once, fails loudly."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from carecircles._forked import Forked, ForkedError

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only"),
    pytest.mark.usefixtures("fork_beside_idle_threads"),
]


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


def _scaled(shared: list[int], factor: int, wait_for: str = "") -> list[int]:
    if wait_for:
        assert _wait_for(Path(wait_for), 10), "the caller did not go on while the worker worked"
    return [v * factor for v in shared]


def _fail(shared: object, words: str) -> None:
    raise ValueError(words)


def _die(shared: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does


def test_a_worker_answers_in_order_from_the_shared_object_while_the_caller_goes_on(tmp_path):
    from carecircles._forked import ForkedWorker

    shared = [1, 2, 3]
    worker = ForkedWorker(shared, "tracing polygons")
    try:
        assert worker.pid is not None and worker.pid != os.getpid()
        go = tmp_path / "go"
        first = worker.submit(_scaled, 2, str(go))  # waits for the caller to go on
        second = worker.submit(_scaled, 10)
        failed = worker.submit(_fail, "zone </script> 合成")
        go.touch()  # after submit() returned
        assert second() == [10, 20, 30]  # answered in order: the first is kept for its turn
        assert first() == [2, 4, 6]
        with pytest.raises(ValueError, match="zone </script> 合成") as raised:
            failed()
        assert any("raised while tracing polygons in a second process" in n for n in raised.value.__notes__)
        assert worker.submit(_scaled, 3)() == [3, 6, 9]  # still serving after an error
    finally:
        pid = worker.pid
        worker.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped


def test_a_worker_that_dies_is_named_and_one_closed_answers_nothing(tmp_path):
    from carecircles._forked import ForkedWorker

    worker = ForkedWorker(None, "tracing polygons")
    answer = worker.submit(_die)
    with pytest.raises(ForkedError, match="the process tracing polygons ended before it answered"):
        answer()
    assert worker.pid is None
    worker = ForkedWorker([1], "tracing polygons")
    answer = worker.submit(_scaled, 2)
    worker.close()
    with pytest.raises(ForkedError, match="closed before answering"):
        answer()


def test_without_fork_a_worker_answers_here(monkeypatch):
    from carecircles._forked import ForkedWorker

    monkeypatch.setattr(sys, "platform", "win32")
    worker = ForkedWorker([1, 2], "tracing polygons")
    assert worker.pid is None
    assert worker.submit(lambda shared, k: [os.getpid(), *shared, k], 3)() == [os.getpid(), 1, 2, 3]


_SAME_TRACED_APART = """
import sys
from pathlib import Path
import shapely
import carecircles.analysis as analysis
from carecircles.config import load_config

config = load_config(Path(sys.argv[1]))
inputs = analysis.load_inputs(config, processes=2)
analysis.TRACE_APART_PLACES = 10**12
here = analysis.assess(inputs, indicators=True)
workers = []
make = analysis._polygon_worker
analysis._polygon_worker = lambda cells: workers.append(make(cells)) or workers[-1]
analysis.TRACE_APART_PLACES = 0
apart = analysis.assess(inputs, indicators=True)
assert workers and workers[0] is not None and workers[0].pid is None  # forked, then closed
for a, b in ((here.areas, apart.areas), (here.catchments.polygons, apart.catchments.polygons)):
    assert len(a) > 0 and list(a.columns) == list(b.columns)
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert bool(shapely.equals_exact(a.geometry.values, b.geometry.values, 0).all())
print(len(here.areas), len(here.catchments.polygons))
"""


def test_polygons_traced_in_a_worker_are_those_traced_here(tmp_path):
    """The sample's gap, band and catchment polygons, traced in a forked worker and in-process."""
    import subprocess

    config = Path(__file__).resolve().parents[1] / "data" / "synthetic_jingyu.yml"
    done = subprocess.run(  # its own process: no other test's threads (a fork copies only one)
        [sys.executable, "-c", _SAME_TRACED_APART, str(config)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    areas, catchments = map(int, done.stdout.split())
    assert areas > 10 and catchments > 10


def _echo(shared: object, data: bytes) -> bytes:
    return data[::-1]


def test_large_calls_and_answers_never_stop_both_processes():
    """Calls written while the worker writes a large answer: through a 64 kB pipe, both would wait."""
    from carecircles._forked import ForkedWorker

    worker = ForkedWorker(None, "tracing polygons")
    try:
        data = [os.urandom(4_000_000) for _ in range(4)]
        answers = [worker.submit(_echo, d) for d in data]  # all sent before any answer is read
        assert [a() for a in answers] == [d[::-1] for d in data]
    finally:
        worker.close()


def test_beside_another_thread_nothing_forks(monkeypatch):
    """A fork copies only its own thread: with another one running, the work is done here."""
    import threading

    from carecircles import _forked
    from carecircles._forked import ForkedWorker

    monkeypatch.undo()  # the package's own check, not the fixture's
    assert _forked._can_fork.__module__ == "carecircles._forked"
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        ran: list[int] = []
        job = Forked(lambda: ran.append(os.getpid()), "the map")
        worker = ForkedWorker([1], "tracing polygons")
        assert job.pid is None and worker.pid is None
        job.join()
        assert ran == [os.getpid()]
        assert worker.submit(_scaled, 2)() == [2]
    finally:
        stop.set()
        other.join()


class _HoldsALockError(Exception):
    """An error that cannot be pickled at all (it carries a lock)."""

    def __init__(self, words: str) -> None:
        import threading

        super().__init__(words)
        self.lock = threading.Lock()


def _fail_unpicklably(shared: object) -> None:
    raise _HoldsALockError("zone 合成7镇 has no population raster")


def test_an_error_that_cannot_be_pickled_still_says_what_happened():
    from carecircles._forked import ForkedWorker

    worker = ForkedWorker(None, "tracing polygons")
    try:
        with pytest.raises(ForkedError, match="zone 合成7镇 has no population raster") as raised:
            worker.submit(_fail_unpicklably)()
        assert "could not be sent back" in str(raised.value)
        assert worker.submit(_echo, b"ab")() == b"ba"  # still serving
    finally:
        worker.close()


_ORPHAN = """
import os, signal, sys, time
from carecircles._forked import Forked, ForkedWorker
job = Forked(lambda: time.sleep(60), "the map")
worker = ForkedWorker(None, "tracing polygons")
print(job.pid, worker.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # killed: no clean-up runs
"""


def test_children_end_when_their_parent_is_killed():
    import subprocess

    done = subprocess.run([sys.executable, "-c", _ORPHAN], capture_output=True, text=True, timeout=60)
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) == 2, done.stderr
    end = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < end:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        time.sleep(0.05)
    assert not alive, f"orphaned children still running: {alive}"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"

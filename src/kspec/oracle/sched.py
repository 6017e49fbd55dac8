"""Deterministic interleaving of an implementation's threads, for tests.

`Scheduler` runs each call on a real thread, but only one at a time: a call
runs until it returns or reaches a preemption point -- the implementation
calls `scheduler.point()` there, through whatever hook it has for it (a
`preempt` callback, `cond_resched`-like). The test then decides what runs
next: start a call on an idle thread or resume a parked one. The same
choices give the same interleaving, so Hypothesis can search and shrink over
them. Preemption points must not be placed while holding a lock another
call may need (as in the kernel, where spinlock sections are not
preemptible); a call that blocks anyway is reported after `timeout` seconds.
"""
from __future__ import annotations

import threading
from typing import Any, Callable


class SchedulerError(RuntimeError):
    pass


class _Abort(BaseException):
    """Unwinds a parked thread when the scheduler is closed."""


class _Call:
    __slots__ = ("name", "run", "done", "result", "error", "thread")

    def __init__(self, name: str):
        self.name = name
        self.run = threading.Semaphore(0)
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None


class Scheduler:
    """Start calls on named threads and interleave them step by step."""

    def __init__(self, *, timeout: float = 5.0):
        self.timeout = timeout
        self._back = threading.Semaphore(0)
        self._calls: dict[str, _Call] = {}
        self._local = threading.local()
        self._closed = False
        self._broken: str | None = None  # after a timeout the hand-over is out of step

    # ---- inside the implementation -----------------------------------------------
    def point(self, *_args: Any, **_kw: Any) -> None:
        """A preemption point: park the current call and let the test choose.
        A no-op on threads the scheduler does not run."""
        call = getattr(self._local, "call", None)
        if call is None:
            return
        self._back.release()
        call.run.acquire()
        if self._closed:
            raise _Abort()

    # ---- from the test ------------------------------------------------------------
    @property
    def parked(self) -> list[str]:
        """Threads stopped at a preemption point, in start order."""
        return [n for n, c in self._calls.items() if not c.done]

    def busy(self, name: str) -> bool:
        c = self._calls.get(name)
        return c is not None and not c.done

    def start(self, name: str, fn: Callable, *args: Any, **kw: Any) -> bool:
        """Run `fn(*args, **kw)` on thread `name` until it returns (True) or
        parks at a preemption point (False)."""
        if self.busy(name):
            raise SchedulerError(f"thread `{name}` is still inside a call")
        call = _Call(name)
        self._calls[name] = call

        def body() -> None:
            self._local.call = call
            call.run.acquire()
            try:
                call.result = fn(*args, **kw)
            except _Abort:
                pass
            except BaseException as e:  # handed to the test by result()
                call.error = e
            finally:
                call.done = True
                self._back.release()
        call.thread = threading.Thread(target=body, name=f"kspec:{name}", daemon=True)
        call.thread.start()
        return self._switch(call)

    def resume(self, name: str) -> bool:
        """Let a parked thread run to its next preemption point or return."""
        call = self._calls.get(name)
        if call is None or call.done:
            raise SchedulerError(f"thread `{name}` is not parked")
        return self._switch(call)

    def _switch(self, call: _Call) -> bool:
        if self._broken:
            raise SchedulerError(f"the scheduler cannot go on after: {self._broken}")
        call.run.release()
        if not self._back.acquire(timeout=self.timeout):
            self._broken = (f"thread `{call.name}` neither returned nor reached a preemption point within "
                            f"{self.timeout} s (blocked on a lock held by a parked thread?)")
            raise SchedulerError(self._broken)
        return call.done

    def result(self, name: str) -> Any:
        """The value the finished call on `name` returned (or re-raise its exception)."""
        call = self._calls.pop(name)
        if not call.done:
            raise SchedulerError(f"thread `{name}` has not returned")
        if call.error is not None:
            raise call.error
        return call.result

    def close(self) -> None:
        """Unwind every parked thread (their calls never return)."""
        self._closed = True
        for call in list(self._calls.values()):
            if not call.done:
                call.run.release()
                self._back.acquire(timeout=self.timeout)
        self._calls.clear()

    def __enter__(self) -> "Scheduler":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

"""A dmaengine-style DMA channel in Python: the implementation under test.

The client (process context) calls `submit`, `issue_pending`,
`terminate_async` and `synchronize`. The "other CPU" is explicit, so that a
test decides when it runs: `irq()` is the controller's completion interrupt
(the first issued descriptor completes and the tasklet is scheduled) and
`tasklet_step()` runs one step of the completion tasklet (grab the completed
list, or invoke one callback), as virt-dma's vchan_complete() does.

`race_2015=True` brings back the bug that commit b36f09c3c441 ("dmaengine:
Add transfer termination synchronization support", 2015) fixed: nothing
waits for a tasklet that already grabbed completed descriptors, so a
callback can run after the client was told that the channel is quiet -- and
after it freed the memory the callback uses.

The channel reports the callbacks it invokes through `trace(event, thread=)`,
as an instrumented driver would through a tracepoint.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Descriptor:
    cookie: int
    callback: Callable[[Any], None]
    param: Any


class Channel:
    def __init__(self, *, race_2015: bool = False, trace: Callable[..., None] | None = None):
        self.race_2015 = race_2015
        self.trace = trace or (lambda *a, **k: None)
        self.lock = threading.Lock()  # virt_dma_chan.lock
        self.next_cookie = 1
        self.queued: deque[Descriptor] = deque()  # desc_submitted
        self.issued: deque[Descriptor] = deque()  # desc_issued
        self.completed: deque[Descriptor] = deque()  # desc_completed
        self.tasklet_scheduled = False
        self.grabbed: deque[Descriptor] = deque()  # the running tasklet's local list

    # ---- the client API (process context) ----------------------------------------
    def submit(self, callback: Callable[[Any], None], param: Any) -> int:
        with self.lock:
            d = Descriptor(self.next_cookie, callback, param)
            self.next_cookie += 1
            self.queued.append(d)
            return d.cookie

    def issue_pending(self) -> None:
        with self.lock:
            self.issued.extend(self.queued)
            self.queued.clear()

    def terminate_async(self) -> None:
        """Drop every descriptor; a tasklet already running keeps what it grabbed."""
        with self.lock:
            self.queued.clear()
            self.issued.clear()
            self.completed.clear()

    def synchronize(self) -> None:
        """Return once no callback runs or will run (tasklet_kill: wait while the
        tasklet is scheduled or running -- here, let the other CPU finish it)."""
        if self.race_2015:
            return  # the pre-2015 API: nothing to wait for a running callback with
        while self.tasklet_busy():
            self.tasklet_step()

    # ---- the other CPU: hardware and softirq --------------------------------------
    def irq(self) -> None:
        """The controller completes the active descriptor (vchan_cookie_complete)."""
        with self.lock:
            if not self.issued:
                return
            self.completed.append(self.issued.popleft())
            self.tasklet_scheduled = True

    def tasklet_busy(self) -> bool:
        with self.lock:
            return self.tasklet_scheduled or bool(self.grabbed)

    def tasklet_step(self) -> None:
        """One step of vchan_complete(): grab the completed list under the lock,
        or invoke the next grabbed callback without it."""
        with self.lock:
            if not self.grabbed:
                if self.tasklet_scheduled:
                    self.tasklet_scheduled = False
                    self.grabbed.extend(self.completed)
                    self.completed.clear()
                return
            d = self.grabbed.popleft()
        self.trace("callback", thread="tasklet")
        d.callback(d.param)

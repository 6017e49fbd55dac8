"""tidspbridge's DMM map objects in Python: the implementation under test.

`Dmm.map(o)`, `unmap(o)` and `begin_dma(o)` follow proc_map(),
proc_un_map() and proc_begin_dma() of drivers/staging/tidspbridge: map
objects live on a list protected by a spinlock; begin_dma looks one up under
the lock, drops the lock and walks its scatter-gather table.

`refcount_fix=False` is the original driver: an un_map on another thread can
free the object while begin_dma is walking it (a use after free that
returns 0 and corrupts nothing visibly -- which is why an oracle is needed).
`refcount_fix=True` is Ohad Ben-Cohen's fix: begin_dma holds a reference
while it works and un_map of a referenced object returns -EBUSY.

`preempt` is called where the kernel could preempt begin_dma: after the
lookup, with the lock dropped. Tests use it to run another thread there.
"""
from __future__ import annotations

import enum
import threading
from typing import Callable


class Ret(enum.IntEnum):
    OK = 0
    EBUSY = -16
    EFAULT = -14
    EEXIST = -17


class MapObject:
    def __init__(self, o: int):
        self.range = o
        self.sg = [f"page{o}.{k}" for k in range(4)]  # the scatter-gather table
        self.refcnt = 0
        self.freed = False

    def free(self) -> None:
        self.freed = True  # kfree(): the memory is gone, but nothing stops a stale pointer


class Dmm:
    def __init__(self, *, refcount_fix: bool = True, preempt: Callable[[], None] | None = None):
        self.refcount_fix = refcount_fix
        self.preempt = preempt or (lambda: None)
        self.lock = threading.Lock()  # dmm_map_lock
        self.maps: dict[int, MapObject] = {}  # dmm_map_list
        self.dma_walks = 0

    def map(self, o: int) -> Ret:
        with self.lock:
            if o in self.maps:
                return Ret.EEXIST
            self.maps[o] = MapObject(o)
            return Ret.OK

    def unmap(self, o: int) -> Ret:
        with self.lock:
            obj = self.maps.get(o)
            if obj is None:
                return Ret.EFAULT
            if self.refcount_fix and obj.refcnt > 0:
                return Ret.EBUSY
            del self.maps[o]
        obj.free()
        return Ret.OK

    def begin_dma(self, o: int) -> Ret:
        with self.lock:
            obj = self.maps.get(o)
            if obj is not None and self.refcount_fix:
                obj.refcnt += 1
        if obj is None:
            return Ret.EFAULT
        self.preempt()
        self.dma_walks += len(obj.sg)  # walks the table: a use after free if un_map freed obj
        if self.refcount_fix:
            with self.lock:
                obj.refcnt -= 1
        return Ret.OK

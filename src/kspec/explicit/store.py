"""Visited-state stores for the BFS: exact, hash-compacted, or bitstate.

* `FullStore` keeps every state (a tuple) with its parent and transition:
  exact, and traces are read off directly.
* `CompactStore` keeps a 64-bit fingerprint per state (hash compaction, as
  TLC does) plus two compact arrays of parent indices and transition ids;
  states are rebuilt by replaying transitions from the initial state. Two
  distinct states with one fingerprint would make the search skip one; the
  probability is bounded by n^2 / 2^64 and reported.
* `BitstateStore` (Spin's supertrace) keeps two bits per state in a fixed bit
  array; it can wrongly treat a new state as seen, so a search with it is
  approximate, and the estimated probability of having missed a state is
  reported. It never supports a `holds` verdict.
"""
from __future__ import annotations

import math
from array import array
from typing import Callable


class FullStore:
    kind = "full"

    def __init__(self, init: tuple):
        self.states = [init]
        self.index = {init: 0}
        self.parent = [-1]
        self.via = [-1]

    def add(self, s: tuple, parent: int, tid: int) -> int | None:
        if s in self.index:
            return None
        k = self.index[s] = len(self.states)
        self.states.append(s)
        self.parent.append(parent)
        self.via.append(tid)
        return k

    def __len__(self) -> int:
        return len(self.states)

    def state(self, idx: int) -> tuple:
        return self.states[idx]

    def bytes_per_state(self) -> float:
        return 0.0

    def caveat(self) -> str:
        return ""


class _Replaying:
    """States rebuilt from parent links by re-applying transitions."""

    parent: array
    via: array
    init: tuple
    apply: Callable[[int, tuple], tuple]

    def state(self, idx: int) -> tuple:
        tids = []
        while self.parent[idx] >= 0:
            tids.append(self.via[idx])
            idx = self.parent[idx]
        s = self.init
        for tid in reversed(tids):
            s = self.apply(tid, s)
        return s


class CompactStore(_Replaying):
    kind = "compact"

    def __init__(self, init: tuple, apply: Callable[[int, tuple], tuple]):
        self.init, self.apply = init, apply
        self.seen = {hash(init)}
        self.parent = array("q", [-1])
        self.via = array("i", [-1])

    def add(self, s: tuple, parent: int, tid: int) -> int | None:
        fp = hash(s)
        if fp in self.seen:
            return None
        self.seen.add(fp)
        self.parent.append(parent)
        self.via.append(tid)
        return len(self.parent) - 1

    def __len__(self) -> int:
        return len(self.parent)

    def collision_bound(self) -> float:
        n = len(self)
        return min(1.0, n * n / 2.0 ** 64)

    def caveat(self) -> str:
        return f"hash compaction: probability of a fingerprint collision <= {self.collision_bound():.1e}"


class BitstateStore(_Replaying):
    kind = "bitstate"

    def __init__(self, init: tuple, apply: Callable[[int, tuple], tuple], bits: int = 27):
        self.init, self.apply = init, apply
        self.m = 1 << bits
        self.mask = self.m - 1
        self.bits = bytearray(self.m >> 3)
        self.parent = array("q", [-1])
        self.via = array("i", [-1])
        self.omission = 0.0  # expected number of states wrongly treated as seen
        self._set(hash(init))

    def _positions(self, h: int) -> tuple[int, int]:
        h &= 0xFFFFFFFFFFFFFFFF
        return h & self.mask, ((h >> 32) ^ (h * 0x9E3779B97F4A7C15 >> 40)) & self.mask

    def _set(self, h: int) -> bool:
        """Set the state's bits; True when both were already set."""
        a, b = self._positions(h)
        bits = self.bits
        old = (bits[a >> 3] >> (a & 7)) & 1 and (bits[b >> 3] >> (b & 7)) & 1
        bits[a >> 3] |= 1 << (a & 7)
        bits[b >> 3] |= 1 << (b & 7)
        return bool(old)

    def add(self, s: tuple, parent: int, tid: int) -> int | None:
        if self._set(hash(s)):
            return None
        n = len(self.parent)
        self.omission += (1.0 - math.exp(-2.0 * n / self.m)) ** 2
        self.parent.append(parent)
        self.via.append(tid)
        return n

    def __len__(self) -> int:
        return len(self.parent)

    def caveat(self) -> str:
        head = f"bitstate, 2^{self.m.bit_length() - 1} bits"
        if self.omission < 0.5:
            return f"{head}: probability of having missed a state <= {self.omission:.1e}"
        return f"{head}: about {self.omission:.0f} states probably missed (use more bits)"


def make_store(kind: str, init: tuple, apply: Callable[[int, tuple], tuple], bits: int = 27):
    if kind == "full":
        return FullStore(init)
    if kind == "compact":
        return CompactStore(init, apply)
    if kind == "bitstate":
        return BitstateStore(init, apply, bits)
    raise ValueError(kind)

"""Visited-state stores for the BFS: exact, hash-compacted, or bitstate.

* `FullStore` keeps every state (a tuple) with its parent and transition:
  exact, and traces are read off directly.
* `CompactStore` keeps a 64-bit fingerprint per state (hash compaction, as
  TLC does) in a `FingerprintTable` (open addressing over 8-byte slots in one
  anonymous mmap, no Python object per state), plus parent indices and
  transition ids in arrays of the smallest sufficient width; states are
  rebuilt by replaying transitions from the initial state. The fingerprint
  is CPython's keyed 64-bit `hash` (SipHash, a random key per process) of
  the state's packed bytes (`StateCodec.key`), so two distinct states share
  one with probability about 2^-64 per pair: the chance that the search
  skipped a state is at most n^2 / 2^64, and is reported.
* `BitstateStore` (Spin's supertrace) keeps two bits per state in a fixed bit
  array; it can wrongly treat a new state as seen, so a search with it is
  approximate, and the estimated probability of having missed a state is
  reported. It never supports a `holds` verdict.

With the compact and bitstate stores `explore` also keeps its BFS frontier
packed (`PackedLevel` of `StateCodec` records: one fixed-width record per
state, 1 byte per slot on typical models) instead of as tuples, which would
otherwise dominate their memory.
"""
from __future__ import annotations

import marshal
import math
import mmap
import struct
from array import array
from typing import Callable, Iterable, Iterator

# ---- packed states -------------------------------------------------------------

_WIDTHS = (("b", -(1 << 7), (1 << 7) - 1), ("B", 0, (1 << 8) - 1),
           ("h", -(1 << 15), (1 << 15) - 1), ("H", 0, (1 << 16) - 1),
           ("i", -(1 << 31), (1 << 31) - 1), ("I", 0, (1 << 32) - 1),
           ("q", -(1 << 63), (1 << 63) - 1), ("Q", 0, (1 << 64) - 1))


def slot_code(lo: int, hi: int) -> str | None:
    """The narrowest struct code holding every integer in lo..hi, or None
    (wider than 64 bits)."""
    return next((c for c, a, b in _WIDTHS if a <= lo and hi <= b), None)


def slot_range(sort) -> tuple[int, int]:
    from kspec.ir import nodes as N
    if isinstance(sort, N.IntSort):
        return sort.lo, sort.hi
    if isinstance(sort, N.SetSort):
        return 0, (1 << sort.size) - 1
    return 0, 1  # BoolSort


class StateCodec:
    """States (tuples of ints and bools) as fixed-width records: one struct
    code per slot, the narrowest one holding the slot's declared range.

    `key(s)` is the canonical byte string of a state, the same for equal
    states (True and 1 alike): the record when every value fits its code,
    otherwise (a value outside its declared range, reached by an erroneous
    step, or a set wider than 64 bits) a marshal of the values, never of the
    record's length. Fingerprints are `hash(key)`. `unpack`/`iter_unpack`
    turn records back into tuples of ints."""

    def __init__(self, codes: Iterable[str | None]):
        codes = list(codes)
        self.n = len(codes)
        self.fixed = bool(codes) and all(c is not None for c in codes)
        fmt = "<" + _run_length(codes) if self.fixed else "<"
        self.struct = struct.Struct(fmt)
        self.size = self.struct.size
        self.pack = self.struct.pack
        self.unpack = self.struct.unpack
        self.iter_unpack = self.struct.iter_unpack
        self.placeholder = bytes(self.size)
        self.format = fmt

    @classmethod
    def for_slots(cls, slots) -> "StateCodec":
        """From the model's slot sorts (`kspec.ir.nodes.Slot`)."""
        return cls(slot_code(*slot_range(s.sort)) for s in slots)

    @classmethod
    def for_state(cls, s: tuple) -> "StateCodec":
        """Without the model: 64-bit signed fields (any in-range int fits)."""
        return cls("q" * len(s))

    def key(self, s: tuple) -> bytes:
        if self.fixed:
            try:
                return self.pack(*s)
            except (struct.error, TypeError):
                pass
        return self.wide_key(s)

    def wide_key(self, s: tuple) -> bytes:
        """The key of a state whose values do not all fit their codes."""
        t = tuple(map(int, s))
        if self.fixed:
            try:
                return self.pack(*t)
            except struct.error:
                pass
        b = marshal.dumps(t)
        return b + b"\0" if len(b) == self.size else b  # never the length of a record

    def packable(self, b: bytes) -> bool:
        """Whether key `b` is a record (else the state goes to the overflow)."""
        return self.fixed and len(b) == self.size


def _run_length(codes: list) -> str:
    out, k = [], 0
    while k < len(codes):
        j = k
        while j < len(codes) and codes[j] == codes[k]:
            j += 1
        out.append(f"{j - k}{codes[k]}" if j - k > 1 else codes[k])
        k = j
    return "".join(out)


def fingerprint(key: bytes) -> int:
    """The nonzero 64-bit fingerprint of a state key (0 marks empty slots)."""
    return hash(key) or 1


# ---- fingerprint table ---------------------------------------------------------


class FingerprintTable:
    """A set of nonzero 64-bit ints in one flat table of 8-byte slots: open
    addressing, home slot `h & mask`, linear probing upwards without
    wrapping around (`SLACK` spare slots after the last home slot, extended
    when an entry lands on the final one, which is therefore always empty and
    stops every probe). The table doubles, in place, when more than
    `max_load` of the home slots are used, so it takes 10.7 to 21.3 bytes per
    entry (at 0.75). It lives in an anonymous private mmap (`tab` is a 'q'
    memoryview of it, replaced when the mapping grows): growing is an
    mremap, and the heap is never left with holes the size of old tables.
    `explore` inlines `add`; keep the two in step."""

    SLACK = 64

    def __init__(self, bits: int = 17, max_load: float = 0.75):
        self.max_load = max_load
        self.cap = 1 << bits
        self.mask = self.cap - 1
        self._mm = mmap.mmap(-1, 8 * (self.cap + self.SLACK), flags=mmap.MAP_PRIVATE)  # zero-filled
        self.tab = memoryview(self._mm).cast("q")
        self.last = len(self.tab) - 1
        self.limit = int(self.cap * max_load)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def __contains__(self, h: int) -> bool:
        tab, i = self.tab, h & self.mask
        v = tab[i]
        while v:
            if v == h:
                return True
            i += 1
            v = tab[i]
        return False

    def add(self, h: int) -> bool:
        """Insert fingerprint h (nonzero); False when it was already there."""
        if not h:
            raise ValueError("0 is the empty slot; map fingerprints with fingerprint()")
        tab, i = self.tab, h & self.mask
        v = tab[i]
        while v:
            if v == h:
                return False
            i += 1
            v = tab[i]
        tab[i] = h
        self.n += 1
        self.inserted(i)
        return True

    def inserted(self, i: int) -> None:
        """After a new entry went to slot i (and `n` counts it). May replace
        `tab`, `mask`, `last` and `limit`."""
        if i >= self.last:
            self._resize(len(self.tab) + self.SLACK)
        if self.n > self.limit:
            self.grow()

    def _resize(self, slots: int) -> None:
        """Make the table `slots` long (new slots are zero)."""
        self.tab.release()
        self._mm.resize(8 * slots)
        self.tab = memoryview(self._mm).cast("q")
        self.last = slots - 1

    def grow(self) -> None:
        """Double the home slots in place. Entries of the old spare slots are
        set aside; then every old home slot is scanned upwards and its entry
        moved to the first free slot from its new home (h & new mask): that
        is at or below the entry's old slot when the home keeps its value,
        else in the new upper half, so no entry is ever moved twice and every
        entry has only occupied slots between its home and itself."""
        old_cap = self.cap
        tab = self.tab
        spare = list(filter(None, tab[old_cap:]))
        tab[old_cap:] = array("q", [0]) * (len(tab) - old_cap)
        self.cap *= 2
        self.mask = self.cap - 1
        self.limit = int(self.cap * self.max_load)
        self._resize(self.cap + self.SLACK)
        step = min(old_cap, 4096)
        zeros = array("q", [0]) * step
        for base in range(0, old_cap, step):
            # a chunk at a time: its entries taken out at once (the argument
            # above holds: the chunk's later entries are re-inserted later)
            chunk = list(filter(None, self.tab[base:base + step]))
            self.tab[base:base + step] = zeros
            self._reinsert(chunk)
        self._reinsert(spare)

    def _reinsert(self, values) -> None:
        """Put each entry at the first free slot from its home (growing the
        spare slots at the top when needed)."""
        tab, last, mask = self.tab, self.last, self.mask
        for v in values:
            i = v & mask
            while tab[i]:
                i += 1
            tab[i] = v
            if i >= last:
                self._resize(len(tab) + self.SLACK)
                tab, last = self.tab, self.last

    def bytes_used(self) -> int:
        return self.tab.itemsize * len(self.tab)


# ---- parent links --------------------------------------------------------------


def _via_code(transitions: int) -> str:
    return "b" if transitions <= 127 else "h" if transitions <= 32767 else "i"


PARENT_WIDE_AT = (1 << 31) - 1  # 'i' parents hold indices below this


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

    def __contains__(self, s: tuple) -> bool:
        return s in self.index

    def __len__(self) -> int:
        return len(self.states)

    def state(self, idx: int) -> tuple:
        return self.states[idx]

    def bytes_per_state(self) -> float:
        return 0.0

    def caveat(self) -> str:
        return ""


def replay_to(idx: int, parent, via, init: tuple, apply: Callable[[int, tuple], tuple]) -> tuple:
    """State idx rebuilt by following parent links back to the initial state
    and re-applying the transitions that led from it."""
    tids = []
    while parent[idx] >= 0:
        tids.append(via[idx])
        idx = parent[idx]
    s = init
    for tid in reversed(tids):
        s = apply(tid, s)
    return s


class _Replaying:
    """States rebuilt from parent links by re-applying transitions. Parent
    indices are 32-bit ('i') until a state index reaches 2^31 - 1, then 64-bit
    (`widen_parents`, which `add` and `explore` call in time); transition ids
    take 1, 2 or 4 bytes by the model's transition count."""

    parent: array
    via: array
    init: tuple
    apply: Callable[[int, tuple], tuple]
    codec: StateCodec

    def _links(self, transitions: int | None) -> None:
        self.parent = array("i", [-1])
        self.via = array(_via_code(transitions) if transitions is not None else "i", [-1])

    def widen_parents(self) -> None:
        if self.parent.typecode != "q":
            self.parent = array("q", self.parent)

    def _link(self, parent: int, tid: int) -> int:
        if parent >= PARENT_WIDE_AT:
            self.widen_parents()
        self.parent.append(parent)
        self.via.append(tid)
        return len(self.parent) - 1

    def state(self, idx: int) -> tuple:
        return replay_to(idx, self.parent, self.via, self.init, self.apply)

    def fingerprint(self, s: tuple) -> int:
        return fingerprint(self.codec.key(s))

    def __len__(self) -> int:
        return len(self.parent)

    def links_bytes(self) -> int:
        return self.parent.itemsize * len(self.parent) + self.via.itemsize * len(self.via)


class CompactStore(_Replaying):
    kind = "compact"

    def __init__(self, init: tuple, apply: Callable[[int, tuple], tuple], codec: StateCodec | None = None,
                 transitions: int | None = None):
        self.init, self.apply = init, apply
        self.codec = codec or StateCodec.for_state(init)
        self.table = FingerprintTable()
        self.table.add(self.fingerprint(init))
        self._links(transitions)

    def add(self, s: tuple, parent: int, tid: int) -> int | None:
        return self.add_fp(self.fingerprint(s), parent, tid)

    def add_fp(self, h: int, parent: int, tid: int) -> int | None:
        """Record a state by its fingerprint (`fingerprint(codec.key(s))`)."""
        if not self.table.add(h):
            return None
        return self._link(parent, tid)

    def __contains__(self, s: tuple) -> bool:
        return self.fingerprint(s) in self.table

    def collision_bound(self) -> float:
        n = len(self)
        return min(1.0, n * n / 2.0 ** 64)

    def bytes_per_state(self) -> float:
        return (self.table.bytes_used() + self.links_bytes()) / len(self)

    def caveat(self) -> str:
        return f"hash compaction: probability of a fingerprint collision <= {self.collision_bound():.1e}"


class BitstateStore(_Replaying):
    kind = "bitstate"

    def __init__(self, init: tuple, apply: Callable[[int, tuple], tuple], bits: int = 27,
                 codec: StateCodec | None = None, transitions: int | None = None):
        self.init, self.apply = init, apply
        self.codec = codec or StateCodec.for_state(init)
        self.m = 1 << bits
        self.mask = self.m - 1
        self.bits = bytearray(self.m >> 3)
        self._links(transitions)
        self.omission = 0.0  # expected number of states wrongly treated as seen
        self._set(self.fingerprint(init))

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
        return self.add_fp(self.fingerprint(s), parent, tid)

    def add_fp(self, h: int, parent: int, tid: int) -> int | None:
        if self._set(h):
            return None
        n = len(self.parent)
        self.omission += (1.0 - math.exp(-2.0 * n / self.m)) ** 2
        return self._link(parent, tid)

    def __contains__(self, s: tuple) -> bool:
        a, b = self._positions(self.fingerprint(s))
        return bool((self.bits[a >> 3] >> (a & 7)) & 1 and (self.bits[b >> 3] >> (b & 7)) & 1)

    def bytes_per_state(self) -> float:
        return (len(self.bits) + self.links_bytes()) / len(self)

    def caveat(self) -> str:
        head = f"bitstate, 2^{self.m.bit_length() - 1} bits"
        if self.omission < 0.5:
            return f"{head}: probability of having missed a state <= {self.omission:.1e}"
        return f"{head}: about {self.omission:.0f} states probably missed (use more bits)"


def make_store(kind: str, init: tuple, apply: Callable[[int, tuple], tuple], bits: int = 27, model=None):
    """A store holding the initial state; with `model` (a `kspec.ir.nodes.Model`)
    the compact and bitstate stores size their records and links by it."""
    if kind == "full":
        return FullStore(init)
    codec = StateCodec.for_slots(model.slots) if model is not None else None
    transitions = len(model.transitions) if model is not None else None
    if kind == "compact":
        return CompactStore(init, apply, codec, transitions)
    if kind == "bitstate":
        return BitstateStore(init, apply, bits, codec, transitions)
    raise ValueError(kind)


# ---- packed BFS levels ---------------------------------------------------------


class PackedLevel:
    """One BFS level of a compact or bitstate search: the states' records
    back to back in bytearrays of about `CHUNK` bytes (`chunks`, the last
    one being filled is `buf`), their indices implicit (consecutive from
    `start`). Iterating a level releases each chunk once unpacked, so the
    level being expanded shrinks while the next one grows, and the allocator
    re-uses the chunks. A state whose key is no record
    (`StateCodec.packable`) leaves a placeholder record and its tuple in
    `overflow`."""

    CHUNK = 1 << 16

    __slots__ = ("codec", "start", "chunks", "buf", "chunk_bytes", "overflow", "_len")

    def __init__(self, codec: StateCodec, start: int):
        self.codec, self.start = codec, start
        self.chunk_bytes = max(1, self.CHUNK // codec.size) * codec.size if codec.size else 1
        self.buf = bytearray()
        self.chunks = [self.buf]
        self.overflow: dict[int, tuple] = {}
        self._len = -1  # set when iteration starts

    def new_chunk(self) -> bytearray:
        """Start a new chunk (explore calls this when `buf` is full)."""
        self.buf = bytearray()
        self.chunks.append(self.buf)
        return self.buf

    def __len__(self) -> int:
        if self._len >= 0:
            return self._len
        if not self.codec.size:
            return len(self.overflow)
        return sum(map(len, self.chunks)) // self.codec.size

    def append_key(self, idx: int, key: bytes, s: tuple) -> None:
        """Add state idx (the next index) with its key; explore inlines the
        common case (`buf += key` for a record)."""
        if self.codec.packable(key):
            self.buf += key
        else:
            self.buf += self.codec.placeholder
            self.overflow[idx] = tuple(s)
        if len(self.buf) >= self.chunk_bytes:
            self.new_chunk()

    def __iter__(self) -> Iterator[tuple[int, tuple]]:
        """(index, state) in order, once: the chunks are released as they go."""
        n = self._len = len(self)
        if not self.codec.size:  # no record format at all: every state overflows
            return iter(sorted(self.overflow.items()))
        chunks, self.chunks, self.buf = self.chunks, [], bytearray()
        chunks.reverse()
        it = zip(range(self.start, self.start + n), _drain(chunks, self.codec.iter_unpack))
        if not self.overflow:
            return it
        ovf = self.overflow
        return ((i, ovf.get(i, s)) for i, s in it)


def _drain(chunks: list[bytearray], iter_unpack) -> Iterator[tuple]:
    while chunks:
        yield from iter_unpack(chunks.pop())  # the chunk goes with the next pop

"""The compact stores' parts: the fingerprint table (open addressing in one
array), packed state records, parent/transition arrays, and packed BFS levels."""
from __future__ import annotations

import struct
from array import array

import pytest
from hypothesis import given, settings, strategies as st

from kspec.explicit import store as S
from kspec.explicit.store import (BitstateStore, CompactStore, FingerprintTable, PackedLevel, StateCodec,
                                  fingerprint, slot_code)
from kspec.ir import nodes as N

I64 = st.integers(-(1 << 63), (1 << 63) - 1).filter(bool)


def table_ok(t: FingerprintTable) -> None:
    """Every entry is reachable from its home slot over occupied slots only,
    the final slot is empty, and the count is right."""
    tab = t.tab
    assert len(tab) == t.last + 1 and tab[t.last] == 0
    assert len(tab) >= t.cap + 1
    n = 0
    for p, v in enumerate(tab):
        if v:
            n += 1
            home = v & t.mask
            assert home <= p and all(tab[k] for k in range(home, p)), (v, home, p)
    assert n == t.n == len(t)
    assert t.n <= t.limit


# ---- fingerprint table -------------------------------------------------------


def test_table_insert_contains_and_growth():
    t = FingerprintTable(bits=4)
    xs = list(range(1, 400)) + [-k for k in range(1, 400)] + [(1 << 62) + k for k in range(50)]
    for x in xs:
        assert t.add(x)
        assert x in t
    for x in xs:
        assert not t.add(x)
    assert len(t) == len(xs) and t.cap >= len(xs) / t.max_load
    assert all(x in t for x in xs)
    assert not any(x in t for x in (400, -400, 12345678901234, (1 << 62) + 50))
    table_ok(t)


def test_table_probe_collisions_and_the_spare_slots():
    """Many fingerprints with one home slot (and the last home slot) make
    clusters running past the home slots into the spare ones, which grow."""
    t = FingerprintTable(bits=7, max_load=0.99)
    same_home = [(k << 7) | 5 for k in range(1, 30)]
    top = [(k << 7) | 127 for k in range(1, 90)]  # home = the last home slot
    for x in same_home + top:
        assert t.add(x)
    assert t.cap == 128  # no growth: the cluster at the top runs through the spare slots
    assert len(t.tab) > t.cap + t.SLACK
    table_ok(t)
    assert all(x in t for x in same_home + top)
    assert not any(x + (1 << 7) * 1000 in t for x in same_home + top)
    t2 = FingerprintTable(bits=3)
    for x in top:  # and through growth
        assert t2.add(x)
        table_ok(t2)
    assert all(x in t2 for x in top)


def test_table_rejects_the_empty_marker_and_fingerprints_avoid_it():
    t = FingerprintTable()
    with pytest.raises(ValueError):
        t.add(0)

    class Zero(bytes):
        def __hash__(self) -> int:
            return 0
    assert fingerprint(Zero(b"abc")) == 1
    assert fingerprint(b"abc") == hash(b"abc")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(I64, st.integers(1, 64), st.integers(1, 1 << 12).map(lambda k: k << 20)), max_size=600),
       st.integers(1, 8))
def test_table_behaves_as_a_set(xs, bits):
    t = FingerprintTable(bits=bits)
    model: set[int] = set()
    for x in xs:
        assert t.add(x) == (x not in model)
        model.add(x)
    table_ok(t)
    assert len(t) == len(model)
    assert all(x in t for x in model)
    assert not any(y in t for y in (x ^ (1 << 40) for x in model) if y and y not in model)


# ---- packed records --------------------------------------------------------


def test_slot_codes_are_the_narrowest():
    assert slot_code(0, 1) == "b" and slot_code(-1, 127) == "b" and slot_code(0, 255) == "B"
    assert slot_code(-1, 200) == "h" and slot_code(0, 65535) == "H" and slot_code(-40000, 0) == "i"
    assert slot_code(0, (1 << 60) - 1) == "q" and slot_code(0, (1 << 64) - 1) == "Q"
    assert slot_code(-1, (1 << 64) - 1) is None and slot_code(0, 1 << 64) is None


sorts = st.one_of(
    st.just(N.BOOL),
    st.builds(lambda lo, w: N.IntSort(lo, lo + w), st.integers(-(1 << 40), 1 << 40), st.integers(0, 1 << 20)),
    st.builds(lambda lo, w: N.IntSort(lo, lo + w), st.integers(-300, 300), st.integers(0, 300)),
    st.builds(N.SetSort, st.integers(1, 60)),
)


def _value(sort, draw):
    if isinstance(sort, N.BoolSort):
        return draw(st.booleans() | st.integers(0, 1))
    lo, hi = S.slot_range(sort)
    return draw(st.integers(lo, hi) | st.integers(lo - 1000, hi + 1000))  # out of range too


@st.composite
def states(draw):
    slot_sorts = draw(st.lists(sorts, min_size=0, max_size=12))
    xs = [tuple(_value(so, draw) for so in slot_sorts) for _ in range(draw(st.integers(1, 12)))]
    return slot_sorts, xs


@settings(max_examples=200, deadline=None)
@given(states())
def test_records_round_trip_and_keys_are_canonical(data):
    slot_sorts, xs = data
    codec = StateCodec.for_slots([N.Slot(f"x{k}", so, "g") for k, so in enumerate(slot_sorts)])
    assert codec.fixed == bool(slot_sorts)  # no slots: the one state overflows
    keys = [codec.key(x) for x in xs]
    for x, k in zip(xs, keys):
        assert codec.key(tuple(int(v) for v in x)) == k  # True and 1 alike
        if codec.packable(k):
            assert codec.unpack(k) == x
    for (x, k), (y, m) in zip(zip(xs, keys), zip(xs[1:], keys[1:])):
        assert (k == m) == (x == y)  # one key per state
    level = PackedLevel(codec, 7)
    for i, (x, k) in enumerate(zip(xs, keys)):
        level.append_key(7 + i, k, x)
    assert len(level) == len(xs)
    assert list(level) == list(enumerate(xs, 7))


def test_wide_states_overflow_the_records():
    codec = StateCodec("bb")
    assert codec.format == "<2b" and codec.size == 2
    assert codec.key((1, -1)) == struct.pack("<2b", 1, -1)
    wide = codec.key((1, 300))
    assert not codec.packable(wide) and codec.key((True, 300)) == wide
    assert codec.key((1, 299)) != wide
    none = StateCodec([None, "b"])  # a slot no record can hold: every state overflows
    assert not none.fixed and not none.packable(none.key((1, 2)))
    assert none.key((1 << 70, 2)) != none.key((1 << 70, 3))
    for c in (codec, none):
        level = PackedLevel(c, 0)
        for i, x in enumerate([(1, 2), (1, 300), (3, 4), (-5, 1000)]):
            level.append_key(i, c.key(x), x)
        assert list(level) == list(enumerate([(1, 2), (1, 300), (3, 4), (-5, 1000)]))
    assert list(PackedLevel(codec, 3)) == []


def test_codec_formats_run_length():
    slots = [N.Slot("a", N.BOOL, "g"), N.Slot("b", N.BOOL, "g"), N.Slot("c", N.IntSort(0, 200), "g"),
             N.Slot("d", N.SetSort(12), "g"), N.Slot("e", N.IntSort(-1, 3), "g")]
    assert StateCodec.for_slots(slots).format == "<2bBhb"


# ---- the stores ----------------------------------------------------------------


def _apply(tid, s):
    return (s[0] + tid,) + s[1:]


@pytest.mark.parametrize("kind", ["compact", "bitstate"])
def test_replaying_stores_links_and_widths(kind):
    init = (0, 1)
    st_ = CompactStore(init, _apply, StateCodec("bb"), 100) if kind == "compact" else \
        BitstateStore(init, _apply, 20, StateCodec("bb"), 100)
    assert st_.parent.typecode == "i" and st_.via.typecode == "b"
    assert st_.add((1, 1), 0, 1) == 1
    assert st_.add((1, 1), 0, 1) is None and (1, 1) in st_ and (2, 1) not in st_
    assert st_.add((3, 1), 1, 2) == 2
    assert st_.state(2) == (3, 1)
    st_.widen_parents()
    assert st_.parent.typecode == "q" and list(st_.parent) == [-1, 0, 1]
    assert st_.add((4, 1), 2, 1) == 3 and st_.state(3) == (4, 1)
    wide = CompactStore(init, _apply, None, 40000)
    assert wide.via.typecode == "i" and CompactStore(init, _apply, None, 300).via.typecode == "h"
    assert st_.bytes_per_state() > 0


def test_parents_widen_before_32_bits(monkeypatch):
    monkeypatch.setattr(S, "PARENT_WIDE_AT", 2)
    c = CompactStore((0, 0), _apply, StateCodec("bb"), 10)
    c.add((1, 0), 0, 1)
    assert c.parent.typecode == "i"
    c.add((2, 0), 1, 1)
    c.add((3, 0), 2, 1)  # parent 2 >= PARENT_WIDE_AT
    assert c.parent.typecode == "q" and c.state(3) == (3, 0)


def test_compact_store_memory_is_a_few_bytes_per_state():
    c = CompactStore((0, 0, 0), _apply, StateCodec("bbb"), 10)
    for k in range(1, 200_000):
        c.add((k & 127, (k >> 7) & 127, k >> 14), k - 1, 1)
    assert len(c) == 200_000 and len(c.table) == 200_000
    assert c.bytes_per_state() < 8 / 0.375 + 5 + 1  # table at >= 3/8 load, 4 + 1 bytes of links
    assert isinstance(c.parent, array)


@pytest.mark.parametrize("chunk", [1, 5, 1 << 16])
def test_levels_span_chunks_and_release_them(monkeypatch, chunk):
    monkeypatch.setattr(PackedLevel, "CHUNK", chunk)
    codec = StateCodec("bb")
    xs = [(k % 100, -k % 50) for k in range(300)] + [(1, 999)] + [(k, k) for k in range(20)]
    level = PackedLevel(codec, 10)
    for i, x in enumerate(xs):
        level.append_key(10 + i, codec.key(x), x)
    assert len(level) == len(xs)
    assert len(level.chunks) >= len(xs) * codec.size // max(chunk, codec.size) - 1
    it = iter(level)
    assert next(it) == (10, xs[0])
    assert len(level) == len(xs) and level.chunks == []  # taken over by the iteration
    assert list(it) == list(enumerate(xs, 10))[1:]

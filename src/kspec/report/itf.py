"""Traces <-> ITF (Informal Trace Format, `.itf.json`), as read by the
Apalache/Quint tools: `vars`, `states`, integers as {"#bigint": "..."}, sets
as {"#set": [...]}, maps as {"#map": [[k, v], ...]}. Each kspec variable
becomes one ITF variable: maps over finite sorts are grouped back from their
slots; process counters, lock owners and object lifetimes are included as
`pc`, `lock`, `alive` and `refs` maps. `#meta` records the actions taken."""
from __future__ import annotations

import json
import re

from kspec.ir import nodes as N
from kspec.report.trace import Trace, show_value, step_name


def _itf_value(slot: N.Slot, v: int):
    sort = slot.sort
    if isinstance(sort, N.BoolSort):
        return bool(v)
    if isinstance(sort, N.SetSort):
        items = []
        for k in range(sort.size):
            if (v >> k) & 1:
                items.append(sort.names[k] if sort.names else {"#bigint": str(sort.lo + k)})
        return {"#set": items}
    if sort.names is not None:
        return show_value(slot, v)
    return {"#bigint": str(int(v))}


_KEY = re.compile(r"^(?P<base>[^\[]+)\[(?P<key>[^\]]+)\](?P<rest>.*)$")


def _group(model: N.Model, state: tuple) -> dict:
    out: dict = {}
    for i, sl in enumerate(model.slots):
        val = _itf_value(sl, state[i])
        m = _KEY.match(sl.name)
        if m and not m.group("rest"):
            key = m.group("key")
            entry = out.setdefault(m.group("base"), {"#map": []})
            if isinstance(entry, dict) and "#map" in entry:
                k = {"#bigint": key} if key.lstrip("-").isdigit() else key
                entry["#map"].append([k, val])
                continue
        out[sl.name] = val
    return out


def trace_to_itf(trace: Trace) -> dict:
    model = trace.model
    states = []
    for k, st in enumerate(trace.steps):
        entry = {"#meta": {"index": k, "action": step_name(model, st) if k else "init"}}
        entry.update(_group(model, st.state))
        states.append(entry)
    names = sorted({n for s in states for n in s if n != "#meta"})
    return {"#meta": {"format": "ITF", "source": model.file, "spec": model.spec_name, "variant": model.variant,
                      "description": trace.title, "generated_by": "kspec"},
            "vars": names, "states": states}


def dump_itf(trace: Trace) -> str:
    return json.dumps(trace_to_itf(trace), indent=1)

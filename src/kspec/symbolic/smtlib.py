"""Proof obligations -> standalone SMT-LIB2 files (certificates), and back.

Each obligation (a list of Z3 assertions and the expected answer) becomes one
script: `set-logic ALL`, `set-info :status`, the declarations, the asserts and
`check-sat`. Only standard SMT-LIB theories occur (core, Ints, fixed-size
bit-vectors); `recheck_cvc5` re-solves a script with cvc5 when the optional
`cvc5` package is installed.
"""
from __future__ import annotations

import os
import re

import z3


def to_smt2(assertions: list, expect: str, comment: str = "") -> str:
    s = z3.Solver()
    s.add(*assertions)
    body = s.to_smt2()
    body = re.sub(r"^\(set-info :status \w+\)\n", "", body, flags=re.M)
    head = [f"; {ln}" for ln in comment.splitlines()] + ["(set-logic ALL)", f"(set-info :status {expect})"]
    return "\n".join(head) + "\n" + body


def write_obligations(directory: str, stem: str, obligations) -> list[str]:
    os.makedirs(directory, exist_ok=True)
    paths = []
    for ob in obligations:
        path = os.path.join(directory, f"{stem}.{ob.name}.smt2")
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_smt2(ob.assertions, ob.expect, f"kspec proof obligation {stem}.{ob.name}; "
                            f"expected: {ob.expect}"))
        paths.append(path)
    return paths


def expected_status(text: str) -> str | None:
    m = re.search(r"\(set-info :status (\w+)\)", text)
    return m.group(1) if m else None


def recheck_cvc5(text: str) -> str:
    """cvc5's answer (sat / unsat / unknown) to an SMT-LIB2 script."""
    import cvc5  # optional extra: pip install 'kspec[cvc5]'

    solver = cvc5.Solver()
    solver.setOption("produce-models", "false")
    sm = cvc5.SymbolManager(solver)
    parser = cvc5.InputParser(solver, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "kspec")
    answer = "unknown"
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            break
        out = cmd.invoke(solver, sm)
        if out.strip() in ("sat", "unsat", "unknown"):
            answer = out.strip()
    return answer

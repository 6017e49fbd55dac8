"""Text -> lark parse tree, with parse errors turned into KS0xxx diagnostics.

The LALR parser is built once per process from the grammar shipped as
`kspec.grammar/kspec.lark`. Doc comments (`///`) are collected through a lexer
callback and returned beside the tree, keyed by line."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, Span


@dataclass(slots=True)
class ParseResult:
    tree: Tree | None
    docs: dict[int, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def grammar_text() -> str:
    return resources.files("kspec.grammar").joinpath("kspec.lark").read_text(encoding="utf-8")


_DOCS: dict[int, str] = {}


def _collect_doc(token: Token) -> Token:
    _DOCS[token.line] = token.value[3:].removeprefix(" ").rstrip()
    return token


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", propagate_positions=True,
                maybe_placeholders=True, lexer_callbacks={"DOC": _collect_doc}, cache=True)


# Words for the terminals a parse error may list as expected.
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "LABEL": "a step label (`NAME:`)", "TAG": "a tag (`@variant`)",
    "$END": "end of file", "CMPOP": "a comparison", "ADDOP": "`+` or `-`", "MULOP": "`*`, `/`, `%` or `&`",
}


def _describe(terminal: str, parser: Lark) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    try:
        pattern = parser.get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return terminal.lower()


def _expected_words(expected: set[str], parser: Lark) -> str:
    words = sorted({_describe(t, parser) for t in expected})
    if len(words) > 8:
        words = words[:8] + ["..."]
    return ", ".join(words)


def _hint_for(token_value: str, expected: set[str]) -> str | None:
    if token_value == "=" and ("__ANON" not in "".join(expected)):
        return "use `:=` to assign and `==` to compare"
    if "SEMICOLON" in expected:
        return "a statement ends with `;`"
    if "LABEL" in expected and token_value not in ("}",):
        return "statements of a process belong to a labelled step: `L1: stmt; ...`"
    return None


def _error_to_diagnostic(err: UnexpectedInput, text: str, file: str, parser: Lark) -> Diagnostic:
    if isinstance(err, UnexpectedToken) and err.token.type == "$END" or isinstance(err, UnexpectedEOF):
        lines = text.splitlines() or [""]
        span = Span(file, len(lines), len(lines[-1]) + 1)
        exp = getattr(err, "expected", set()) or set()
        return D.diag(D.SYNTAX_UNEXPECTED_EOF, f"unexpected end of file; expected {_expected_words(set(exp), parser)}",
                      span, hint="is a `}` or `;` missing?")
    if isinstance(err, UnexpectedToken):
        tok = err.token
        span = Span(file, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)
        expected = set(err.expected)
        if "=" == tok.value and {"ASSIGN", "CMPOP"} & expected or tok.value == "=":
            hint = "use `:=` to assign and `==` to compare"
        else:
            hint = _hint_for(tok.value, expected)
        return D.diag(D.SYNTAX_UNEXPECTED_TOKEN,
                      f"unexpected `{tok.value}`; expected {_expected_words(expected, parser)}", span, hint=hint)
    assert isinstance(err, UnexpectedCharacters)
    span = Span(file, err.line, err.column, err.line, err.column + 1)
    ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
    hint = "use `:=` to assign and `==` to compare" if ch == "=" else None
    allowed = set(err.allowed or ())
    exp = f"; expected {_expected_words(allowed, parser)}" if allowed else ""
    return D.diag(D.SYNTAX_UNEXPECTED_CHAR, f"unexpected character `{ch}`{exp}", span, hint=hint)


def parse_text(text: str, file: str = "<spec>") -> ParseResult:
    parser = _parser()
    _DOCS.clear()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        return ParseResult(None, {}, [_error_to_diagnostic(err, text, file, parser)])
    return ParseResult(tree, dict(_DOCS), [])

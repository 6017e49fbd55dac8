"""A Pygments lexer for `.kspec` files, with its keywords read from the grammar.

The reserved words are the quoted literals of `grammar/kspec.lark` (shipped
as `kspec.grammar`), so a keyword added to the grammar is highlighted without
touching this module; the sets below only decide *which colour* a word gets.
Imports nothing but Pygments (it is also registered as a `pygments.lexers`
entry point, so `pygmentize -l kspec` works outside Sphinx).
"""
from __future__ import annotations

import re
from importlib import resources

from pygments.lexer import RegexLexer, bygroups, default, words
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

__all__ = ["KspecLexer", "grammar_keywords", "BUILTIN_FUNCTIONS"]

# Words that start a declaration (coloured as declarations).
DECLARATION = {"spec", "const", "variant", "sort", "enum", "record", "var", "lock", "object", "define",
               "process", "action", "invariant", "reachable", "event", "class", "context", "idle",
               "contract", "progress"}
TYPES = {"bool", "set", "map"}
CONSTANTS = {"true", "false", "none", "self"}
# Statements that call a kernel primitive: acquire/release, object lifetime, lockdep assertions.
PRIMITIVES = {"acquire", "acquire_bh", "acquire_irq", "release", "release_bh", "release_irq", "alloc", "get",
              "put", "free", "use", "assert_held", "assert_not_held", "might_sleep", "trylock", "start", "emit"}
# Built-in functions of expressions (docs/language.md): plain NAMEs to the grammar.
BUILTIN_FUNCTIONS = ("size", "held", "locked", "holds", "alive", "refs", "at", "running", "finished", "idle")

_FALLBACK = sorted(DECLARATION | TYPES | CONSTANTS | PRIMITIVES | {
    "if", "then", "else", "either", "or", "and", "not", "await", "choose", "in", "notin", "where", "while",
    "goto", "done", "skip", "assert", "forall", "exists", "when"})


def grammar_keywords(text: str | None = None) -> list[str]:
    """The reserved words of the grammar: every quoted literal made of letters
    and underscores."""
    if text is None:
        try:
            text = resources.files("kspec.grammar").joinpath("kspec.lark").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return list(_FALLBACK)
    found = set(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text))
    return sorted(found) if found else list(_FALLBACK)


def _keyword_rules() -> list:
    kws = grammar_keywords()
    groups = [
        (sorted(w for w in kws if w in DECLARATION), Keyword.Declaration),
        (sorted(w for w in kws if w in TYPES), Keyword.Type),
        (sorted(w for w in kws if w in CONSTANTS), Keyword.Constant),
        (sorted(w for w in kws if w in PRIMITIVES), Name.Builtin),
        (sorted(w for w in kws if w not in DECLARATION | TYPES | CONSTANTS | PRIMITIVES
                and w not in BUILTIN_FUNCTIONS), Keyword),  # `at` (`at most`) stays a function
        (sorted(set(BUILTIN_FUNCTIONS) - (set(kws) - {"at"})), Name.Builtin),
    ]
    return [(words(ws, suffix=r"\b"), tok) for ws, tok in groups if ws]


class KspecLexer(RegexLexer):
    """Lexer for kspec specifications (`grammar/kspec.lark`)."""

    name = "kspec"
    aliases = ["kspec"]
    filenames = ["*.kspec"]
    mimetypes = ["text/x-kspec"]
    url = "https://github.com/kspec"  # informational only

    tokens = {
        "root": [
            # a step label: a name directly followed by one colon (not `:=`), at the
            # start of a line, after optional variant tags (grammar: LABEL)
            (r"(?m)^([ \t]*)([A-Za-z_][A-Za-z0-9_]*)([ \t]*:)(?!=)", bygroups(Whitespace, Name.Label, Punctuation)),
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
            (r"///[^\n]*", String.Doc),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "comment"),
            (r"@[A-Za-z_][A-Za-z0-9_]*", Name.Decorator, "tagged"),
            *_keyword_rules(),
            (r"[0-9]+", Number.Integer),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r":=|=>|==|!=|<=|>=|\.\.|->|[<>+\-*/%&=]", Operator),
            (r"[{}\[\](),;:.|?]", Punctuation),
            (r".", Text),
        ],
        # after a variant tag: more tags, then possibly a step label (`@fix L0: ...`)
        "tagged": [
            (r"\s+", Whitespace),
            (r"@[A-Za-z_][A-Za-z0-9_]*", Name.Decorator),
            (r"([A-Za-z_][A-Za-z0-9_]*)([ \t]*:)(?!=)", bygroups(Name.Label, Punctuation), "#pop"),
            default("#pop"),
        ],
        "comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
    }

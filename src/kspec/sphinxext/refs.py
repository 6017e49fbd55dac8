"""Reference directives generated from the code itself:

* ``.. kspec:cli::`` -- the command-line reference, from `kspec.cli.build_parser()`;
* ``.. kspec:diagnostic:: KS1001`` -- one code of `kspec.report.diagnostics.REGISTRY`;
* ``.. kspec:diagnostics::`` -- the table of every code;
* ``.. kspec:run:: check model/x.toml`` -- runs the CLI in-process while the page
  is built and shows its output, so tutorial transcripts cannot go stale.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import os
import re
import shlex

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kspec.sphinxext import doctext
from kspec.sphinxext.build import code, code_block, para, section, table
from kspec.sphinxext.domain import note, xref

logger = logging.getLogger(__name__)

CATEGORIES = {"0": "syntax", "1": "names and sorts", "2": "well-formedness", "3": "property verdicts",
              "4": "conformance", "5": "model files and command lines", "9": "internal errors"}


def category(code_: str) -> str:
    return CATEGORIES.get(code_[2:3], "other")


# ---- CLI --------------------------------------------------------------------------
_OPTION = re.compile(r"(?<![\w`-])(--?[a-z][a-z0-9-]*(?:[ =][A-Z][A-Z_=]*)?)")


def _prose(text: str) -> list[nodes.Node]:
    """Help and description text: `code` spans and --options as literals (and
    no smart dashes on them)."""
    text = _OPTION.sub(lambda m: f"`{m.group(1)}`", text)
    return doctext.inline(text)


def _usage(p: argparse.ArgumentParser) -> str:
    fmt = argparse.HelpFormatter(p.prog, width=88)
    fmt.add_usage(p.usage, p._actions, p._mutually_exclusive_groups)
    return fmt.format_help().strip()


def _subcommands(p: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    out = []
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            helps = {c.dest: c.help or "" for c in a._choices_actions}
            out += [(name, helps.get(name, ""), sub) for name, sub in a.choices.items()]
    return out


def _arg_rows(p: argparse.ArgumentParser) -> list:
    rows = []
    for a in p._actions:
        if isinstance(a, (argparse._SubParsersAction, argparse._HelpAction)) or a.help == argparse.SUPPRESS:
            continue
        if a.option_strings:
            meta = "" if a.nargs == 0 else " " + (a.metavar or a.dest.upper())
            name = ", ".join(a.option_strings) + meta
        else:
            name = a.metavar or a.dest
            if a.nargs in ("+", "*"):
                name += " ..."
        help_ = a.help or ""
        try:
            help_ = help_ % {**vars(a), "prog": p.prog}
        except (KeyError, TypeError, ValueError):
            pass
        notes = []
        if a.choices is not None:
            notes.append("one of " + ", ".join(str(c) for c in a.choices))
        if isinstance(a, argparse._AppendAction) and "repeatable" not in help_:
            notes.append("repeatable")
        if a.default not in (None, False, [], argparse.SUPPRESS) and not isinstance(a, argparse._VersionAction):
            notes.append(f"default {a.default}")
        cell = [para(*_prose(help_[:1].upper() + help_[1:] if help_ else ""))]
        if notes:
            cell.append(para("(" + "; ".join(notes) + ")", classes=["kspec-muted"]))
        rows.append([[code(name, None)], cell])
    return rows


class CliDirective(SphinxDirective):
    """The reference of every `kspec` command, from the real argument parser."""

    option_spec = {"module": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        module = self.options.get("module", "kspec.cli")
        try:
            parser = importlib.import_module(module).build_parser()
        except Exception as e:
            logger.warning("kspec:cli: cannot build the parser of %s: %s", module, e,
                           location=self.get_location(), type="kspec", subtype="cli")
            return []
        out: list[nodes.Node] = [code_block(_usage(parser), "text")]
        if parser.description:
            out.append(para(*_prose(parser.description)))
        rows = _arg_rows(parser)
        subs = _subcommands(parser)
        if subs:
            rows += [[[xref("cmd", name, name)], [para(*_prose(summary))]] for name, summary, _ in subs]
        out.append(table(["Argument", "Meaning"], rows, [2, 5]))
        for name, summary, sub in subs:
            ident = nodes.make_id(f"kspec-cmd-{name}")
            note(self.env, "command", name, ident, f"kspec {name}", self.get_location())
            sec = section(ident, nodes.literal(text=f"kspec {name}"))
            sec += para(*_prose(sub.description or summary))
            sec += code_block(_usage(sub), "text")
            sec += table(["Argument", "Meaning"], _arg_rows(sub), [2, 5])
            out.append(sec)
        return out


# ---- diagnostics ----------------------------------------------------------------------
class DiagnosticDirective(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from kspec.report.diagnostics import REGISTRY
        c = REGISTRY.get(self.arguments[0].strip().upper())
        if c is None:
            logger.warning("unknown kspec diagnostic code `%s`", self.arguments[0], location=self.get_location(),
                           type="kspec", subtype="ref")
            return []
        ident = nodes.make_id(f"kspec-code-{c.code}")
        note(self.env, "diagnostic", c.code, ident, f"{c.code}: {c.title}", self.get_location())
        box = nodes.container(classes=["kspec-diagnostic"], ids=[ident])
        severity = "a warning" if "This is a warning." in c.explanation else "an error"
        box += para(code(c.code, None), f" \u2014 {c.title}. Category: {category(c.code)} "
                    f"({c.code[:3]}xxx); {severity}.", classes=["kspec-diag-head"])
        box.extend(doctext.doc_nodes(c.explanation))
        users = emitters().get(c.code, [])
        if users:
            box += para("Reported by ", *[x for i, m in enumerate(users)
                                          for x in ([nodes.Text(", ")] if i else []) + [code(m, None)]], ".")
        box += para("The same text is printed by ", code(f"kspec explain {c.code}", None),
                    ". Diagnostics are printed as ", code(f"file:line:col: error[{c.code}]: message", None),
                    " with the source line and a caret, and in JSON with ", code("--format json", None), ".")
        return [box]


_EMITTERS: dict[str, list[str]] | None = None


def emitters() -> dict[str, list[str]]:
    """Code -> the kspec modules that use its registry constant (by name)."""
    global _EMITTERS
    if _EMITTERS is None:
        import kspec
        from kspec.report import diagnostics as D
        names = {v: k for k, v in vars(D).items() if isinstance(v, str) and v in D.REGISTRY and k.isupper()}
        root = os.path.dirname(os.path.abspath(kspec.__file__))
        found: dict[str, set[str]] = {}
        for dirpath, _, files in os.walk(root):
            for f in files:
                if not f.endswith(".py") or f == "diagnostics.py":
                    continue
                path = os.path.join(dirpath, f)
                try:
                    with open(path, encoding="utf-8") as fh:
                        text = fh.read()
                except OSError:
                    continue
                mod = "kspec." + os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                for code_, name in names.items():
                    if re.search(rf"\b{name}\b", text) or f'"{code_}"' in text:
                        found.setdefault(code_, set()).add(mod.removesuffix(".__init__"))
        _EMITTERS = {k: sorted(v) for k, v in found.items()}
    return _EMITTERS


class DiagnosticsTableDirective(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        from kspec.report.diagnostics import REGISTRY
        out: list[nodes.Node] = []
        by_cat: dict[str, list] = {}
        for c in REGISTRY.values():
            by_cat.setdefault(c.code[2:3], []).append(c)
        for digit, codes in sorted(by_cat.items()):
            out.append(para(nodes.strong(text=f"{digit}xxx \u2014 {CATEGORIES.get(digit, 'other')}")))
            rows = [[[xref("code", c.code, c.code)], c.title,
                     [para(*doctext.inline(doctext.first_sentence(c.explanation, 140)))]]
                    for c in sorted(codes, key=lambda c: c.code)]
            out.append(table(["Code", "Title", "Summary"], rows, [1, 2, 5]))
        return out


# ---- running the CLI ----------------------------------------------------------------
class RunDirective(SphinxDirective):
    """``.. kspec:run:: check docs/tutorial/racy.toml`` with options ``:cwd:``
    (relative to the document; default the project root, the parent of the
    source directory), ``:exit:`` (the expected exit code: a different one is a
    warning) and ``:requires: module`` (show the command without running it
    while that module does not exist yet)."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {"cwd": directives.unchanged, "exit": directives.nonnegative_int,
                   "requires": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        args = shlex.split(self.arguments[0])
        shown = "$ kspec " + " ".join(shlex.quote(a) for a in args)
        req = self.options.get("requires")
        if req and importlib.util.find_spec(req) is None:
            return [code_block(shown, "text", classes=["kspec-run"])]
        cwd = self.env.relfn2path(self.options["cwd"])[1] if "cwd" in self.options else \
            os.path.dirname(os.path.abspath(self.env.srcdir))
        for a in args:  # files the transcript depends on
            if os.path.isfile(os.path.join(cwd, a)):
                self.env.note_dependency(os.path.abspath(os.path.join(cwd, a)))
        out, err = io.StringIO(), io.StringIO()
        from kspec.cli import main
        old = os.getcwd()
        try:
            os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(args)
        except Exception as e:
            rc = -1
            err.write(f"{type(e).__name__}: {e}")
        finally:
            os.chdir(old)
        expected = self.options.get("exit")
        if expected is not None and rc != expected:
            logger.warning("kspec:run `%s` exited with %s, expected %s:\n%s%s", " ".join(args), rc, expected,
                           out.getvalue()[-2000:], err.getvalue()[-2000:], location=self.get_location(),
                           type="kspec", subtype="run")
        text = "\n".join(x for x in (shown, out.getvalue().rstrip(), err.getvalue().rstrip()) if x)
        block = code_block(text + f"\n[exit status {rc}]", "text", classes=["kspec-run"])
        return [block]

"""The `kspec` Sphinx domain: cross-reference targets and roles.

Objects (registered by the directives while documents are read):

=========  ==============================  ==========================================
role       object                          full name
=========  ==============================  ==========================================
spec       a spec page                     ``tidspbridge``
proc       a process or action             ``tidspbridge.user``
step       a process step                  ``tidspbridge.user.B2``
lock       a lock                          ``tidspbridge.proc_lock``
var        a variable or constant          ``tidspbridge.region``
prop       a property (user or built-in)   ``tidspbridge.T_S1_no_use_after_free``
model      a model file                    ``tidspbridge_original_uaf``
code       a diagnostic code               ``KS1001``
cmd        a ``kspec`` sub-command         ``check``
=========  ==============================  ==========================================

A target may be given by a unique suffix of its full name
(``:kspec:prop:`T_S1_no_use_after_free```). A diagnostic code without a page
of its own still renders, as an abbreviation carrying its title; a code that
is not in the registry is a warning.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from docutils import nodes
from sphinx import addnodes
from sphinx.domains import Domain, ObjType
from sphinx.roles import XRefRole
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

logger = logging.getLogger(__name__)

ROLE_TO_TYPE = {"spec": "spec", "proc": "process", "step": "step", "lock": "lock", "var": "variable",
                "prop": "property", "model": "model", "code": "diagnostic", "cmd": "command"}
TYPE_LABEL = {"spec": "spec", "process": "process", "step": "step", "lock": "lock", "variable": "variable",
              "property": "property", "model": "model file", "diagnostic": "diagnostic code",
              "command": "command"}


class CodeRole(XRefRole):
    def process_link(self, env, refnode, has_explicit_title, title, target):
        return title.strip() if has_explicit_title else title.strip().upper(), target.strip().upper()


class KspecDomain(Domain):
    name = "kspec"
    label = "kspec"
    object_types = {t: ObjType(TYPE_LABEL[t], r) for r, t in ROLE_TO_TYPE.items()}
    roles = {r: (CodeRole() if r == "code" else XRefRole()) for r in ROLE_TO_TYPE}
    initial_data: dict[str, Any] = {"objects": {}}  # (objtype, fullname) -> (docname, node_id, title)
    data_version = 1

    # directives are added by kspec.sphinxext.setup (they live in other modules)
    directives: dict = {}

    @property
    def objects(self) -> dict[tuple[str, str], tuple[str, str, str]]:
        return self.data.setdefault("objects", {})

    def note_object(self, objtype: str, name: str, node_id: str, title: str = "", location: Any = None) -> None:
        key = (objtype, name)
        if key in self.objects and self.objects[key][0] != self.env.docname:
            other = self.objects[key][0]
            logger.warning("duplicate kspec %s `%s` (also in %s)", TYPE_LABEL[objtype], name, other,
                           location=location, type="kspec", subtype="duplicate")
        self.objects[key] = (self.env.docname, node_id, title)

    def clear_doc(self, docname: str) -> None:
        for key, (doc, _, _) in list(self.objects.items()):
            if doc == docname:
                del self.objects[key]

    def merge_domaindata(self, docnames: Iterable[str], otherdata: dict) -> None:
        docs = set(docnames)
        for key, value in otherdata.get("objects", {}).items():
            if value[0] in docs:
                self.objects[key] = value

    def _find(self, objtype: str, target: str) -> list[tuple[str, tuple[str, str, str]]]:
        if (objtype, target) in self.objects:
            return [(target, self.objects[(objtype, target)])]
        return sorted((name, v) for (t, name), v in self.objects.items()
                      if t == objtype and name.endswith("." + target))

    def resolve_xref(self, env, fromdocname, builder, typ, target, node, contnode):
        objtype = ROLE_TO_TYPE.get(typ)
        if objtype is None:
            return None
        found = self._find(objtype, target)
        if len(found) > 1:
            here = [f for f in found if f[1][0] == fromdocname]
            if len(here) == 1:
                found = here
            else:
                logger.warning("ambiguous kspec %s `%s`: %s", TYPE_LABEL[objtype], target,
                               ", ".join(n for n, _ in found), location=node, type="kspec", subtype="ref")
        if found:
            name, (doc, node_id, title) = found[0]
            return make_refnode(builder, fromdocname, doc, node_id, contnode, title or name)
        if objtype == "diagnostic":
            return _code_fallback(target, contnode, node)
        return None

    def resolve_any_xref(self, env, fromdocname, builder, target, node, contnode):
        out = []
        for role, objtype in ROLE_TO_TYPE.items():
            found = self._find(objtype, target)
            if found:
                name, (doc, node_id, title) = found[0]
                out.append((f"kspec:{role}", make_refnode(builder, fromdocname, doc, node_id, contnode,
                                                          title or name)))
        return out

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        for (objtype, name), (doc, node_id, _) in sorted(self.objects.items()):
            yield name, name, objtype, doc, node_id, 1


def _code_fallback(code: str, contnode: nodes.Element, node) -> nodes.Node:
    from kspec.report.diagnostics import REGISTRY
    c = REGISTRY.get(code)
    if c is None:
        logger.warning("unknown kspec diagnostic code `%s`", code, location=node, type="kspec", subtype="ref")
        return contnode
    return nodes.abbreviation(code, "", contnode, explanation=f"{c.code}: {c.title}")


def note(env, objtype: str, name: str, node_id: str, title: str = "", location: Any = None) -> None:
    env.get_domain("kspec").note_object(objtype, name, node_id, title, location)


def xref(role: str, target: str, text: str | None = None, *, literal: bool = True) -> addnodes.pending_xref:
    """A pending cross-reference, as the role would make it."""
    text = target if text is None else text
    inner = nodes.literal(text, text, classes=["xref", "kspec", f"kspec-{role}"]) if literal else nodes.Text(text)
    ref = addnodes.pending_xref("", inner, refdomain="kspec", reftype=role, reftarget=target,
                                refexplicit=True, refwarn=False)
    return ref

"""Sphinx configuration of aiomongoose's documentation.

Build it as the README says (CI runs that very line)::

    sphinx-build -E -W -n docs docs/_build/html

``-W`` turns every warning into an error and ``-n`` (nitpicky) makes every reference that
does not resolve a warning: a broken ``:class:`` in a docstring fails the build. ``-E``
reads every page afresh, so that a page left unchanged since an earlier build still
reports its warnings. Two checks
of our own (below) also fail it when a public name has no docstring, or is missing from the
API reference.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

sys.path.insert(0, os.path.abspath(".."))  # a checkout builds without installing, too

from aiomongoose import __version__  # noqa: E402

project = "aiomongoose"
author = "the aiomongoose authors"
copyright = "aiomongoose authors"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "myst_parser",  # docs/server-behaviour.md stays Markdown: code comments cite its anchors
]
# The docs extra brings pytest and pytest-asyncio too: the reference documents the
# ``mongooseim`` fixture from its module, which imports them.

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "inventories"]
root_doc = "index"
html_theme = "furo"
html_title = f"aiomongoose {release}"
pygments_style = "sphinx"
default_role = "literal"  # `x` reads as ``x``, never as a reference that could dangle

# docs/server-behaviour.md links to its own sections (#fake-server-choices), and comments in
# the code cite them as docs/server-behaviour.md#anchor: give headings GitHub's anchors.
myst_heading_anchors = 3

autodoc_default_options = {
    "members": True,
    "undoc-members": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
python_use_unqualified_type_names = True

# Intersphinx without the network. The build runs where there is no web access (CI
# included), so intersphinx could not download the projects' objects.inv. The inventories
# in docs/inventories/ are written by Sphinx's own inventory writer from the few external
# names these pages refer to (docs/inventories/generate.py lists them, with the online page
# of each); the links point at the real online documentation. A reference to an external
# name that is not listed there fails the nitpicky build: add the name and rerun the script.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "inventories/python.inv"),
    "aiohttp": ("https://docs.aiohttp.org/en/stable/", "inventories/aiohttp.inv"),
    "attrs": ("https://www.attrs.org/en/stable/", "inventories/attrs.inv"),
}

nitpicky = True
# Only what cannot resolve anywhere would go here (e.g. typing internals that signatures
# spell without a page). Empty: every name in the signatures and pages resolves, ours
# through the reference, the others through the shipped inventories.
nitpick_ignore: list[tuple[str, str]] = []

# The modules whose public names (``__all__``) must all appear in the API reference, each
# with a docstring.
PUBLIC_MODULES = ("aiomongoose", "aiomongoose.errors", "aiomongoose.testing", "aiomongoose.export")

# Classes that users receive but never build (``client.messages``...): their constructors
# take private objects, so the reference shows no constructor signature for them.
NOT_CONSTRUCTED = {
    "aiomongoose.messages.Messages",
    "aiomongoose.users.Users",
    "aiomongoose.rooms.Rooms",
    "aiomongoose.messages.live.Subscription",
    "aiomongoose.History",
}

logger = logging.getLogger("aiomongoose.docs")


def _hide_constructor(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    if what == "class" and name in NOT_CONSTRUCTED:
        return "", return_annotation
    return None


def _require_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A documented class, function, method or property without a docstring fails the build."""
    if what in {"module", "class", "exception", "function", "method", "property"}:
        if not any(line.strip() for line in lines) and not name.rsplit(".", 1)[-1].startswith("_"):
            logger.warning("%s %s has no docstring", what, name, type="aiomongoose")


def _require_reference(app: Sphinx, env: Any) -> None:
    """Every name in a public module's ``__all__`` is documented in the API reference,
    under that module or, for a name two public modules share, under the other one."""
    objects = env.get_domain("py").objects
    modules = {name: importlib.import_module(name) for name in PUBLIC_MODULES}
    for module_name, module in modules.items():
        for name in module.__all__:
            value = getattr(module, name)
            documented = [
                other
                for other, namespace in modules.items()
                if getattr(namespace, name, None) is value and f"{other}.{name}" in objects
            ]
            if not documented:
                logger.warning(
                    "%s.%s is public but not in the API reference", module_name, name,
                    type="aiomongoose",
                )  # fmt: skip


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-process-signature", _hide_constructor)
    app.connect("autodoc-process-docstring", _require_docstring)
    app.connect("env-check-consistency", _require_reference)
    return {"parallel_read_safe": True}

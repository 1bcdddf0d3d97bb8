"""Write the intersphinx inventories that docs/conf.py reads instead of downloading them.

The documentation is built where there is no web access (CI included), so intersphinx
cannot fetch ``objects.inv`` from docs.python.org, docs.aiohttp.org or attrs.org. Instead
this script builds a throwaway Sphinx project that declares only the external names our
documentation refers to, each in a document named like the page that documents it online
(``library/datetime`` for ``datetime.datetime``, ...), and keeps the ``objects.inv`` that
Sphinx's own HTML builder writes for it. Sphinx gives a declared object the anchor of its
full name, as those sites do, so a link resolves to the real online page and anchor.

Run it after adding a name (``python docs/inventories/generate.py``); it rewrites
``python.inv``, ``aiohttp.inv`` and ``attrs.inv`` beside itself. Needs the ``docs`` extra.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# project -> (name and version written in the inventory, {page: [(directive, name)]}); a
# third item in a tuple is the object's canonical name, linked to the same anchor.
Pages = dict[str, list[tuple[str, ...]]]
INVENTORIES: dict[str, tuple[str, str, Pages]] = {
    "python": (
        "Python",
        "3",
        {
            "library/functions": [
                ("class", "bool"),
                ("class", "float"),
                ("class", "int"),
                ("class", "object"),
            ],
            "library/stdtypes": [
                ("class", "bytes"),
                ("class", "dict"),
                ("class", "list"),
                ("class", "set"),
                ("class", "frozenset"),
                ("class", "str"),
                ("class", "tuple"),
            ],
            "library/constants": [("data", "None"), ("data", "True"), ("data", "False")],
            "library/exceptions": [
                ("exception", "Exception"),
                ("exception", "ImportError"),
                ("exception", "OSError"),
                ("exception", "RuntimeError"),
                ("exception", "TypeError"),
                ("exception", "ValueError"),
            ],
            "library/datetime": [("class", "datetime.datetime")],
            "library/asyncio-exceptions": [("exception", "asyncio.CancelledError")],
            "library/asyncio-task": [
                ("function", "asyncio.gather"),
                ("function", "asyncio.sleep"),
                ("function", "asyncio.timeout"),
                ("function", "asyncio.wait_for"),
            ],
            "library/ssl": [("class", "ssl.SSLContext")],
            "library/os": [("class", "os.PathLike")],
            "library/pathlib": [("class", "pathlib.Path")],
            "library/logging": [("function", "logging.getLogger")],
            "library/typing": [
                ("data", "typing.Any"),
                ("class", "typing.BinaryIO"),
                ("data", "typing.Literal"),
            ],
            "library/collections.abc": [
                ("class", "collections.abc.AsyncIterator"),
                ("class", "collections.abc.Callable"),
                ("class", "collections.abc.Iterable"),
                ("class", "collections.abc.Iterator"),
                ("class", "collections.abc.Sequence"),
            ],
        },
    ),
    "aiohttp": (
        "aiohttp",
        "3",
        {
            # Type hints name aiohttp's classes by the modules that define them: the
            # canonical names lead to the same anchors.
            "client_reference": [
                ("class", "aiohttp.BasicAuth", "aiohttp.helpers.BasicAuth"),
                ("class", "aiohttp.ClientSession", "aiohttp.client.ClientSession"),
                ("class", "aiohttp.ClientTimeout", "aiohttp.client.ClientTimeout"),
                ("class", "aiohttp.Fingerprint", "aiohttp.client_reqrep.Fingerprint"),
            ],
        },
    ),
    "attrs": (
        "attrs",
        "25",
        {
            "api": [
                ("function", "attrs.define"),
                ("function", "attrs.evolve"),
                ("function", "attrs.frozen"),
            ],
        },
    ),
}


def directive(kind: str, name: str, canonical: str | None = None) -> str:
    option = f"\n   :canonical: {canonical}" if canonical else ""
    return f".. py:{kind}:: {name}{option}\n"


def write_inventory(key: str, project: str, version: str, pages: Pages) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        src.mkdir()
        (src / "conf.py").write_text(f"project = {project!r}\nversion = release = {version!r}\n")
        names = []
        for page, objects in pages.items():
            path = src / f"{page}.rst"
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = [page, "=" * len(page), ""]
            lines += [directive(*spec) for spec in objects]
            path.write_text("\n".join(lines) + "\n")
            names.append(page)
        toctree = "\n".join(f"   {name}" for name in names)
        (src / "index.rst").write_text(f"Index\n=====\n\n.. toctree::\n\n{toctree}\n")
        # One sphinx-build per inventory: Sphinx registers its nodes process-wide.
        build = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", str(src), str(out)]
        subprocess.run(build, check=True)
        shutil.copyfile(out / "objects.inv", HERE / f"{key}.inv")


def main() -> None:
    for key, (project, version, pages) in INVENTORIES.items():
        write_inventory(key, project, version, pages)
        print(f"wrote {HERE / (key + '.inv')}")  # noqa: T201


if __name__ == "__main__":
    main()

"""The README's example runs as written against the fake server, and its links lead somewhere.

The rest of the documentation (the echo bot included) moved to docs/: its examples run in
test_docs_examples.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiomongoose.testing import FakeMongooseIM

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.rst"


def first_python_block() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    assert match is not None
    return "\n".join(line[4:] for line in match.group(1).splitlines())


async def test_readme_example_runs_against_the_fake_server(capsys):
    code = first_python_block()
    assert "asyncio.run(main())" in code
    async with FakeMongooseIM(auth=("admin", "secret")) as server:
        server.add_user("alice@wonderland.lit")
        server.add_user("rabbit@wonderland.lit")
        server.add_message(
            "rabbit@wonderland.lit", "alice@wonderland.lit", at_us=1_700_000_000_000_000, body="Yo"
        )
        namespace: dict[str, object] = {}
        exec(
            code.replace("http://localhost:8088/api", server.url).replace(
                "asyncio.run(main())", ""
            ),
            namespace,
        )
        await namespace["main"]()  # type: ignore[operator]
    lines = capsys.readouterr().out.splitlines()
    # recent(): two messages oldest first; history(): the same two, newest first
    assert lines[0].endswith("rabbit@wonderland.lit Yo")
    assert lines[1].endswith("alice@wonderland.lit Hi")
    assert lines[2].endswith(" Hi") and lines[3] == "1700000000 Yo"
    assert len(lines) == 4


def test_readme_example_is_the_first_script_of_the_docs() -> None:
    # Both are the first thing a user runs: one text, executed in both tests.
    page = (ROOT / "docs" / "getting-started.rst").read_text(encoding="utf-8")
    match = re.search(
        r":name: example-first-script\n   :class: runnable\n\n((?:   .*\n|\n)+)", page
    )
    assert match is not None
    docs_code = "\n".join(line[3:] for line in match.group(1).splitlines())
    assert docs_code.strip() == first_python_block().strip()


def test_readme_links_to_existing_pages() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"<(docs/[^>]+)>`_", text)
    assert len(targets) >= 12
    for target in targets:
        assert (ROOT / target).is_file(), target
